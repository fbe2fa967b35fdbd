"""``python -m tinygrad_cnn``: the ``tgcnn`` command line.

The CLI is installed as the package ``tinygrad_cnn_cli`` (the ``cli/`` folder); in a source
checkout used without installing, that folder is loaded under the same name.

Example:
    $ python -m tinygrad_cnn train --epochs 1 --limit 64
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_cli(module: str = "main") -> ModuleType:
    """The ``tinygrad_cnn_cli.<module>`` module, from the installed package or the checkout.

    Example:
        >>> load_cli().cli.name
        'tgcnn'
    """
    try:
        return importlib.import_module(f"tinygrad_cnn_cli.{module}")
    except ModuleNotFoundError as err:
        if err.name != "tinygrad_cnn_cli":
            raise
    folder = Path(__file__).resolve().parent.parent / "cli"
    spec = importlib.util.spec_from_file_location(
        "tinygrad_cnn_cli", folder / "__init__.py", submodule_search_locations=[str(folder)])
    if spec is None or spec.loader is None or not folder.is_dir():
        raise ModuleNotFoundError("tinygrad_cnn_cli is not installed: pip install tinygrad-cnn")
    package = importlib.util.module_from_spec(spec)
    sys.modules["tinygrad_cnn_cli"] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"tinygrad_cnn_cli.{module}")


def main() -> None:
    """Run the command line with ``sys.argv`` (through the Ctrl-C-safe entry point)."""
    load_cli("entry").main()


if __name__ == "__main__":
    main()
