"""``tgcnn predict``: top-k classes with probabilities for image files."""
from __future__ import annotations

import json

import click

from .options import allow_nonfinite_option, device_callback

EXAMPLES = """
\b
Examples:
  tgcnn predict model.h5 circle.png
  tgcnn predict model.h5 a.png b.jpg c.npy --top-k 3 --json
"""


@click.command("predict", epilog=EXAMPLES, short_help="Top-k classes of image files.")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many classes to show per image.")
@click.option("--device", type=click.Choice(["cpu", "cuda"], case_sensitive=False),
              default="cpu", show_default=True, callback=device_callback, help="Where to run.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: {\"predictions\": [{\"image\", \"top\": [...]}]}.")
@allow_nonfinite_option
def predict_command(checkpoint: str, images: tuple[str, ...], top_k: int, device: str,
                    as_json: bool, allow_nonfinite: bool) -> None:
    """Classify IMAGES (PNG/JPEG/NPY) with CHECKPOINT: each is resized and normalised as in
    training; NPY files are taken as already in the training units."""
    from tinygrad_cnn.training import load_model, predict_files

    loaded = load_model(checkpoint, device=device, allow_nonfinite=allow_nonfinite)
    results = predict_files(loaded, list(images), k=top_k)
    if as_json:
        click.echo(json.dumps({"checkpoint": str(checkpoint), "predictions": [
            {"image": f, "top": [{"class": p.label, "index": p.index,
                                  "probability": p.probability} for p in top]}
            for f, top in results]}))
        return
    for f, top in results:
        shown = ", ".join(f"{p.label} {100 * p.probability:.1f}%" for p in top)
        click.echo(f"{f}: {shown}")
