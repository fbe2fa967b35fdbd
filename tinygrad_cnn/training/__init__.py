"""Training, evaluation, prediction and visualisation: everything ``tgcnn`` does, from Python.

* :class:`Trainer` / :func:`fit` — the loop (history, checkpoints, exact resume, Ctrl-C, NaN).
* :func:`train` / :func:`resume` — whole runs from a :class:`TrainConfig` (``tgcnn train``).
* :func:`evaluate` / :func:`predict` — loss, accuracy, per-class accuracy, confusion matrix;
  top-k classes.
* :func:`load_model`, :func:`evaluate_checkpoint`, :func:`predict_files` — a checkpoint alone.
* :func:`activation_maps`, :func:`conv_filters`, :func:`save_grid`, :func:`save_curves` —
  what the network sees, as PNGs.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn.training import TrainConfig, train
    >>> out = Path(tempfile.mkdtemp()) / "model.h5"
    >>> result = train(TrainConfig(epochs=1, limit=32, width=0.125, out=str(out)))
    >>> print(f"test accuracy {result.test.accuracy:.1%}")
    test accuracy ...%
"""
from .config import (DataInfo, OptionError, TrainConfig, build_optimizer, build_scheduler,
                     parse_schedule)
from .errors import NonFiniteLossError, TrainingError, TrainingInterrupted
from .evaluation import EvalResult, Prediction, confusion_matrix, evaluate, predict
from .history import best_epoch, format_record
from .inference import (LoadedModel, eval_split, evaluate_checkpoint, load_model,
                        predict_files, save_activation_grid, save_filter_grid)
from .plots import curves_image, curves_path, grid_image, save_curves, save_grid
from .run import PreparedData, TrainResult, build_model, prepare_data, resume, train
from .callbacks import Callback
from .trainer import Trainer, fit
from .visualize import (ActivationMaps, ModelLayerError, activation_maps, conv_filters,
                        filter_tiles, find_layer, find_layer_name, first_conv, layer_names)

__all__ = [
    "Trainer", "Callback", "fit", "train", "resume", "TrainConfig", "TrainResult",
    "PreparedData", "prepare_data", "build_model", "build_optimizer", "build_scheduler",
    "parse_schedule", "OptionError", "DataInfo", "TrainingError", "TrainingInterrupted",
    "NonFiniteLossError", "evaluate", "predict", "EvalResult", "Prediction", "confusion_matrix",
    "best_epoch", "format_record", "LoadedModel", "load_model", "eval_split",
    "evaluate_checkpoint", "predict_files", "save_activation_grid", "save_filter_grid",
    "activation_maps", "ActivationMaps", "find_layer", "find_layer_name", "conv_filters",
    "filter_tiles", "first_conv",
    "layer_names", "ModelLayerError", "save_grid", "grid_image", "save_curves", "curves_image",
    "curves_path",
]
