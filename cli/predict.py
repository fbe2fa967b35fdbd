"""``tgcnn predict``: top-k classes with probabilities for image files."""
from __future__ import annotations

import json

import click
import numpy as np

from .options import allow_nonfinite_option, device_option

EXAMPLES = """
\b
Examples:
  tgcnn predict model.h5 circle.png
  tgcnn predict model.h5 a.png b.jpg c.npy --top-k 3 --json
  tgcnn predict model.h5 photos/ --resize       # every image in the folder, converted
"""


@click.command("predict", epilog=EXAMPLES, short_help="Top-k classes of image files.")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many classes to show per image.")
@device_option()
@click.option("--resize", is_flag=True,
              help="Convert an image whose size or channels differ from the model's input "
                   "(else it is refused).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: {\"predictions\": [{\"image\", \"top\": [...], "
                   "\"notes\": [...]}]}.")
@allow_nonfinite_option
def predict_command(checkpoint: str, images: tuple[str, ...], top_k: int, device: str,
                    resize: bool, as_json: bool, allow_nonfinite: bool) -> None:
    """Classify IMAGES (PNG/JPEG/BMP/NPY files, or folders of them) with CHECKPOINT.

    An image must have the model's input size and channels unless --resize converts it; any
    conversion (size, grey/RGB, a dropped alpha channel, a palette) is reported. An NPY array
    must have the input shape: uint8 is taken as 0-255 pixels, floats as training units.
    """
    from tinygrad_cnn.training import load_model, predict
    from tinygrad_cnn.training.predict_inputs import read_inputs

    loaded = load_model(checkpoint, device=device, allow_nonfinite=allow_nonfinite)
    info = loaded.info
    inputs = read_inputs(list(images), info.input_shape, pixel_max=info.pixel_max,
                         resize=resize)
    x = np.stack([i.x for i in inputs])
    tops = predict(loaded.model, x, k=top_k, mean=info.mean, std=info.std, classes=info.classes)
    results = [(i.path, top) for i, top in zip(inputs, tops)]
    if as_json:
        click.echo(json.dumps({"checkpoint": str(checkpoint), "predictions": [
            {"image": f, "top": [{"class": p.label, "index": p.index,
                                  "probability": p.probability} for p in top],
             "notes": i.notes}
            for (f, top), i in zip(results, inputs)]}))
        return
    for i in inputs:
        if i.notes:
            click.echo(f"note: {i.path}: {'; '.join(i.notes)}", err=True)
    for f, top in results:
        shown = ", ".join(f"{p.label} {100 * p.probability:.1f}%" for p in top)
        click.echo(f"{f}: {shown}")
