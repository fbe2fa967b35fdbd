"""Checkpoints: one HDF5 file holding a model's configuration, parameters and buffers, the
optimizer and scheduler state and the training metadata (layout: docs/FORMAT.md).

Saves are atomic; loads run no code from the file and check everything before reading.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn import nn
    >>> from tinygrad_cnn.checkpoint import load_checkpoint, save_checkpoint
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5", model,
    ...                        metadata={"epoch": 1})
    >>> ckpt = load_checkpoint(path)
    >>> ckpt.metadata
    {'epoch': 1}
"""
from .errors import CheckpointError
from .integrity import CheckpointNote, reseal
from .layout import FORMAT_NAME, FORMAT_VERSION
from .load import Checkpoint, CheckpointData, load_checkpoint, read_checkpoint
from .lock import output_lock
from .save import save_checkpoint

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "Checkpoint",
           "CheckpointData", "CheckpointError", "CheckpointNote", "FORMAT_NAME",
           "FORMAT_VERSION", "output_lock", "reseal"]
