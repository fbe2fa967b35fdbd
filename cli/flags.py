"""The library speaks of Python arguments, the CLI of flags: the one translation between them.

The table is derived from each command's click options (``batch_size`` -> ``--batch-size``,
``augment`` -> ``--augment``/``--no-augment``), so a renamed flag needs no second edit. Library
messages write an argument as a call would (```overwrite=True```, ```out=```, ```epochs=5```;
see :mod:`tinygrad_cnn.errors`); :func:`to_flags` rewrites them as the command line would.
A knob the library sets with a function rather than an argument is named by that call
(```set_max_data_bytes()```); :data:`SETTER_OPTIONS` says which option sets the same knob.

Example:
    >>> table = {"overwrite": ("--overwrite", None), "out": ("--out", None)}
    >>> to_flags("pass `overwrite=True` to replace it, or another `out=`", table)
    'pass --overwrite to replace it, or another --out'
"""
from __future__ import annotations

import re
from typing import Mapping

import click

from tinygrad_cnn.errors import ARGUMENT_REFERENCE

#: argument name -> (flag, negative flag or None)
FlagTable = Mapping[str, "tuple[str, str | None]"]

#: a library call named in messages (```set_max_data_bytes()```) -> the Python name of the
#: option that makes the same call (its flag comes from the command, as for arguments)
SETTER_OPTIONS = {"set_max_data_bytes()": "max_data_bytes", "set_strict(True)": "strict_plugins"}
SETTER_REFERENCE = re.compile("`(" + "|".join(re.escape(s) for s in SETTER_OPTIONS) + ")`")


def argument_flags(command: click.Command | None) -> dict[str, tuple[str, str | None]]:
    """Each option of ``command`` by its Python name: its long flag and negative flag.

    Example:
        >>> @click.command()
        ... @click.option("--batch-size", type=int)
        ... @click.option("--augment/--no-augment")
        ... def cmd(batch_size, augment): ...
        >>> argument_flags(cmd)
        {'batch_size': ('--batch-size', None), 'augment': ('--augment', '--no-augment')}
    """
    table: dict[str, tuple[str, str | None]] = {}
    for param in command.params if command is not None else ():
        if not isinstance(param, click.Option) or not param.name:
            continue
        longs = [o for o in param.opts if o.startswith("--")]
        negatives = [o for o in param.secondary_opts if o.startswith("--")]
        if longs:
            table[param.name] = (longs[0], negatives[0] if negatives else None)
    return table


def command_flags(command_path: str) -> dict[str, tuple[str, str | None]]:
    """The flag table of the ``tgcnn`` subcommand named last in ``command_path``
    (``"tgcnn train"``); the options of every subcommand when it names none.

    Example:
        >>> command_flags("tgcnn train")["val_split"]
        ('--val-split', None)
    """
    from .main import cli

    words = str(command_path).split()
    command = cli.commands.get(words[-1]) if len(words) > 1 else None
    if command is not None:
        return argument_flags(command)
    table: dict[str, tuple[str, str | None]] = {}
    for sub in cli.commands.values():
        table = {**argument_flags(sub), **table}
    return table


def flag(argument: str, table: FlagTable) -> str:
    """The flag of ``argument``; an argument no option carries keeps its own name.

    Example:
        >>> flag("batch_size", {"batch_size": ("--batch-size", None)}), flag("n_train", {})
        ('--batch-size', 'n_train')
    """
    return table[argument][0] if argument in table else argument


def to_flags(text: str, table: FlagTable) -> str:
    """``text`` with each argument reference (```name=value```) written as a flag: ``True``
    gives the flag alone, ``False`` its negative, an empty value the flag alone, any other
    value the flag and the value. A name no option carries is left as ``name=value``. A
    call of :data:`SETTER_OPTIONS` becomes its option's flag (or stays the call).

    Example:
        >>> to_flags("pass `epochs=12` or more; or `augment=False`",
        ...          {"epochs": ("--epochs", None), "augment": ("--augment", "--no-augment")})
        'pass --epochs 12 or more; or --no-augment'
        >>> to_flags("raise it (`set_max_data_bytes()` or TGCNN_MAX_DATA_BYTES)",
        ...          {"max_data_bytes": ("--max-data-bytes", None)})
        'raise it (--max-data-bytes or TGCNN_MAX_DATA_BYTES)'
    """
    def setter(match: re.Match[str]) -> str:
        option = SETTER_OPTIONS[match.group(1)]
        return table[option][0] if option in table else match.group(1)

    def rewrite(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name not in table:
            return f"{name}={value}"
        on, off = table[name]
        if value == "False" and off:
            return off
        return on if value in ("", "True") else f"{on} {value}"

    return ARGUMENT_REFERENCE.sub(rewrite, SETTER_REFERENCE.sub(setter, text))
