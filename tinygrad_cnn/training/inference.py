"""Use a checkpoint alone: load the model with its class names, input size and normalisation,
then evaluate it on a dataset's test split, predict image files, or picture what it sees.

Example:
    >>> from tinygrad_cnn.testing.examples import example_checkpoint
    >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
    >>> loaded = load_model(path)
    >>> 0.0 <= evaluate_checkpoint(loaded, limit=20).accuracy <= 1.0
    True
    >>> predict_files(loaded, [tmp / "a.png"], k=3)[0][1][0].label in loaded.info.classes
    True
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..data import normalize
from ..nn.module import Module
from .config import DataInfo, OptionError, TrainConfig
from .evaluation import EvalResult, Prediction, evaluate, predict
from .plots import save_grid
from .visualize import activation_maps, conv_filters, filter_tiles, first_conv


@dataclass
class LoadedModel:
    """A model rebuilt from a checkpoint with what it needs to preprocess images."""

    model: Module
    info: DataInfo
    metadata: dict[str, Any]
    path: Path

    @property
    def train_config(self) -> TrainConfig | None:
        """The settings of the run that wrote the checkpoint (None if not ``tgcnn train``)."""
        raw = self.metadata.get("train_config")
        return TrainConfig.from_dict(raw) if isinstance(raw, dict) else None

    def normalise(self, x: np.ndarray) -> np.ndarray:
        """Images in dataset units (N, C, H, W) -> float32 as the model saw them in training
        (:func:`tinygrad_cnn.data.normalize`, the loader's and :func:`evaluate`'s arithmetic).

        Example:
            >>> from tinygrad_cnn.testing.examples import example_checkpoint
            >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
            >>> loaded = load_model(path)
            >>> x = loaded.normalise(np.full((1, 3, 32, 32), 255.0))
            >>> x.dtype, float(x.max())              # (255 - 127.5) / 64
            (dtype('float32'), 1.9921875)
        """
        return normalize(x, self.info.mean, self.info.std)


def load_model(path: str | os.PathLike[str], device: str = "cpu",
               allow_nonfinite: bool = False) -> LoadedModel:
    """Load a checkpoint for inference (evaluation mode); raises ``CheckpointError`` for a bad
    file, also for a checkpoint without data information or with NaN/Inf weights (unless
    ``allow_nonfinite``).

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> loaded.info.classes[:2], loaded.model.training
        (['0', '1'], False)
    """
    from ..checkpoint import load_checkpoint
    from .metadata import check_metadata

    ckpt = load_checkpoint(path, device=device, allow_nonfinite=allow_nonfinite)
    check_metadata(ckpt.metadata, str(path))  # one clear error for any bad type or range
    info = DataInfo.from_metadata(ckpt.metadata)
    ckpt.model.eval()
    _check_runs(ckpt.model, info, str(path))
    return LoadedModel(ckpt.model, info, dict(ckpt.metadata), Path(path))


def _check_runs(model: Module, info: DataInfo, label: str) -> None:
    """One zero image of the recorded input shape through the model: it must give one score
    per recorded class (a checkpoint whose configuration and metadata disagree is refused
    here, in one line, rather than failing inside an evaluation)."""
    from ..autograd import no_grad
    from ..checkpoint import CheckpointError
    from ..tensor import Tensor

    shape = "x".join(str(v) for v in info.input_shape)
    try:
        with no_grad():
            out = model(Tensor(np.zeros((1, *info.input_shape), np.float32),
                               device=_device_of(model)))
    except MemoryError:
        raise CheckpointError(f"{label}: not enough memory to run its model on one {shape} "
                              "image") from None
    except (ValueError, TypeError, RuntimeError, IndexError, OverflowError) as err:
        raise CheckpointError(" ".join(f"{label}: its model does not accept its recorded "
                                       f"{shape} input ({err}): the file is damaged".split())
                              ) from None
    if tuple(out.shape) != (1, len(info.classes)):
        raise CheckpointError(f"{label}: its model gives {tuple(out.shape)[1:]} scores per image "
                              f"but the file records {len(info.classes)} classes: the file is "
                              "damaged")


def _device_of(model: Module) -> str:
    from .evaluation import model_device

    return model_device(model)


def eval_split(loaded: LoadedModel, data: str | None = None, seed: int | None = None,
               limit: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The test split to evaluate on: ``data`` (default: the training run's dataset, seed and
    limit, i.e. the split ``tgcnn train`` reported), checked against the model's input size and
    classes. Returns (x, y, class names).

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> x, y, classes = eval_split(loaded, limit=20)
        >>> x.shape, y.shape, classes[:2]
        ((20, 3, 32, 32), (20,), ['0', '1'])
    """
    from ..data import DataError, load_dataset
    from .run import limited_options

    cfg = loaded.train_config
    spec = data or (cfg.data if cfg else loaded.info.dataset)
    if not spec:
        raise OptionError("data", "the checkpoint does not name its dataset; pass `data=`")
    if data is None and ":" in spec:  # a checkpoint never chooses which local files are read
        raise OptionError("data", f"the checkpoint was trained on {spec!r}, a dataset read "
                                  f"from local files; name it yourself to evaluate on it "
                                  f"(`data={spec}`)")
    if seed is None:
        seed = cfg.seed if cfg else 0
    if limit is None and data is None and cfg is not None:
        limit = cfg.limit
    splits = load_dataset(spec, seed=seed, **limited_options(spec, limit))
    x, y = splits.test.x, splits.test.y
    if limit is not None:
        x, y = x[:limit], y[:limit]
    want = tuple(loaded.info.input_shape)
    if tuple(splits.input_shape) != want:
        c, h, w = splits.input_shape
        raise DataError(f"{spec}: images are {c}x{h}x{w} (CxHxW) but the model expects "
                        f"{want[0]}x{want[1]}x{want[2]}; evaluate on data like the training data")
    k = len(loaded.info.classes)
    if len(splits.classes) != k:
        raise DataError(f"{spec}: {len(splits.classes)} classes but the model has {k}; evaluate "
                        f"on data with the training classes")
    if _named(splits.classes) and _named(loaded.info.classes) and \
            list(splits.classes) != list(loaded.info.classes):
        raise DataError(f"{spec}: classes {', '.join(splits.classes[:4])}... differ from the "
                        f"model's {', '.join(loaded.info.classes[:4])}...; evaluate on data with "
                        f"the training classes, in the same order")
    if len(y) == 0:
        raise DataError(f"{spec}: the test split is empty; add test images")
    return x, y, list(loaded.info.classes)


def _named(classes: Sequence[str]) -> bool:
    """Whether class names are real names rather than the indices a nameless dataset gets."""
    return any(not str(c).isdigit() for c in classes)


def evaluate_checkpoint(loaded: LoadedModel, data: str | None = None, *, seed: int | None = None,
                        limit: int | None = None, batch_size: int = 256, group: Any = None
                        ) -> EvalResult:
    """Loss, accuracy, per-class accuracy and confusion matrix of a checkpoint on a test split
    (see :func:`eval_split`); ``group`` shares the work between the ranks of a job.

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> result = evaluate_checkpoint(loaded, limit=20).to_dict()
        >>> result["num_examples"], 0.0 <= result["accuracy"] <= 1.0
        (20, True)
    """
    x, y, classes = eval_split(loaded, data, seed, limit)
    return evaluate(loaded.model, x, y, batch_size=batch_size, mean=loaded.info.mean,
                    std=loaded.info.std, classes=classes, group=group)


def load_inputs(loaded: LoadedModel, files: Sequence[str | os.PathLike[str]]) -> np.ndarray:
    """Image files (PNG/JPEG/NPY) as (N, C, H, W) in dataset units, resized to the model input.

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> load_inputs(loaded, [tmp / "a.png"]).shape       # 40x30 resized to 32x32
        (1, 3, 32, 32)
    """
    from ..data import load_images

    return load_images(list(files), loaded.info.input_shape, pixel_max=loaded.info.pixel_max)


def predict_files(loaded: LoadedModel, files: Sequence[str | os.PathLike[str]], k: int = 5
                  ) -> list[tuple[str, list[Prediction]]]:
    """Top-``k`` classes with probabilities for each image file, best first.

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> [(Path(f).name, len(top)) for f, top in predict_files(loaded, [tmp / "a.png"], k=3)]
        [('a.png', 3)]
    """
    x = load_inputs(loaded, files)
    top = predict(loaded.model, x, k=k, mean=loaded.info.mean, std=loaded.info.std,
                  classes=loaded.info.classes)
    return [(str(f), t) for f, t in zip(files, top)]


def save_activation_grid(loaded: LoadedModel, image: str | os.PathLike[str], layer: str | None,
                         out: str | os.PathLike[str], limit: int = 64) -> tuple[Path, str, Any]:
    """A PNG grid of ``layer``'s activation maps for ``image``, most activated first (at most
    ``limit``); ``layer`` None means the first conv layer. Returns (path, layer, maps).

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> save_activation_grid(loaded, tmp / "a.png", "1", tmp / "maps.png")[:2]
        (PosixPath('.../maps.png'), '1')
    """
    name = layer if layer is not None else first_conv(loaded.model)[0]
    x = loaded.normalise(load_inputs(loaded, [image]))[0]
    maps = activation_maps(loaded.model, x, name)
    shown = maps.order[:int(limit)]
    labels = [f"#{int(i)} {maps.scores[i]:.3g}" for i in shown]
    title = (f"{name} on {Path(image).name}: {len(shown)} of {len(maps.order)} maps\n"
             f"most activated first; label: #channel mean activation")
    path = save_grid(maps.ranked(limit), out, tile_px=96, labels=labels, title=title)
    return path, name, maps


def save_filter_grid(loaded: LoadedModel, out: str | os.PathLike[str]) -> tuple[Path, str, tuple]:
    """A PNG grid of the first conv layer's learned filters (RGB when it sees 3 channels).
    Returns (path, layer name, weight shape).

    Example:
        >>> from tinygrad_cnn.testing.examples import example_checkpoint
        >>> path = example_checkpoint(); tmp = path.parent    # model.h5, a.png
        >>> loaded = load_model(path)
        >>> save_filter_grid(loaded, tmp / "filters.png")[1:]
        ('0', (2, 3, 3, 3))
    """
    name, w = conv_filters(loaded.model)
    tiles = filter_tiles(w)
    per = len(tiles) // max(int(w.shape[0]), 1)  # grey filters: one tile per input channel
    labels = ([f"#{i}" for i in range(len(tiles))] if per <= 1
              else [f"#{i // per} in {i % per}" for i in range(len(tiles))])
    title = f"{name}: {w.shape[0]} filters {w.shape[2]}x{w.shape[3]} ({loaded.path.name})"
    path = save_grid(tiles, out, tile_px=64, labels=labels, title=title)
    return path, name, tuple(w.shape)
