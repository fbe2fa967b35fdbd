"""``tgcnn summary``: the per-layer table (output shapes, parameters, MACs) of a model builder,
a model file or a checkpoint."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from tinygrad_cnn.errors import one_line

from .options import InputSize, head_choice

EXAMPLES = """
\b
Examples:
  tgcnn summary vgg16                                   # torchvision's VGG-16 at 3x224x224
  tgcnn summary vgg11_bn --input-size 3,32,32 --num-classes 10 --width 0.25 --head small
  tgcnn summary model.h5                                # input size from the checkpoint
  tgcnn summary net.json --input-size 1,28,28
"""

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == _HDF5_MAGIC
    except OSError:
        return False


def _load(target: str, input_size: tuple[int, ...] | None, num_classes: int, width: float,
          head: str) -> tuple[Any, tuple[int, ...]]:
    """(model, input shape C,H,W) for a checkpoint, a model file or a builder name."""
    from tinygrad_cnn import models
    from tinygrad_cnn.training.config import builder_kwargs, is_model_file

    path = Path(target)
    if path.is_file() and (_is_hdf5(path) or path.suffix.lower() in (".h5", ".hdf5")):
        from tinygrad_cnn.checkpoint import load_checkpoint

        from tinygrad_cnn.training.metadata import check_metadata

        ckpt = load_checkpoint(path)
        check_metadata(ckpt.metadata, str(path), need_data=False)
        stored = ckpt.metadata.get("input_shape")
        shape = input_size or (tuple(int(s) for s in stored) if stored else None)
        if shape is None:
            raise click.UsageError(f"{target} does not record its input size; pass --input-size C,H,W")
        return ckpt.model, _chw(shape)
    if is_model_file(target) or path.suffix.lower() in (".h5", ".hdf5"):
        if not path.is_file():
            raise click.BadParameter(f"{target} does not exist; pass a builder name (e.g. vgg16), "
                                     f"a JSON/YAML model file or a checkpoint",
                                     param_hint="MODEL")
        if input_size is None:
            raise click.UsageError("a model file does not say its input size; pass "
                                   "--input-size C,H,W (e.g. 3,32,32)")
        return models.from_file(path), _chw(input_size)
    builder = models.get_builder(target)
    shape = _chw(input_size or (3, 224, 224))
    wanted = {"in_channels": shape[0], "num_classes": num_classes, "input_size": shape[1:],
              "width": width, "head": head}
    return builder(**builder_kwargs(builder, wanted)), shape


def _chw(shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(shape) == 2:  # H,W: colour images
        return (3, *shape)
    return tuple(shape)


@click.command("summary", epilog=EXAMPLES, short_help="Per-layer table of a model.")
@click.argument("model", metavar="MODEL|CHECKPOINT")
@click.option("--input-size", type=InputSize(), default=None,
              help="Input C,H,W (or H,W for colour); default: the checkpoint's, or 3,224,224.")
@click.option("--num-classes", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Classes of a builder's model.")
@click.option("--width", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Channel-width multiplier of a builder's model.")
@click.option("--head", type=head_choice(), default="imagenet",
              show_default=True, help="Classifier head of VGG builders.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON object.")
def summary_command(model: str, input_size: tuple[int, ...] | None, num_classes: int,
                    width: float, head: str, as_json: bool) -> None:
    """Print the per-layer table of MODEL (a builder name or JSON/YAML model file) or of the
    model in CHECKPOINT: output shapes, parameters and multiply-accumulates."""
    import tinygrad_cnn as tg

    net, shape = _load(model, input_size, num_classes, width, head)
    try:
        result = tg.summary(net, shape, verbose=False)
    except (ValueError, TypeError, RuntimeError, IndexError) as err:
        raise click.UsageError(f"the model does not accept input {','.join(map(str, shape))}: "
                               f"{one_line(err)}; pass the right --input-size")
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    else:
        click.echo(str(result))
