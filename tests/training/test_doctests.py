"""The docstring examples of the training package and the CLI stay true (``nn``, ``np`` and
``tg`` are the conventional names examples assume)."""
import doctest
import importlib

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.__main__ import load_cli

TRAINING = ["atomic", "checks", "config", "errors", "evaluation", "history", "inference",
            "metadata", "plots", "run", "trainer", "visualize", "monitor", "run_folder",
            "recorder", "curves", "predict_inputs", "data_checks", "resume_rules", "sigint"]
CLI = ["errors", "options", "progress", "main", "run_output"]


@pytest.mark.parametrize("name", [f"tinygrad_cnn.training.{m}" for m in TRAINING]
                         + ["tinygrad_cnn.training", "tinygrad_cnn.__main__"]
                         + [f"tinygrad_cnn_cli.{m}" for m in CLI])
def test_docstring_examples(name, one_thread):
    load_cli()  # makes tinygrad_cnn_cli importable from a source checkout
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             extraglobs={"np": np, "nn": nn, "tg": tg})
    assert result.failed == 0
