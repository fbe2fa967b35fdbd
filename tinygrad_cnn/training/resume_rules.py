"""What a resumed run may change, and what it says about it: the files it continues in (those
of the checkpoint's run, or ``out``; replacing another existing checkpoint needs
``overwrite``), the settings it may change (stopping and the monitored metric, not the math),
and the rule for a different ``epochs``: the schedule is re-planned for the new length.

Example:
    >>> "early_stopping" in RUN_OPTIONS
    True
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from .config import OptionError
from .run_folder import RunPaths, paths_for_checkpoint, plan_paths

#: settings a resumed run may change: where its files go and when it stops, not its math
RUN_OPTIONS = ("monitor", "early_stopping", "min_delta")


def resume_paths(checkpoint: str | os.PathLike[str], out: str | os.PathLike[str] | None,
                 changes: Mapping[str, Any] | None) -> tuple[RunPaths, bool]:
    """The files a resumed run continues in: those of ``checkpoint``'s run (a run folder's
    ``last.h5``, or the checkpoint file itself), or ``out``. Replacing an existing checkpoint
    other than the one resumed needs ``overwrite`` in ``changes``.

    Example:
        >>> resume_paths("runs/train/shapes-1/last.h5", None, {})[0].folder.as_posix()
        'runs/train/shapes-1'
    """
    overwrite = bool(dict(changes or {}).get("overwrite", False))
    src = Path(checkpoint).expanduser().resolve()
    if out is None:
        paths = paths_for_checkpoint(checkpoint)
        if paths.last.resolve() != src and paths.last.exists() and not overwrite:
            raise OptionError("out", f"resuming {checkpoint} would replace {paths.last}; pass "
                                     f"`overwrite=True`, or `out=` another file")
        return paths, overwrite
    if Path(out).expanduser().resolve() == src:
        return paths_for_checkpoint(out), overwrite
    return plan_paths(str(out), "", None, "", overwrite), overwrite


def schedule_note(schedule: str, planned: int, epochs: int, next_epoch: int, before: float,
                  after: float) -> str:
    """What resuming with another ``--epochs`` does to the learning rate: the schedule is
    re-planned for the new length, as if the run had been planned that long from the start
    (so an extended run follows the same schedule as a fresh run of that length, and its
    learning rate may jump up where it resumes).

    Example:
        >>> schedule_note("cosine", 8, 12, 9, 0.0073, 0.0125)
        'the cosine schedule is re-planned for 12 epochs instead of 8, as if the run had been planned that long: learning rate of epoch 9: 0.0073 -> 0.0125'
    """
    return (f"the {schedule} schedule is re-planned for {epochs} epochs instead of {planned}, "
            f"as if the run had been planned that long: learning rate of epoch {next_epoch}: "
            f"{before:.4g} -> {after:.4g}")
