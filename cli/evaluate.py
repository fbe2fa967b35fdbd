"""``tgcnn eval``: loss, accuracy, per-class accuracy and confusion matrix of a checkpoint."""
from __future__ import annotations

import json
from typing import Any

import click

from .options import (allow_nonfinite_option, data_callback, device_option,
                      max_data_bytes_option)

EXAMPLES = """
\b
Examples:
  tgcnn eval model.h5                     # the test split the model was trained with
  tgcnn eval model.h5 --data folder:photos --json
"""


@click.command("eval", epilog=EXAMPLES,
               short_help="Loss, accuracy, per-class accuracy, confusion matrix.")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.option("--data", default=None, callback=data_callback,
              help="Dataset whose test split to use (default: the one the model was trained "
                   "on, same seed).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed of generated data and hold-outs (default: the training run's).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N test images.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Images per forward pass.")
@device_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@max_data_bytes_option
@allow_nonfinite_option
def eval_command(checkpoint: str, data: str | None, seed: int | None, limit: int | None,
                 batch_size: int, device: str, as_json: bool, allow_nonfinite: bool) -> None:
    """Evaluate CHECKPOINT on a test split: the checkpoint alone supplies the model, class
    names, input size and normalisation."""
    from .mpi import job

    # under mpiexec: each rank evaluates a share of the batches
    with job("tgcnn eval", announce_on_stderr=as_json) as group:
        _evaluate(checkpoint, data, seed, limit, batch_size, device, as_json, allow_nonfinite,
                  group)


def _evaluate(checkpoint: str, data: str | None, seed: int | None, limit: int | None,
              batch_size: int, device: str, as_json: bool, allow_nonfinite: bool,
              group: Any) -> None:
    from tinygrad_cnn.training import evaluate_checkpoint, load_model
    from tinygrad_cnn.training.distributed import bind_device

    bind_device(device)
    loaded = load_model(checkpoint, device=device, allow_nonfinite=allow_nonfinite)
    result = evaluate_checkpoint(loaded, data, seed=seed, limit=limit, batch_size=batch_size,
                                 group=group)
    if as_json:
        payload = result.to_dict()
        payload["checkpoint"] = str(checkpoint)
        payload["data"] = data or (loaded.train_config.data if loaded.train_config else
                                   loaded.info.dataset)
        click.echo(json.dumps(payload))
        return
    _print_table(result)


def _print_table(result: Any) -> None:
    from .run_output import plural

    click.echo(f"accuracy: {100 * result.accuracy:.2f}%  loss: {result.loss:.4f}  "
               f"({plural(result.num_examples, 'image')})")
    classes = result.classes or [str(i) for i in range(len(result.per_class_accuracy))]
    width = max(5, max(len(c) for c in classes))
    click.echo("per-class accuracy:")
    for name, acc, row in zip(classes, result.per_class_accuracy, result.confusion_matrix):
        shown = "   n/a" if acc is None else f"{100 * acc:6.2f}%"
        click.echo(f"  {name:<{width}} {shown}  ({plural(int(row.sum()), 'image')})")
    click.echo("confusion matrix (rows: true class, columns: predicted):")
    cell = max(4, len(str(int(result.confusion_matrix.max()))) + 1)
    header = " " * (width + 3) + "".join(f"{i:>{cell}}" for i in range(len(classes)))
    click.echo(header)
    for i, (name, row) in enumerate(zip(classes, result.confusion_matrix)):
        click.echo(f"{i:>2} {name:<{width}}" + "".join(f"{int(v):>{cell}}" for v in row))
