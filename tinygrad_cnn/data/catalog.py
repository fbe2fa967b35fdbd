"""The single entry point: ``load_dataset("KIND:PATH" | "NAME")`` and the list of dataset kinds.

Plain names select the built-in datasets (``shapes``, ``digits``); ``KIND:PATH`` reads files from
disk (``mnist``, ``fashion-mnist``, ``cifar10``, ``folder``, ``npz``, ``h5``). Keyword options are
checked against what the kind accepts; ``None`` values are ignored so a CLI can pass its defaults.

Example:
    >>> s = load_dataset("shapes", seed=3, n_train=40, n_test=20)
    >>> s.name, s.input_shape, s.num_classes
    ('shapes', (3, 32, 32), 10)
    >>> [k.name for k in available_datasets()][:2]
    ['shapes', 'digits']
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .arrays import load_h5, load_npz
from .cifar import load_cifar10
from .dataset import DatasetSplits
from .digits import load_digits
from .errors import DataError
from .folder import load_folder
from .idx import load_fashion_mnist, load_mnist
from .shapes import load_shapes


@dataclass(frozen=True)
class DatasetKind:
    """One kind of dataset: how to name it, what files it expects, which options it takes."""

    name: str
    usage: str
    description: str
    files: str
    options: tuple[str, ...]
    takes_seed: bool
    loader: Callable[..., DatasetSplits]

    @property
    def needs_path(self) -> bool:
        """True for kinds read from disk (``KIND:PATH``)."""
        return self.usage.endswith(":PATH")


_IDX = "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)"
_KINDS = [
    DatasetKind("shapes", "shapes", "built-in: 10 classes of coloured shapes and stripe orientations, 32x32x3,"
                " generated from the seed (default 6000 train / 1000 test)", "none (generated)",
                ("n_train", "n_test", "size", "noise"), True, load_shapes),
    DatasetKind("digits", "digits", "built-in: UCI handwritten digits from scikit-learn, 8x8 grey, 10 classes,"
                " seeded 15% test hold-out (needs scikit-learn)", "none (ships with scikit-learn)",
                ("test_fraction",), True, load_digits),
    DatasetKind("mnist", "mnist:PATH", "MNIST IDX files in PATH (also PATH/raw)", _IDX, (), False, load_mnist),
    DatasetKind("fashion-mnist", "fashion-mnist:PATH", "Fashion-MNIST IDX files (MNIST names) in PATH", _IDX, (),
                False, load_fashion_mnist),
    DatasetKind("cifar10", "cifar10:PATH", "CIFAR-10 binary or python version in PATH or its"
                " cifar-10-batches-bin/-py subfolder",
                "data_batch_1..5.bin + test_batch.bin (+ batches.meta.txt), or data_batch_1..5 + test_batch"
                " + batches.meta (python pickles, loaded with a restricted unpickler)", (), False, load_cifar10),
    DatasetKind("folder", "folder:PATH", "image folder, one subfolder per class (sorted); PATH/test/<class>/ is the"
                " test split, else a seeded 15% hold-out", "PATH/<class>/*.png|jpg|jpeg|bmp|npy, all the same size",
                ("test_fraction", "follow_links"), True, load_folder),
    DatasetKind("npz", "npz:PATH", "numpy .npz archive", "arrays x (NHWC, NCHW or NHW) and y (0..K-1); optional"
                " x_test/y_test, classes; or a sibling <stem>_test.npz / test.npz", ("test_fraction", "layout"),
                True, load_npz),
    DatasetKind("h5", "h5:PATH", "HDF5 file", "top-level datasets x (NHWC, NCHW or NHW) and y (0..K-1); optional"
                " x_test/y_test, classes; or a sibling <stem>_test.h5 / test.h5", ("test_fraction", "layout"),
                True, load_h5),
]
_BY_NAME = {k.name: k for k in _KINDS}
_ALIASES = {"fashion": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
            "cifar": "cifar10", "cifar-10": "cifar10", "hdf5": "h5", "images": "folder"}


def available_datasets() -> list[DatasetKind]:
    """All dataset kinds, built-ins first, with usage, description, expected files and options.

    Example:
        >>> {k.name: k.usage for k in available_datasets()}["mnist"]
        'mnist:PATH'
    """
    return list(_KINDS)


def _guess_kind(spec: str) -> str:
    """A hint for a bare path given without ``KIND:``."""
    p = Path(spec).expanduser()
    if p.is_dir():
        return f"; it is a directory: use folder:{spec}, mnist:{spec} or cifar10:{spec}"
    ext = p.suffix.lower()
    if ext == ".npz":
        return f"; use npz:{spec}"
    if ext in (".h5", ".hdf5"):
        return f"; use h5:{spec}"
    return ""


def parse_spec(spec: str) -> tuple[DatasetKind, str | None]:
    """Split ``"KIND:PATH"`` or ``"NAME"`` into a dataset kind and a path (``None`` for built-ins).

    Example:
        >>> k, path = parse_spec("npz:data/train.npz"); k.name, path
        ('npz', 'data/train.npz')
    """
    spec = str(spec).strip()
    names = ", ".join(k.usage for k in _KINDS)
    if not spec:
        raise DataError(f"empty dataset name; use one of {names}")
    kind_name, sep, path = spec.partition(":")
    key = _ALIASES.get(kind_name.lower(), kind_name.lower())
    kind = _BY_NAME.get(key)
    if kind is None:
        hint = _guess_kind(spec) if not sep else ""
        close = difflib.get_close_matches(key, list(_BY_NAME), n=2)
        if close and not hint:
            hint = f" (did you mean {' or '.join(close)}?)"
        raise DataError(f"unknown dataset '{spec}'{hint}; use one of {names}")
    if kind.needs_path and not path.strip():
        raise DataError(f"dataset kind '{kind.name}' needs a path: use {kind.name}:PATH ({kind.files})")
    if not kind.needs_path and sep:
        raise DataError(f"'{kind.name}' is built in and takes no path; use just '{kind.name}'")
    return kind, (path.strip() if kind.needs_path else None)


def load_dataset(spec: str, seed: int = 0, **options: Any) -> DatasetSplits:
    """Load a dataset from a spec string; the only entry point the CLI needs.

    ``seed`` drives generation (shapes) and every seeded hold-out; ``options`` are per kind
    (see ``available_datasets()``): ``n_train``, ``n_test``, ``size``, ``noise`` (shapes),
    ``test_fraction`` (digits, folder, npz, h5), ``layout`` (npz, h5). ``None`` values are ignored.
    Every problem raises ``DataError`` with a one-line message.

    Example:
        >>> s = load_dataset("shapes", seed=0, n_train=20, n_test=10, test_fraction=None)
        >>> len(s.train), len(s.test), s.classes[0]
        (20, 10, 'square')
    """
    kind, path = parse_spec(spec)
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(kind.options))
    if unknown:
        accepted = ", ".join(kind.options) or "none"
        raise DataError(f"dataset '{kind.name}' does not take option(s) {', '.join(unknown)}; accepted: {accepted}")
    args: list[Any] = [path] if path is not None else []
    if kind.takes_seed:
        given["seed"] = int(seed)
    try:
        return kind.loader(*args, **given)
    except DataError:
        raise
    except (TypeError, ValueError, OverflowError) as e:  # a mistyped option value, e.g. n_train="abc"
        raise DataError(f"dataset '{kind.name}': bad option value ({e}); check the option types") from None
