"""The error vocabulary of tinygrad-cnn: one base class, a kind per error, one-line messages.

Every exception the library raises for a caller's mistake or a failure it can explain derives
from :class:`TinygradCNNError` (and keeps its built-in base, e.g. ``ValueError``, so existing
``except`` clauses still work). Its ``kind`` says what it is:

- ``USAGE``: the caller asked for something impossible (a bad argument, an unknown name);
- ``FAILURE``: the request was fine but the work failed (unreadable data, a corrupt file);
- ``INTERRUPTED``: the user stopped the work (Ctrl-C).

Messages name Python arguments, written in backticks as a call would spell them
(```overwrite=True```, ```out=```); a front end such as the CLI turns them into its own words
(flags). This module imports nothing, so every layer (kernels included) may use it.

Example:
    >>> err = OptionError("out", "is empty; pass a file name such as model.h5")
    >>> err.kind, err.argument, str(err)
    ('usage', 'out', 'out: is empty; pass a file name such as model.h5')
    >>> one_line("cannot read x.h5:\\n  truncated")
    'cannot read x.h5: truncated'
"""
from __future__ import annotations

import re

USAGE, FAILURE, INTERRUPTED = "usage", "failure", "interrupted"

#: ```name=value``` / ```name=``` in a message: a reference to the Python argument ``name``
ARGUMENT_REFERENCE = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)=([^`]*)`")


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) folded into one space.

    Example:
        >>> one_line("a\\n  b ")
        'a b'
    """
    return " ".join(str(text).split())


class TinygradCNNError(Exception):
    """Base of the library's own errors; ``kind`` is ``USAGE``, ``FAILURE`` or ``INTERRUPTED``.

    ``argument`` names the Python argument at fault, when there is one (else ``None``).

    Example:
        >>> from tinygrad_cnn.data import DataError
        >>> err = DataError("x.npz: no array 'y'")
        >>> isinstance(err, TinygradCNNError), err.kind
        (True, 'failure')
    """

    kind: str = FAILURE
    argument: str | None = None

    def __str__(self) -> str:  # one message, never a tuple or a quoted key
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()

    @property
    def detail(self) -> str:
        """The message without the argument's name in front (the whole message if none)."""
        return str(self)


class OptionError(TinygradCNNError, ValueError):
    """A bad value for the argument (setting) ``argument``; the message says what to pass.

    Example:
        >>> str(OptionError("lr", "must be positive, got -1"))
        'lr: must be positive, got -1'
    """

    kind = USAGE

    def __init__(self, argument: str, message: str) -> None:
        self.argument, self._detail = argument, message
        super().__init__(f"{argument}: {message}")

    @property
    def detail(self) -> str:
        """The message without ``"argument: "`` in front."""
        return self._detail

    @property
    def option(self) -> str:
        """The argument's name (as :class:`~tinygrad_cnn.training.TrainConfig` spells it)."""
        return self.argument or ""
