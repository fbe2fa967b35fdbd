"""``tgcnn import``: PyTorch (``.pt``/``.pth``) or safetensors weights -> a checkpoint."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import InputSize, explicit, head_choice, model_callback

EXAMPLES = """
\b
Examples:
  tgcnn import vgg11_bn.pth --model vgg11_bn --out vgg11_bn.h5     # torchvision's layout
  tgcnn import small.pt --model vgg11_bn --num-classes 10 --input-size 3,32,32 \\
      --head small --width 0.125 --classes classes.txt --out small.h5
  tgcnn import model.safetensors --model vgg11_bn --num-classes 10 --out model.h5
"""


def _floats(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return [float(v) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers, e.g. "
                                 "0.485,0.456,0.406") from None


def _class_names(path: str | None) -> list[str] | None:
    if path is None:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise click.BadParameter(f"cannot read {path}: {getattr(err, 'strerror', None) or err}",
                                 param_hint="'--classes'") from None
    return [line.strip() for line in lines if line.strip()]


@click.command("import", epilog=EXAMPLES, short_help="Import PyTorch/safetensors weights.")
@click.argument("weights", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", required=True, callback=model_callback,
              help="Registered model builder the weights belong to (vgg11_bn, ...).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Checkpoint file (HDF5) to write.")
@click.option("--num-classes", type=click.IntRange(min=1), default=None,
              help="Classes of the model (builder default: 1000).")
@click.option("--input-size", type=InputSize(), default=None,
              help="C,H,W (or H,W / S) of the input images (builder default: 3,224,224).")
@click.option("--head", type=head_choice(), default=None,
              help="Classifier head of VGG builders (default: imagenet, torchvision's).")
@click.option("--width", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Channel-width multiplier of the builder (default 1).")
@click.option("--classes", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Text file with one class name per line (default: 0..K-1).")
@click.option("--mean", callback=_floats, default=None,
              help="Per-channel mean as fractions of 255 (default: ImageNet's for 3 channels).")
@click.option("--std", callback=_floats, default=None,
              help="Per-channel std as fractions of 255 (default: ImageNet's for 3 channels).")
@click.pass_context
def import_command(ctx: click.Context, weights: str, model: str, out: str,
                   num_classes: int | None, input_size: tuple[int, ...] | None,
                   head: str | None, width: float | None, classes: str | None,
                   mean: list[float] | None, std: list[float] | None) -> None:
    """Load WEIGHTS (a PyTorch state-dict file, read without PyTorch and without running any
    code from it, or a safetensors file) into the model --model builds, strictly (every
    missing, unexpected or mis-shaped name is listed), and save it as a checkpoint that
    eval, predict, visualize, export and train --init accept."""
    from tinygrad_cnn.interop import import_weights
    from tinygrad_cnn.models import get_builder
    from tinygrad_cnn.training.config import builder_kwargs
    from tinygrad_cnn.training.checks import check_output

    check_output(out)  # before reading weights and building the model

    wanted: dict[str, Any] = {}
    if input_size is not None:
        if len(input_size) == 3:
            wanted["in_channels"] = input_size[0]
        wanted["input_size"] = tuple(input_size[-2:])
    for name, value in (("num_classes", num_classes), ("head", head), ("width", width)):
        if value is not None:
            wanted[name] = value
    given = [n for n in ("num_classes", "input_size", "head", "width") if explicit(ctx, n)]
    args = builder_kwargs(get_builder(model), wanted, required=given)
    path = import_weights(weights, model, out, builder_args=args, classes=_class_names(classes),
                          mean=mean, std=std)
    click.echo(f"imported {weights} into {model}: checkpoint {path}")
