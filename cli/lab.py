"""``tgcnn lab``: the CNN-fundamentals notes' claims as small experiments (``tgcnn lab`` lists
them, ``tgcnn lab NAME`` runs one: a table, findings and one PNG in the output folder).

The labs live in :mod:`tinygrad_cnn.labs`; they are imported only when this command runs, so
``tgcnn``'s start-up does not pay for them."""
from __future__ import annotations

import os
from typing import Any

import click

EXAMPLES = """
\b
Examples:
  tgcnn lab                                  # list the labs
  tgcnn lab sobel                            # -> runs/lab/sobel/sobel.png
  tgcnn lab parameters
  tgcnn lab translation --epochs 15 --max-shift 4 --seed 1
  tgcnn lab translation --data mnist:~/mnist --limit 5000 --out mnist-shift
  tgcnn lab activations --index 3
"""


def _list() -> None:
    from tinygrad_cnn.labs import available_labs

    labs = available_labs()
    width = max(len(lab.name) for lab in labs)
    click.echo("labs (tgcnn lab NAME runs one):")
    for lab in labs:
        click.echo(f"  {lab.name:<{width}}  §{lab.sections:<13} {lab.summary}")


@click.command("lab", epilog=EXAMPLES,
               short_help="Run a lab: a claim of the CNN notes as a small experiment.")
@click.argument("name", required=False)
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the lab's PNG [default: runs/lab/NAME].")
@click.option("--seed", type=int, default=None, help="Seed of data, initialisation and shuffling.")
@click.option("--data", default=None, metavar="SPEC",
              help="Dataset (sobel, translation): digits or mnist:PATH ...")
@click.option("--epochs", type=int, default=None, help="Training epochs (translation, filters, "
              "activations).")
@click.option("--max-shift", type=int, default=None,
              help="Largest shift in pixels (translation).")
@click.option("--limit", type=int, default=None,
              help="Use at most this many training and test images (translation).")
@click.option("--n-train", type=int, default=None,
              help="Number of generated training images (filters, activations).")
@click.option("--index", type=int, default=None, help="Test image to look at (activations).")
@click.option("--markdown", is_flag=True, help="Print the tables as Markdown.")
def lab_command(name: str | None, out: str | None, markdown: bool, **settings: Any) -> None:
    """Run lab NAME (or list the labs): each checks a claim of the CNN-fundamentals notes with
    real computation, prints its tables and findings and writes one PNG."""
    if name is None:
        _list()
        return
    from tinygrad_cnn.labs import DEFAULT_OUT, LABS, run_lab

    if name not in LABS:
        raise click.UsageError(f"no lab {name!r}; choose one of: {', '.join(LABS)}")
    given = {k: v for k, v in settings.items() if v is not None}
    result = run_lab(name, out if out is not None else os.path.join(DEFAULT_OUT, name), **given)
    if markdown:
        click.echo(f"### {result.title}\n")
        for table in result.tables:
            click.echo(f"{table.title}\n\n{table.markdown()}\n")
        click.echo("\n".join(f"- {f}" for f in result.findings))
    else:
        click.echo(result.text())
    click.echo(f"\npicture: {result.picture}")
