"""Labs: every claim of the CNN-fundamentals notes as a small, real experiment run by the
framework. Each lab is one module with a ``run(out, seed=0, ...)`` function built on the public
API only (so it doubles as an example of it) that returns a :class:`LabResult` -- tables,
findings, raw numbers -- and writes one PNG into ``out``.

Importing this package is cheap: a lab's module (and numpy, training, ...) is imported when the
lab runs.

Example:
    >>> [lab.name for lab in available_labs()]
    ['sobel', 'parameters', 'shapes', 'pooling', 'translation', 'filters', 'activations']
    >>> import tempfile
    >>> run_lab("pooling", tempfile.mkdtemp()).data["pooled"].tolist()
    [[6.0, 8.0], [3.0, 4.0]]
"""
from __future__ import annotations

import importlib
import inspect
import os
from dataclasses import dataclass
from typing import Any

#: the default output folder of a lab, relative to the working directory
DEFAULT_OUT = os.path.join("runs", "lab")


@dataclass(frozen=True)
class LabInfo:
    """One lab: its name, the notes' sections it checks and what it shows."""

    name: str
    sections: str
    summary: str

    def options(self) -> list[str]:
        """Names of the lab's settings beyond ``out`` (imports the lab's module).

        Example:
            >>> LABS["translation"].options()
            ['seed', 'data', 'epochs', 'max_shift', 'limit']
        """
        params = inspect.signature(self.module().run).parameters
        return [p for p in params if p != "out"]

    def module(self) -> Any:
        """The lab's module, imported on first use.

        Example:
            >>> LABS["sobel"].module().__name__
            'tinygrad_cnn.labs.sobel'
        """
        return importlib.import_module(f"{__name__}.{self.name}")


LABS: dict[str, LabInfo] = {lab.name: lab for lab in [
    LabInfo("sobel", "3.2-3.4", "a 6x6 vertical edge convolved with the Sobel kernel step by "
            "step; the kernel, its transpose and diagonals on a real digit"),
    LabInfo("parameters", "1.2, 3.6-3.7", "parameters of conv layers (28, 56), VGG-16 and the "
            "notes' MLP, counted on built models; the '300 billion' claim checked"),
    LabInfo("shapes", "2.1", "the shape of the data through VGG-16 at 224x224x3, block by block"),
    LabInfo("pooling", "3.9", "2x2 max-pooling of a 4x4 slice; what pooling does to map sizes "
            "and parameters downstream"),
    LabInfo("translation", "1.1, 1.3", "an MLP and CNNs of similar size tested on held-out "
            "images shifted by 0..k pixels"),
    LabInfo("filters", "3.8", "what the first layer's filters respond to after brief training "
            "on shapes"),
    LabInfo("activations", "3.5, 4.1", "activation maps of one image at every block of a "
            "trained CNN, most activated first"),
]}


def available_labs() -> list[LabInfo]:
    """Every lab, in the order of the notes (see the module example)."""
    return list(LABS.values())


def run_lab(name: str, out: str | os.PathLike[str] = DEFAULT_OUT, **options: Any) -> Any:
    """Run lab ``name`` writing into ``out`` with ``options`` (see each lab's ``run``); an
    unknown lab or an option the lab does not take raises ``OptionError``."""
    from tinygrad_cnn.training import OptionError

    if name not in LABS:
        raise OptionError("name", f"no lab {name!r}; choose one of: {', '.join(LABS)}")
    lab = LABS[name]
    accepted = lab.options()
    for key in options:
        if key not in accepted:
            raise OptionError(key, f"is not a setting of the {name} lab; it takes: "
                                   f"{', '.join(accepted) or 'none'}")
    return lab.module().run(out, **options)


from .result import LabResult, Table  # noqa: E402  (light: no numpy)

__all__ = ["LABS", "LabInfo", "available_labs", "run_lab", "LabResult", "Table", "DEFAULT_OUT"]
