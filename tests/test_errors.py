"""The library's error vocabulary: one base class with a kind, one ``one_line``."""
from __future__ import annotations

import pytest

from tinygrad_cnn import errors
from tinygrad_cnn.checkpoint import CheckpointError
from tinygrad_cnn.data import DataError
from tinygrad_cnn.errors import (FAILURE, INTERRUPTED, USAGE, OptionError, TinygradCNNError,
                                 one_line)
from tinygrad_cnn.interop.errors import InteropError
from tinygrad_cnn.layers import ConfigError, LayerNotFoundError, ModelNotFoundError, PluginError
from tinygrad_cnn.nn.module import StateDictError
from tinygrad_cnn.training import (ModelLayerError, NonFiniteLossError, TrainingError,
                                   TrainingInterrupted)

#: every library error, how it is built, its kind and the built-in base callers rely on
ERRORS = [
    (OptionError("lr", "must be positive"), USAGE, ValueError),
    (ModelNotFoundError("no builder 'vgg12'"), USAGE, LookupError),
    (ModelLayerError("the model has no layer 'x'"), USAGE, KeyError),
    (DataError("x.npz: no array 'y'"), FAILURE, ValueError),
    (CheckpointError("m.h5 is not an HDF5 file"), FAILURE, ValueError),
    (InteropError("w.pth: cannot read it"), FAILURE, CheckpointError),
    (ConfigError("bad args"), FAILURE, ValueError),
    (PluginError("plugin failed"), FAILURE, RuntimeError),
    (LayerNotFoundError("no layer type 'Fancy'"), FAILURE, LookupError),
    (StateDictError("missing keys"), FAILURE, RuntimeError),
    (TrainingError("diverged"), FAILURE, RuntimeError),
    (NonFiniteLossError(1, 2, float("nan"), None), FAILURE, TrainingError),
    (TrainingInterrupted("m.h5", 1, 2), INTERRUPTED, TrainingError),
]


@pytest.mark.parametrize("err,kind,builtin", ERRORS, ids=lambda v: type(v).__name__)
def test_every_library_error_has_the_base_class_and_a_kind(err, kind, builtin):
    assert isinstance(err, TinygradCNNError) and isinstance(err, builtin)
    assert err.kind == kind
    assert str(err) == err.args[0]  # the message itself: never a quoted key or a tuple


def test_option_error_names_its_argument():
    err = OptionError("batch_size", "must be a positive integer, got 0")
    assert (err.argument, err.option, err.detail) == ("batch_size", "batch_size",
                                                      "must be a positive integer, got 0")
    assert str(err) == "batch_size: must be a positive integer, got 0"
    assert DataError("x").argument is None and DataError("x").detail == "x"


def test_one_line_has_one_home():
    assert one_line("a\n  b\tc ") == "a b c"
    from tinygrad_cnn.checkpoint import safety
    from tinygrad_cnn.interop import errors as interop_errors
    from tinygrad_cnn.layers import errors as layer_errors

    assert not hasattr(layer_errors, "one_line")
    assert not hasattr(safety, "one_line") or safety.one_line is errors.one_line
    assert not hasattr(interop_errors, "one_line") or interop_errors.one_line is errors.one_line
    from tinygrad_cnn import atomic
    assert atomic.one_line is errors.one_line


def test_argument_references_are_backticked_calls():
    text = "pass `overwrite=True` to replace it, or another `out=`; not width=1.0"
    found = [(m.group(1), m.group(2)) for m in errors.ARGUMENT_REFERENCE.finditer(text)]
    assert found == [("overwrite", "True"), ("out", "")]


def test_library_messages_name_arguments_not_flags(tmp_path):
    from tinygrad_cnn.training.run_folder import plan_paths

    (tmp_path / "m.h5").write_bytes(b"x")
    with pytest.raises(OptionError) as info:
        plan_paths(str(tmp_path / "m.h5"), "", None, "shapes", False)
    assert "`overwrite=True`" in info.value.detail and "--" not in info.value.detail
