"""Datasets, readers and the data loader of tinygrad-cnn (pure numpy; Pillow/h5py for files).

Independent of the rest of the framework: the CLI calls ``load_dataset(spec, seed, **options)``
to get a ``DatasetSplits`` (train/test ``Dataset``s, class names, input shape, per-channel
normalisation), ``train_val_split`` to carve out validation data, ``DataLoader`` to iterate
batches, and ``load_image`` to prepare files for predict. Every user mistake raises
``DataError`` (a ``ValueError``) with a one-line message.

Example:
    >>> from tinygrad_cnn.data import load_dataset, DataLoader, train_val_split
    >>> s = load_dataset("shapes", seed=0, n_train=100, n_test=20)
    >>> xtr, ytr, xva, yva = train_val_split(s.train.x, s.train.y, 0.1, seed=0)
    >>> dl = DataLoader(xtr, ytr, batch_size=32, seed=0, normalise=(s.mean, s.std), augment=True)
    >>> xb, yb = next(iter(dl)); xb.shape, yb.dtype
    ((32, 3, 32, 32), dtype('int64'))
"""
from .catalog import DatasetKind, available_datasets, load_dataset, parse_spec
from .cifar import safe_unpickle
from .dataset import (DataInfo, Dataset, DatasetSplits, channel_stats, check_labels,
                      make_splits, stratified_split, train_val_split)
from .errors import DataError
from .idx import read_idx, write_idx
from .images import load_image, load_images
from .loader import DataLoader, default_pad, random_crop, random_hflip
from .normalize import Normalizer, normalize
from .shapes import CLASSES as SHAPES_CLASSES
from .shapes import generate_shapes

__all__ = [
    "DataError", "DataInfo", "Dataset", "DatasetSplits", "DatasetKind", "DataLoader",
    "load_dataset", "available_datasets", "parse_spec", "train_val_split", "stratified_split",
    "load_image", "load_images", "generate_shapes", "SHAPES_CLASSES", "channel_stats", "check_labels",
    "make_splits", "read_idx", "write_idx", "safe_unpickle", "default_pad", "random_crop", "random_hflip",
    "Normalizer", "normalize",
]
