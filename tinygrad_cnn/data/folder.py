"""Image folders: ``root/<class>/**/*.png|jpg|jpeg|bmp|npy``, classes in sorted order.

A ``root/test/<class>/`` folder gives the test split (then the training classes are the other
folders of ``root``, or those of ``root/train/`` when it exists); without one, a seeded stratified
hold-out is used. All images must have one size; colour images make the whole dataset RGB,
otherwise it is greyscale (L). ``.npy`` images must be uint8 (H, W), (H, W, C) or (C, H, W).
Nothing outside the root is read: a file or folder that is a link to somewhere else is refused
(``follow_links=True`` allows it).

Example:
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for c in ("cat", "dog"):
    ...     (root / c).mkdir()
    ...     for i in range(4): Image.new("RGB", (8, 6)).save(root / c / f"{i}.png")
    >>> s = load_folder(root); s.classes, s.input_shape, len(s.train) + len(s.test)
    (['cat', 'dog'], (3, 6, 8), 8)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .dataset import DEFAULT_TEST_FRACTION, Dataset, DatasetSplits, holdout, make_splits
from .errors import DataError
from .files import listing, require_dir
from .images import GREY_MODES, IMAGE_EXTS, decode, npy_image, open_image

EXTS = IMAGE_EXTS + (".npy",)


class _Inside:
    """Refuses paths that resolve outside the dataset root (links out), unless allowed."""

    def __init__(self, root: Path, follow_links: bool) -> None:
        self.root, self.real, self.follow = root, root.resolve(), follow_links

    def __call__(self, p: Path) -> Path:
        if self.follow:
            return p
        real = p.resolve()
        if real != self.real and self.real not in real.parents:
            raise DataError(f"folder: {p} links outside {self.root} (to {real}); refusing to read it:"
                            " copy the file in, or pass follow_links=True")
        return p


def _visible_dirs(d: Path, inside: _Inside | None = None) -> list[Path]:
    found = sorted((p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    return [inside(p) for p in found] if inside is not None else found


def _image_files(d: Path, inside: _Inside | None = None) -> list[Path]:
    found = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in EXTS
                   and not any(part.startswith(".") for part in p.relative_to(d).parts))
    return [inside(p) for p in found] if inside is not None else found


def _scan(root: Path, classes: list[str], split: str, inside: _Inside) -> tuple[list[Path], list[int]]:
    """Files and labels of one split folder whose subfolders are (a subset of) ``classes``."""
    files, labels = [], []
    for d in _visible_dirs(inside(root), inside):
        if d.name not in classes:
            raise DataError(f"folder: {d} is a class folder of the {split} split, but there is no training"
                            f" class '{d.name}' (classes: {', '.join(classes)}); rename or remove it")
        found = _image_files(d, inside)
        if not found:
            raise DataError(f"folder: class folder {d} holds no images ({', '.join(EXTS)}); add images or remove it")
        files += found
        labels += [classes.index(d.name)] * len(found)
    return files, labels


class _Probe:
    """Size and colour of one file, read from its header (or the whole array for .npy)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.suffix.lower() == ".npy":
            self.array = npy_image(path)
            if self.array.dtype != np.uint8:
                raise DataError(f"{path}: .npy images in a folder must be uint8 pixels, found {self.array.dtype};"
                                " save them with .astype(numpy.uint8)")
            self.size = (self.array.shape[2], self.array.shape[1])
            self.grey = self.array.shape[0] == 1
        else:
            self.image = open_image(path)
            self.size = self.image.size
            self.grey = self.image.mode in GREY_MODES

    def pixels(self, mode: str) -> np.ndarray:
        if not hasattr(self, "array"):
            return decode(self.image, self.path, mode)
        a = self.array[:3]
        if mode == "RGB" and a.shape[0] == 1:
            return np.repeat(a, 3, axis=0)
        return a


def _read_all(files: list[Path]) -> tuple[np.ndarray, str]:
    """Decode every file into one uint8 (N, C, H, W) array; mixed sizes raise ``DataError``."""
    probes = []
    for f in files:
        probes.append(_Probe(f))
        if probes[-1].size != probes[0].size:
            (w0, h0), (w1, h1) = probes[0].size, probes[-1].size
            raise DataError(f"folder: images differ in size: {probes[0].path} is {w0}x{h0} but {f} is {w1}x{h1}"
                            " (width x height); resize all images to one size")
    mode = "L" if all(p.grey for p in probes) else "RGB"
    w, h = probes[0].size
    out = np.empty((len(files), 1 if mode == "L" else 3, h, w), np.uint8)
    for i, p in enumerate(probes):
        out[i] = p.pixels(mode)
        if hasattr(p, "image"):
            p.image.close()
    return out, mode


def load_folder(path: str | Path, seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION,
                follow_links: bool = False) -> DatasetSplits:
    """Load an image folder dataset; ``test/`` gives the test split, else a seeded stratified hold-out.
    Links leading outside ``path`` are refused unless ``follow_links``.

    Example:
        >>> load_folder("/nonexistent")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.data.errors.DataError: folder: /nonexistent does not exist; check the path after 'folder:'
    """
    root = require_dir(path, "folder")
    inside = _Inside(root, bool(follow_links))
    test_root = inside(root / "test") if (root / "test").is_dir() else None
    train_root = inside(root / "train") if (root / "train").is_dir() else root
    skip = {"test", "train"} if train_root == root else set()
    class_dirs = [d for d in _visible_dirs(train_root, inside) if d.name not in skip]
    if not class_dirs:
        raise DataError(f"folder: no class folders in {train_root} (found: {listing(train_root)}); expected"
                        f" {train_root}/<class>/*.png|jpg|jpeg|bmp|npy, one folder per class")
    classes = [d.name for d in class_dirs]
    files, labels = [], []
    for i, d in enumerate(class_dirs):
        found = _image_files(d, inside)
        if not found:
            raise DataError(f"folder: class folder {d} holds no images ({', '.join(EXTS)}); add images or remove it")
        files += found
        labels += [i] * len(found)
    test_files, test_labels = _scan(test_root, classes, "test", inside) if test_root else ([], [])
    if test_root is not None and not test_files:
        raise DataError(f"folder: {test_root} holds no class folders with images (found: {listing(test_root)});"
                        f" expected {test_root}/<class>/*.png, or remove it to hold out a test split")
    x, mode = _read_all(files + test_files)
    y = np.array(labels + test_labels, np.int64)
    n = len(files)
    notes = [f"folder: {len(x)} images of {x.shape[3]}x{x.shape[2]} pixels read as {mode}"]
    if test_root is None:
        train, test = holdout(Dataset(x, y, classes), test_fraction, seed)
        notes.append(f"folder: no test/ folder in {root}: held out {len(test)} images"
                     f" ({test_fraction:.0%}, seed {seed}) as the test split")
    else:
        train, test = Dataset(x[:n], y[:n], classes), Dataset(x[n:], y[n:], classes)
    return make_splits(f"folder:{root}", train, test, hflip_ok=False, notes=notes)
