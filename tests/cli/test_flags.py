"""The CLI's one translation of library errors: argument names become flags, the error's
kind becomes the exit code, and click's choices are the library's constants."""
from __future__ import annotations

import click
import pytest

from tinygrad_cnn.errors import FAILURE, INTERRUPTED, USAGE, OptionError, TinygradCNNError
from tinygrad_cnn_cli.errors import EXIT_CODES, describe
from tinygrad_cnn_cli.flags import argument_flags, command_flags, flag, to_flags


class _Usage(TinygradCNNError):
    kind = USAGE


class _Failure(TinygradCNNError):
    kind = FAILURE


def test_kind_maps_to_exit_code():
    assert EXIT_CODES == {USAGE: 2, FAILURE: 1, INTERRUPTED: 130}
    assert describe(_Usage("no such thing"), "tgcnn train") == (2, "no such thing")
    assert describe(_Failure("broken\n  file"), "tgcnn eval") == (1, "broken file")
    code, text = describe(OptionError("val_split", "too large"), "tgcnn train")
    assert (code, text) == (2, "--val-split: too large; see 'tgcnn train --help'")


def test_an_error_about_an_argument_is_shown_under_its_flag():
    err = _Failure("cannot write there")
    err.argument = "out"
    assert describe(err, "tgcnn train") == (1, "--out: cannot write there; see 'tgcnn train "
                                               "--help'")


def test_flag_table_is_derived_from_the_click_options(cli):
    train = argument_flags(cli.commands["train"])
    assert train["batch_size"] == ("--batch-size", None)
    assert train["augment"] == ("--augment", "--no-augment")
    assert train["overwrite"] == ("--overwrite", None)
    assert command_flags("tgcnn train") == train
    assert "top_k" in command_flags("tgcnn")  # no subcommand: every subcommand's options
    assert flag("batch_size", train) == "--batch-size" and flag("n_train", train) == "n_train"


def test_argument_references_become_flags(cli):
    table = argument_flags(cli.commands["train"])
    text = ("m.h5 already exists; pass `overwrite=True` to replace it, `resume=r/last.h5` to "
            "continue that run, or another `out=`; `augment=False`; `epochs=5` or more; "
            "`nosuch=1`; vgg takes (width=1.0)")
    assert to_flags(text, table) == (
        "m.h5 already exists; pass --overwrite to replace it, --resume r/last.h5 to continue "
        "that run, or another --out; --no-augment; --epochs 5 or more; nosuch=1; vgg takes "
        "(width=1.0)")


def test_library_error_text_is_translated_once_in_describe(tmp_path):
    from tinygrad_cnn.training.run_folder import plan_paths

    (tmp_path / "m.h5").write_bytes(b"x")
    with pytest.raises(OptionError) as info:
        plan_paths(str(tmp_path / "m.h5"), "", None, "shapes", False)
    code, line = describe(info.value, "tgcnn train")
    assert code == 2 and line.startswith("--out: ")
    assert "pass --overwrite to replace it, --resume" in line and "`" not in line


def _choices(command: click.Command, name: str) -> list[str]:
    param = next(p for p in command.params if p.name == name)
    assert isinstance(param.type, click.Choice), name
    return list(param.type.choices)


def test_click_choices_are_the_library_constants(cli):
    from tinygrad_cnn.backends import DEVICES
    from tinygrad_cnn.models.vgg import HEADS
    from tinygrad_cnn.training.config import OPTIMIZERS
    from tinygrad_cnn.training.monitor import MONITORS

    for name in ("train", "eval", "predict", "visualize"):
        assert _choices(cli.commands[name], "device") == list(DEVICES)
    for name in ("train", "summary", "import"):
        assert _choices(cli.commands[name], "head") == list(HEADS)
    assert _choices(cli.commands["train"], "optimizer") == list(OPTIMIZERS)
    assert _choices(cli.commands["train"], "monitor") == list(MONITORS)


def test_data_help_lists_the_library_dataset_kinds(cli):
    from tinygrad_cnn.data import available_datasets

    data = next(p for p in cli.commands["train"].params if p.name == "data")
    assert all(k.usage in data.help for k in available_datasets())
