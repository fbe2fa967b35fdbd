"""The docstring examples of the distributed modules stay true (in a world of one process)."""
import doctest
import importlib

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.__main__ import load_cli

from .conftest import requires_mpi

PLAIN = ["tinygrad_cnn.data.distributed", "tinygrad_cnn.training.distributed",
         "tinygrad_cnn.nn.layers.sync_batchnorm",
         "tinygrad_cnn_cli.mpi"]
MPI = ["tinygrad_cnn.distributed", "tinygrad_cnn.distributed.group",
       "tinygrad_cnn.distributed.faults", "tinygrad_cnn.distributed.launch",
       "tinygrad_cnn.distributed.shared_memory",
       "tinygrad_cnn.nn.parallel"]


def _run(name):
    load_cli()
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             extraglobs={"np": np, "nn": nn, "tg": tg, "Tensor": tg.Tensor})
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("name", PLAIN)
def test_docstring_examples(name):
    _run(name)


@requires_mpi
@pytest.mark.parametrize("name", MPI)
def test_docstring_examples_with_mpi(name):
    _run(name)
