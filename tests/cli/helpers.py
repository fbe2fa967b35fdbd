"""Helpers of the CLI tests: tiny training options, a subprocess runner for
``python -m tinygrad_cnn`` and the one-line error check."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: a model and data small enough that one epoch takes well under a second
TINY = ["--epochs", "1", "--limit", "40", "--width", "0.125", "--batch-size", "16",
        "--val-split", "0.25"]



def run_tgcnn(*args: str, cwd: str | os.PathLike[str] | None = None, timeout: float = 120,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m tinygrad_cnn ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "tinygrad_cnn", *map(str, args)], cwd=cwd,
                          env=subprocess_env(env), capture_output=True, text=True,
                          timeout=timeout)


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with the checkout on PYTHONPATH (plus ``extra``; an extra PYTHONPATH
    is put in front)."""
    env = dict(os.environ)
    extra = dict(extra or {})
    paths = [extra.pop("PYTHONPATH", None), str(REPO), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update(extra)
    return env


def one_error_line(stderr: str) -> str:
    """The single line an error prints (asserting there is exactly one and no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]
