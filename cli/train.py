"""``tgcnn train``: train a model; with no arguments, the main job (a small VGG on the built-in
``shapes`` dataset, written to a fresh run folder ``runs/train/shapes-N/``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tinygrad_cnn.data import available_datasets
from tinygrad_cnn.training.config import OPTIMIZERS, SCHEDULE_HELP, TrainConfig

from .options import (config_callback, data_callback, device_option, explicit, head_choice,
                      max_data_bytes_option)
from .run_output import (CompileNotice, JsonReporter, RunNotes, echo_for, plural, print_result,
                         run_options)

_D = TrainConfig()  # the defaults, in one place

EXAMPLES = """
\b
Examples:
  tgcnn train                                  # main job: small VGG on 'shapes' -> runs/train/shapes-1/
  tgcnn train --data digits --epochs 20 --out digits.h5
  tgcnn train --model vgg11_bn --width 0.5 --data cifar10:~/data/cifar-10-batches-bin
  tgcnn train --resume runs/train/shapes-1/last.h5 --epochs 12   # continue a run exactly
  tgcnn train --epochs 30 --early-stopping 5   # best.h5 by --monitor val_loss, stop early
  tgcnn train --config run.yaml                # options from a file
  tgcnn train --init imported.h5 --lr 0.01      # fine-tune an imported model
"""


def _schedule_callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from tinygrad_cnn.training import OptionError, parse_schedule

    try:
        parse_schedule(value)
    except OptionError as err:
        raise click.BadParameter(err.detail) from None
    return value


def _resume_changes(ctx: click.Context, params: dict[str, Any]) -> dict[str, Any]:
    """Options the user gave explicitly next to ``--resume`` (checked against the run's)."""
    skip = {"resume", "out", "epochs", "device", "config", "strict_plugins", "project", "name"}
    return {k: v for k, v in params.items() if k not in skip and explicit(ctx, k)}


@click.command("train", epilog=EXAMPLES, short_help="Train a model (default: the main job).")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), is_eager=True,
              expose_value=False, callback=config_callback,
              help="JSON/YAML file of options (names as below); the command line wins.")
@click.option("--model", default=_D.model, show_default=True,
              help="Builder name (vgg11, vgg11_bn, ... or a plugin's) or a JSON/YAML model file.")
@click.option("--data", default=_D.data, show_default=True, callback=data_callback,
              help="Dataset: " + " | ".join(k.usage for k in available_datasets()) + ".")
@click.option("--epochs", type=click.IntRange(min=1), default=_D.epochs, show_default=True,
              help="Number of epochs (with --resume: the total to reach).")
@click.option("--batch-size", type=click.IntRange(min=1), default=_D.batch_size,
              show_default=True, help="Images per optimizer step.")
@click.option("--optimizer", type=click.Choice(list(OPTIMIZERS), case_sensitive=False),
              default=_D.optimizer, show_default=True, help="Optimizer.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=_D.lr,
              show_default=True, help="Peak learning rate.")
@click.option("--momentum", type=click.FloatRange(min=0, max=1, max_open=True),
              default=_D.momentum, show_default=True,
              help="SGD (Nesterov) momentum; beta1 for adam/adamw.")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=_D.weight_decay,
              show_default=True, help="L2 penalty (decoupled for adamw).")
@click.option("--schedule", default=_D.schedule, show_default=True, callback=_schedule_callback,
              help=f"Learning-rate schedule per epoch: {SCHEDULE_HELP}.")
@click.option("--augment/--no-augment", default=_D.augment, show_default=True,
              help="Random crops with padding (+ horizontal flips where labels allow).")
@click.option("--val-split", type=click.FloatRange(min=0, max=1, max_open=True),
              default=_D.val_split, show_default=True,
              help="Fraction of the training split held out for validation.")
@click.option("--seed", type=click.IntRange(min=0), default=_D.seed, show_default=True,
              help="Seed of data generation, splits, initialisation, shuffling and dropout.")
@device_option(_D.device, "Where to train.", check=False)  # train() checks it
@click.option("--out", type=click.Path(dir_okay=False, writable=False), default=_D.out,
              help="Checkpoint file (HDF5) instead of a run folder; the run's other files "
                   "go beside it (NAME.best.h5, NAME.metrics.csv, NAME.curves.png...).")
@click.option("--resume", type=click.Path(exists=True, dir_okay=False), default=None,
              metavar="CHECKPOINT", help="Continue the run saved in CHECKPOINT exactly.")
@click.option("--init", type=click.Path(exists=True, dir_okay=False), default=None,
              metavar="CHECKPOINT", help="Start from CHECKPOINT's model and weights "
                                         "(fine-tuning, e.g. after tgcnn import).")
@click.option("--width", type=click.FloatRange(min=0, min_open=True), default=_D.width,
              show_default=True, help="Channel-width multiplier of the model builder.")
@click.option("--head", type=head_choice(), default=_D.head,
              show_default=True, help="Classifier head of VGG builders.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N training and N test images (quick trials).")
@click.option("--sync-bn", is_flag=True, default=False,
              help="Under mpiexec: batch norm over the global batch (SyncBatchNorm).")
@click.option("--strict-plugins", is_flag=True, default=False,
              help="Fail when any installed plugin is broken (else it is reported and skipped).")
@run_options
@max_data_bytes_option
@click.pass_context
def train_command(ctx: click.Context, **params: Any) -> None:
    """Train a CNN classifier into a fresh run folder PROJECT/NAME-N (last.h5, best.h5,
    metrics.csv, curves.png, config.json, resume.txt), or into --out FILE.

    Prints one line per epoch (a progress bar on a terminal), then the best epoch (by
    --monitor), the test accuracy of the best epoch's weights and where the files are.
    Ctrl-C saves a checkpoint and exits with 130.
    """
    from .mpi import job

    checkpoint = params.pop("resume")
    json_lines = params.pop("json_lines")
    with job("tgcnn train") as group:  # under mpiexec: data-parallel
        _train(ctx, params, checkpoint, json_lines, group is None or group.is_main)


def _train(ctx: click.Context, params: dict[str, Any], checkpoint: str | None,
           json_lines: bool, main: bool) -> None:
    from tinygrad_cnn.training import resume, train

    from .entry import current
    from .progress import ConsoleReporter

    echo = echo_for(json_lines) if main else (lambda *args, **kwargs: None)
    reporter = JsonReporter() if json_lines else ConsoleReporter()
    notice = CompileNotice(params["device"], err=json_lines)
    notes = RunNotes(err=json_lines)
    callbacks = [notice, notes, reporter] if main else []  # rank 0 alone reports
    interrupts = current()
    try:
        if checkpoint is not None:
            if interrupts is not None:
                interrupts.note_checkpoint(checkpoint)  # complete, whatever happens next
            changes = _resume_changes(ctx, params)
            echo(f"resuming {checkpoint}")
            if main:
                notice.start()
            result = resume(checkpoint, epochs=params["epochs"] if explicit(ctx, "epochs") else None,
                            out=params["out"] if explicit(ctx, "out") else None,
                            device=params["device"] if explicit(ctx, "device") else None,
                            callbacks=callbacks, changes=changes)
        else:
            config = TrainConfig(**params)

            def planned(data: Any) -> None:  # the library has checked the settings and data
                _print_plan(config, data, echo)
                if main:
                    notice.start()

            result = train(config, callbacks=callbacks, on_data=planned)
    finally:
        reporter.close()
    if not main:
        return
    try:
        print_result(result, json_lines, notes.shown)
        if interrupts is not None:  # all done: a Ctrl-C from here on exits at once, saying so
            interrupts.note_checkpoint(result.checkpoint)
            interrupts.finished = True
    except KeyboardInterrupt:
        from tinygrad_cnn.training import TrainingInterrupted

        last = result.history[-1]["epoch"] if result.history else 0
        raise TrainingInterrupted(str(result.checkpoint), last, 0, finished=True) from None


def _print_plan(config: TrainConfig, data: Any, echo: Any = click.echo) -> None:
    i = data.info
    shape = "x".join(str(s) for s in i.input_shape)
    echo(f"data {config.data}: {len(data.y_train)} train / {len(data.y_val)} val / "
         f"{len(data.y_test)} test images, {shape}, {plural(len(i.classes), 'class')}")
    for note in i.notes:
        echo(f"note: {note}")
    from tinygrad_cnn.training.config import is_model_file

    sized = "" if is_model_file(config.model) else f" (width {config.width:g}, {config.head} head)"
    echo(f"model {config.model}{sized}, {config.optimizer} lr "
         f"{config.lr:g}, schedule {config.schedule}, {plural(config.epochs, 'epoch')} of batch "
         f"{config.batch_size}{', augmented' if config.augment else ''}, on {config.device}")
    if config.init:
        echo(f"starting from {config.init} (its model and weights replace --model)")


