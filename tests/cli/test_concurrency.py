"""Two writers of one --out: the second is refused at once with one line, the first one's
checkpoint untouched."""
from __future__ import annotations

import multiprocessing

from tinygrad_cnn.checkpoint.lock import output_lock

from .helpers import TINY


def _hold(path: str, ready, release) -> None:
    with output_lock(path):
        ready.set()
        release.wait(60)


def test_second_writer_of_the_same_out_is_refused(invoke, tmp_path):
    out = tmp_path / "m.h5"
    out.write_bytes(b"the first writer's checkpoint")
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(out), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        # --overwrite: replacing the file is allowed, writing while another process does is not
        result = invoke("train", *TINY, "--out", out, "--overwrite")
        assert result.exit_code == 1, result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines[-1] == (f"Error: {out} is being written by another process (pid "
                             f"{holder.pid}); wait for it to finish or choose another output path")
        assert out.read_bytes() == b"the first writer's checkpoint"
    finally:
        release.set()
        holder.join(60)
    assert invoke("train", *TINY, "--out", out, "--overwrite").exit_code == 0
