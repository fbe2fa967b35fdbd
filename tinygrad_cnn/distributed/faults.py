"""Failures under MPI end every rank, never hang: MPI's classic failure is a rank waiting
forever in a reduction that a dead or failed rank will never join.

:func:`abort_on_error` wraps a whole run. When an exception leaves it, the ranks first check
(on a separate communicator, for at most ``agree_s`` seconds) whether *every* rank failed,
as they do for a consistent error (a bad option, a NaN loss that all ranks see, Ctrl-C): then
rank 0 alone reports it and every rank exits with the same code. Otherwise the failing rank
prints one line naming itself and calls ``MPI_Abort``, which ends all ranks and makes
``mpiexec`` exit non-zero.

Example:
    >>> with abort_on_error(lambda exc: (1, str(exc))):
    ...     pass
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any, Callable, Iterator

from ..errors import one_line
from .group import ProcessGroup, group

#: how long ranks wait for each other to agree that all of them failed
AGREE_SECONDS = 5.0
#: how long a failing rank waits after its error line before aborting the job
FORWARD_SECONDS = 0.5


def all_failed(g: ProcessGroup, agree_s: float = AGREE_SECONDS) -> bool:
    """Whether every rank reaches this call within ``agree_s`` seconds (each failed rank
    calls it; a rank still working never does)."""
    request = g.control.Ibarrier()
    deadline = time.monotonic() + agree_s
    while time.monotonic() < deadline:
        if request.Test():
            return True
        time.sleep(0.01)
    return False


def _message(exc: BaseException, describe: Callable[[BaseException], Any]) -> tuple[int, str]:
    known = describe(exc)
    if known is not None:
        return int(known[0]), str(known[1])
    text = one_line(exc)
    return 1, f"internal error {type(exc).__name__}{': ' + text if text else ''}"


def run_agreed(g: ProcessGroup, exc: BaseException, describe: Callable[[BaseException], Any],
               agree_s: float = AGREE_SECONDS) -> int:
    """Handle ``exc`` raised on this rank: returns the exit code when every rank failed (the
    caller re-raises on rank 0 and exits quietly elsewhere); otherwise reports one line and
    aborts every rank (does not return)."""
    code, message = _message(exc, describe)
    if all_failed(g, agree_s):
        return code
    if os.environ.get("TGCNN_DEBUG"):
        import traceback
        traceback.print_exception(exc, file=sys.__stderr__)
    sys.__stderr__.write(f"Error: {message} (process {g.rank} of {g.size}; ending all "
                         f"{g.size} processes)\n")
    sys.__stderr__.flush()
    # MPI_Abort tears the launcher down at once; it may not have forwarded the line yet
    time.sleep(FORWARD_SECONDS)
    g.comm.Abort(code or 1)
    raise SystemExit(code or 1)  # not reached: Abort ends the process


@contextlib.contextmanager
def abort_on_error(describe: Callable[[BaseException], Any],
                   agree_s: float = AGREE_SECONDS) -> Iterator[None]:
    """Run a block on every rank; an exception on some ranks only ends them all (see the
    module docstring). ``describe(exc)`` gives ``(exit code, one-line message)`` or None.
    On rank 0 a consistent error is re-raised; other ranks exit quietly with its code."""
    try:
        yield
    except BaseException as exc:  # noqa: BLE001 - every failure must be agreed or abort
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        g = group()
        if g.size == 1:
            raise
        if isinstance(exc, SystemExit):  # e.g. a usage error: its own code and text
            status = exc.code if isinstance(exc.code, int) else 1
            code = run_agreed(g, exc, lambda e: (status, str(exc.code)), agree_s)
        else:
            code = run_agreed(g, exc, describe, agree_s)
        if g.is_main:
            raise
        raise SystemExit(code) from None


def install_excepthook() -> None:
    """Make an uncaught exception on any rank end every rank (after its traceback), as
    ``python -m mpi4py`` does, instead of leaving the others waiting forever."""
    previous = sys.excepthook

    def hook(kind: type, value: BaseException, tb: Any) -> None:
        previous(kind, value, tb)
        from .group import is_initialized
        if is_initialized() and group().size > 1:
            sys.stderr.flush()
            time.sleep(FORWARD_SECONDS)  # as in run_agreed: let the launcher forward it
            group().comm.Abort(1)

    if getattr(sys.excepthook, "_tgcnn_abort", False):
        return
    hook._tgcnn_abort = True  # type: ignore[attr-defined]
    sys.excepthook = hook
