"""``tgcnn layers``: registered layers and model builders with their distribution and version,
and the plugins that failed to load with their error."""
from __future__ import annotations

import json
import warnings

import click

EXAMPLES = """
\b
Examples:
  tgcnn layers
  tgcnn layers --json
  TGCNN_STRICT_PLUGINS=1 tgcnn layers     # exit 1 when a plugin is broken
"""


def _rows(kind: str, strict: bool) -> list:
    from tinygrad_cnn import layers, models

    with warnings.catch_warnings():  # failures are shown in the table instead
        warnings.simplefilter("ignore")
        if kind == "layer":
            return layers.available(load=True, strict=strict or None)
        return models.available_models(load=True, strict=strict or None)


@click.command("layers", epilog=EXAMPLES,
               short_help="Registered layers, model builders and broken plugins.")
@click.option("--strict-plugins", is_flag=True, default=False,
              help="Exit with an error when any installed plugin is broken.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: {\"layers\": [...], \"models\": [...], \"failures\": {...}}.")
def layers_command(strict_plugins: bool, as_json: bool) -> None:
    """List the registered layers (usable in model files and checkpoints) and model builders
    (usable with --model), with the distribution providing each; broken plugins are listed
    with their error."""
    from tinygrad_cnn import layers, models

    layer_rows = _rows("layer", strict_plugins)
    model_rows = _rows("model", strict_plugins)
    failures = {**{f"layer {k}": v for k, v in layers.failures().items()},
                **{f"model {k}": v for k, v in models.model_failures().items()}}
    if as_json:
        click.echo(json.dumps({"layers": [r.as_dict() for r in layer_rows],
                               "models": [r.as_dict() for r in model_rows],
                               "failures": failures}))
        return
    for title, rows in (("layers", layer_rows), ("model builders", model_rows)):
        click.echo(f"{title} ({len(rows)}):")
        width = max((len(r.name) for r in rows), default=4)
        where = max((len(r.value) for r in rows), default=5)
        for r in rows:
            dist = f"{r.distribution or '?'} {r.version or ''}".strip()
            status = "ok" if r.loaded and not r.error else "FAILED"
            click.echo(f"  {r.name:<{width}}  {r.value:<{where}}  {dist:<28}  {status}")
    if failures:
        click.echo(f"failed plugins ({len(failures)}):")
        for name, message in failures.items():
            click.echo(f"  {name}: {message}")
    else:
        click.echo("failed plugins: none")
