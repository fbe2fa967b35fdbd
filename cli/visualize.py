"""``tgcnn visualize``: PNG grids of a layer's activation maps for an image (most activated
first) and of the first conv layer's learned filters."""
from __future__ import annotations

from pathlib import Path

import click

from .options import device_option

EXAMPLES = """
\b
Examples:
  tgcnn visualize runs/train/shapes-1/best.h5 circle.png --layer features.2
                                  # -> runs/train/shapes-1/visualize/circle.features.2.png
  tgcnn visualize model.h5 --filters --out filters.png
  tgcnn summary model.h5                                       # lists the layer names
"""


@click.command("visualize", epilog=EXAMPLES,
               short_help="PNGs of activation maps and first-layer filters.")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.argument("image", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--layer", default=None,
              help="Dotted layer name (see `tgcnn summary`); default: the first conv layer.")
@click.option("--filters", is_flag=True,
              help="Also (or, without IMAGE, only) draw the first conv layer's filters.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="PNG to write (default: in the checkpoint's run folder, "
                   "visualize/IMAGE-stem.LAYER.png or visualize/CHECKPOINT-stem.filters.png; "
                   "never beside IMAGE).")
@click.option("--max-maps", type=click.IntRange(min=1), default=64, show_default=True,
              help="At most this many activation maps, most activated first.")
@device_option()
def visualize_command(checkpoint: str, image: str | None, layer: str | None, filters: bool,
                      out: str | None, max_maps: int, device: str) -> None:
    """Show what the network in CHECKPOINT sees: the activation maps of --layer for IMAGE,
    and with --filters the learned kernels of the first conv layer."""
    from tinygrad_cnn.training import load_model, save_activation_grid, save_filter_grid
    from tinygrad_cnn.training.checks import check_output
    from tinygrad_cnn.training.run_folder import visualize_dir

    if image is None and not filters:
        raise click.UsageError("pass an IMAGE to see activation maps, or --filters to see the "
                               "first conv layer's kernels")
    if image is None and layer is not None:
        raise click.UsageError("--layer needs an IMAGE whose activations to show")
    if image is not None and filters and out is not None:
        raise click.UsageError("with both an IMAGE and --filters two PNGs are written: leave "
                               "--out unset (both go to the checkpoint's visualize/ folder)")
    loaded = load_model(checkpoint, device=device)
    if image is not None:
        from tinygrad_cnn.training import find_layer_name

        name = find_layer_name(loaded.model, layer)
        target = Path(out) if out else visualize_dir(checkpoint) / f"{Path(image).stem}.{name}.png"
        check_output(target)
        path, name, maps = save_activation_grid(loaded, image, name, target, limit=max_maps)
        top = ", ".join(f"#{int(i)} ({maps.scores[i]:.3g})" for i in maps.order[:5])
        click.echo(f"{path}: {min(max_maps, len(maps.order))} of {len(maps.order)} activation "
                   f"maps of layer {name} ({maps.maps.shape[1]}x{maps.maps.shape[2]}), most "
                   f"activated first: {top}")
    if filters:
        target = Path(out) if out else visualize_dir(checkpoint) / f"{Path(checkpoint).stem}.filters.png"
        check_output(target)
        path, name, shape = save_filter_grid(loaded, target)
        kind = "RGB" if shape[1] == 3 else "grey, one tile per kernel"
        click.echo(f"{path}: {shape[0]} filters of layer {name} ({shape[2]}x{shape[3]}, {kind})")
