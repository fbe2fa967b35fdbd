"""The ``tgcnn`` process entry point: Ctrl-C is exact from the first instant to the last.

This module imports nothing heavy, so that the Ctrl-C policy is in place before the
framework, Numba or click load. The policy (:class:`Interrupts`), for the whole process:

- first Ctrl-C during training: the trainer finishes the current batch, saves, and the
  command exits 130 with the resume line (the trainer attaches itself, see
  :meth:`Interrupts.attach`);
- first Ctrl-C anywhere else (start-up, data loading, compilation, the test evaluation,
  printing): ``KeyboardInterrupt``, which the command turns into one line saying what was
  saved, exit 130;
- second Ctrl-C, or a first one once the command has finished: one line and exit 130 at
  once (``os._exit``: no clean-up code runs, so nothing can be half-done by it; a save in
  progress leaves its temporary file, removed by the next save, and the last complete
  checkpoint untouched);
- once an "interrupted..." line is being written, further Ctrl-C are ignored: the process is
  ending, and a second line would contradict the first.

The process ends with ``os._exit`` after flushing its output, so a Ctrl-C cannot land in
the interpreter's own shutdown.

Example:
    $ tgcnn train --epochs 3      # Ctrl-C: "interrupted at epoch 2 after batch 7; ..."
"""
from __future__ import annotations

import os
import signal
import sys

# no other import above main(): everything imported before the handler is installed is a
# window in which Ctrl-C would end in Python's own traceback (``typing`` alone takes ~3 ms)

EXIT_INTERRUPTED = 130


class Interrupts:
    """The process-wide SIGINT handler (installed by :func:`main`)."""

    def __init__(self) -> None:
        self.count = 0
        self.finished = False
        self._on_first: Callable[[], None] | None = None
        self._checkpoint: Callable[[], str | None] | None = None
        self.checkpoint: str | None = None  # the last complete checkpoint known

    def attach(self, on_first: Callable[[], None], checkpoint: Callable[[], str | None]) -> None:
        """While training: the first Ctrl-C calls ``on_first`` (stop after this batch, save)
        instead of raising; ``checkpoint()`` names the last complete checkpoint."""
        self._on_first, self._checkpoint = on_first, checkpoint
        if self.count:  # Ctrl-C arrived just before training started
            on_first()

    def detach(self) -> None:
        """Training is over: remember its last checkpoint, raise on the next first Ctrl-C."""
        self.note_checkpoint(self._checkpoint() if self._checkpoint else None)
        self._on_first = self._checkpoint = None

    def note_checkpoint(self, path: str | os.PathLike[str] | None) -> None:
        """Record ``path`` as the last complete checkpoint (named by the immediate exit)."""
        if path is not None:
            self.checkpoint = os.fspath(path)

    def last_checkpoint(self) -> str | None:
        if self._checkpoint is not None:
            path = self._checkpoint()
            if path is not None:
                return path
        return self.checkpoint

    def __call__(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.finished:
            self.exit_now("interrupted while exiting; the command had finished")
        if self.count > 1:
            self.exit_now("interrupted again: stopped at once")
        if self._on_first is not None:
            try:
                self._on_first()
            except Exception:  # noqa: BLE001 - e.g. a re-entrant print: the stop is requested
                pass
            return
        raise KeyboardInterrupt

    @staticmethod
    def ignore_further() -> None:
        """The process writes its one "interrupted..." line and ends: a further Ctrl-C, which
        would print a second one, is ignored from here (process-wide, whichever thread the
        signal reaches)."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_now(self, what: str) -> None:
        """Write one line and end the process with 130, running no clean-up code."""
        self.ignore_further()
        path = self.last_checkpoint()
        if path is not None:
            what += f"; the last complete checkpoint is {path}"
            if not self.finished:
                what += f"; resume with: tgcnn train --resume {_quote(path)}"
        elif not self.finished:
            what += "; nothing was saved"
        _flush()
        try:  # end a progress bar's line on a terminal
            fresh = "\n" if os.isatty(2) else ""
        except OSError:
            fresh = ""
        os.write(2, f"{fresh}{what}\n".encode("utf-8", "replace"))
        os._exit(EXIT_INTERRUPTED)


def _quote(path: str) -> str:
    return f"'{path}'" if any(c.isspace() for c in path) else path


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed pipe: nothing more to show
            pass


def current() -> Interrupts | None:
    """The installed policy, or None (the CLI run in-process, e.g. by tests)."""
    handler = signal.getsignal(signal.SIGINT)
    return handler if isinstance(handler, Interrupts) else None


def main() -> None:
    """Console-script entry point: install the Ctrl-C policy, run the CLI, exit."""
    interrupts = Interrupts()
    signal.signal(signal.SIGINT, interrupts)
    previous_hook = sys.unraisablehook

    def quiet_interrupts(unraisable):  # type: ignore[no-untyped-def]
        # the first Ctrl-C landing in a finaliser (__del__, a weakref callback) is swallowed
        # there by Python, which would print a traceback: stay quiet, it is still counted
        # (the trainer stops after its batch; a command that ends anyway exits 130 below)
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous_hook(unraisable)

    sys.unraisablehook = quiet_interrupts
    code: int = 1
    try:
        try:
            from .main import main as run

            run()
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        interrupts.finished = True  # from here on a Ctrl-C exits at once
        if interrupts.count and code == 0:  # a Ctrl-C swallowed by a finaliser
            interrupts.exit_now("interrupted")
    except KeyboardInterrupt:  # only before the command's own handling is in place
        interrupts.exit_now("interrupted")
    _flush()
    _finalize_mpi()
    os._exit(code)


def _finalize_mpi() -> None:
    """Under mpiexec, leave the job properly: ``os._exit`` skips mpi4py's own finalisation, and
    a rank that ends without it makes the launcher kill the others, maybe before rank 0 has
    printed the job's one error line."""
    mpi = sys.modules.get("mpi4py.MPI")
    try:
        if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized():
            mpi.Finalize()
    except Exception:  # noqa: BLE001 - leaving anyway: the exit code is what matters
        pass
