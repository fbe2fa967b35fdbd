"""``tgcnn export``: a checkpoint -> safetensors, PyTorch state dict or ONNX (by suffix)."""
from __future__ import annotations

import click

from .options import InputSize

EXAMPLES = """
\b
Examples:
  tgcnn export model.h5 model.safetensors   # every parameter and buffer, PyTorch names
  tgcnn export model.h5 model.pt            # torch.load(path, weights_only=True) reads it
  tgcnn export model.h5 model.onnx          # opset 17, dynamic batch, checked
"""


@click.command("export", epilog=EXAMPLES, short_help="Export to safetensors, .pt or ONNX.")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--input-size", type=InputSize(), default=None,
              help="C,H,W of the ONNX input (default: the checkpoint's recorded input shape).")
def export_command(checkpoint: str, out: str, input_size: tuple[int, ...] | None) -> None:
    """Write CHECKPOINT's model to OUT, the format chosen by its suffix: .safetensors,
    .pt/.pth (a PyTorch state dict written without PyTorch) or .onnx (every layer exported,
    plugin layers through their plugin's exporter). The file is replaced atomically."""
    from tinygrad_cnn.interop import export_checkpoint

    if input_size is not None and len(input_size) != 3:
        raise click.BadParameter(f"give C,H,W (e.g. 3,32,32), got {input_size}",
                                 param_hint="'--input-size'")
    path = export_checkpoint(checkpoint, out, input_shape=input_size)
    click.echo(f"exported {checkpoint} to {path}")
