"""Ctrl-C during :meth:`Trainer.fit`: the first asks the loop to stop after its batch (it
then saves), a second stops at once. A process-wide policy (the ``tgcnn`` entry point's) is
attached to instead of replaced.

Example:
    >>> undo = install_stop_handler(lambda: None, lambda: None, lambda: False)
    >>> undo is None or callable(undo)
    True
    >>> _ = undo() if undo else None
"""
from __future__ import annotations

import signal
import threading
from typing import Any, Callable


def install_stop_handler(request_stop: Callable[[], None],
                         last_checkpoint: Callable[[], str | None],
                         stop_requested: Callable[[], bool]) -> Callable[[], Any] | None:
    """Route SIGINT to ``request_stop`` (main thread only); returns how to undo it (or None).

    ``last_checkpoint`` tells a process-wide policy which checkpoint is complete;
    ``stop_requested`` tells whether a stop is already under way (a second Ctrl-C then raises
    ``KeyboardInterrupt``)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if callable(getattr(previous, "attach", None)):  # a process-wide policy calls us
        previous.attach(request_stop, last_checkpoint)
        return previous.detach

    def handler(signum: int, frame: Any) -> None:
        if stop_requested():  # second Ctrl-C: stop now
            restore = previous if callable(previous) else signal.default_int_handler
            signal.signal(signal.SIGINT, restore)
            raise KeyboardInterrupt
        request_stop()

    signal.signal(signal.SIGINT, handler)
    return None if previous is None else lambda: signal.signal(signal.SIGINT, previous)
