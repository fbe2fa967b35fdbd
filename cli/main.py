"""The ``tgcnn`` click group: ``train``, ``eval``, ``predict``, ``summary``, ``visualize``,
``layers``, ``lab``, ``import``, ``export``.

Errors: every user mistake ends in one line on stderr (``Error: ...``) and exit code 2 (bad
usage) or 1 (failure); Ctrl-C exits 130. Set ``TGCNN_DEBUG=1`` to see tracebacks.

Example:
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(cli, ["--version"]).output.startswith("tgcnn, version")
    True
"""
from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import click

from tinygrad_cnn.errors import one_line

from .errors import EXIT_INTERRUPTED, EXIT_OK, describe
from .evaluate import eval_command
from .export_cmd import export_command
from .import_cmd import import_command
from .lab import lab_command
from .layers import layers_command
from .predict import predict_command
from .summary import summary_command
from .train import train_command
from .visualize import visualize_command

EXAMPLES = """
\b
Examples:
  tgcnn train                          # train a small VGG on the built-in data -> runs/train/shapes-1/
  tgcnn eval model.h5 --json
  tgcnn predict model.h5 image.png
  tgcnn visualize model.h5 image.png --layer features.0
  tgcnn summary vgg16
  tgcnn layers
  tgcnn lab sobel                      # a claim of the CNN notes as a small experiment
"""


def _version() -> str:
    from tinygrad_cnn import __version__

    return __version__


def _format_warning(message: Any, category: type, filename: str, lineno: int,
                    line: str | None = None) -> str:
    return f"warning: {one_line(message)}\n"


class TgcnnGroup(click.Group):
    """A click group whose ``main`` reports known errors as one line with the right exit code
    (also under ``CliRunner``), instead of click's usage block or a traceback."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        saved_format = warnings.formatwarning
        warnings.formatwarning = _format_warning  # plugin warnings: one line each
        try:
            with warnings.catch_warnings():
                # numpy's floating-point noise ("overflow encountered in ..."): a diverging run
                # is reported once, by the trainer's NaN/Inf check
                warnings.filterwarnings("ignore", category=RuntimeWarning,
                                        message=".*encountered in")
                from .mpi import guard  # under mpiexec: a failure on any rank ends them all
                with guard(lambda exc: describe(exc, _command_path(exc, args))):
                    rv = super().main(args, prog_name or "tgcnn", complete_var, False, **extra)
        except BaseException as exc:  # noqa: BLE001 - sorted below: known ones become one line
            if isinstance(exc, SystemExit):
                raise
            no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
            if no_args is not None and isinstance(exc, no_args):  # bare `tgcnn`: show the help
                click.echo(exc.ctx.get_help())
                sys.exit(EXIT_OK)
            command = _command_path(exc, args)
            known = describe(exc, command)
            if known is None:
                raise
            if os.environ.get("TGCNN_DEBUG"):
                import traceback
                traceback.print_exc()
            code, message = known
            if code == EXIT_INTERRUPTED:
                from .entry import current
                interrupts = current()
                if interrupts is not None:  # the line below is the one: no second one
                    interrupts.ignore_further()
            from .mpi import is_main_process
            if is_main_process():  # under mpiexec every rank fails alike: rank 0 reports
                # a deliberate Ctrl-C is no error: its line says what was kept, unprefixed
                click.echo(message if code == EXIT_INTERRUPTED else f"Error: {message}",
                           err=True)
            sys.exit(code)
        finally:
            warnings.formatwarning = saved_format
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def _command_path(exc: BaseException, args: Any) -> str:
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        return ctx.command_path
    argv = list(args) if args is not None else sys.argv[1:]
    name = next((a for a in argv if not a.startswith("-")), None)
    return f"tgcnn {name}" if name in _COMMANDS else "tgcnn"


@click.group("tgcnn", cls=TgcnnGroup, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="tgcnn", message="%(prog)s, version %(version)s")
def cli() -> None:
    """tgcnn: train, evaluate and inspect convolutional image classifiers (tinygrad-cnn)."""


_COMMANDS = {"train": train_command, "eval": eval_command, "predict": predict_command,
             "summary": summary_command, "visualize": visualize_command,
             "layers": layers_command, "lab": lab_command, "import": import_command,
             "export": export_command}
for _name, _command in _COMMANDS.items():
    cli.add_command(_command, _name)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``tgcnn``) and ``python -m tinygrad_cnn``."""
    cli.main(args=argv, prog_name="tgcnn")


if __name__ == "__main__":
    main()
