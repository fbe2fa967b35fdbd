"""The lab list, option checking and the cheap import of the labs package."""
import subprocess
import sys

import pytest

from tinygrad_cnn.labs import LABS, available_labs, run_lab
from tinygrad_cnn.training import OptionError


def test_every_lab_of_the_issue_is_listed_with_a_run_function():
    assert [lab.name for lab in available_labs()] == [
        "sobel", "parameters", "shapes", "pooling", "translation", "filters", "activations"]
    for lab in available_labs():
        assert callable(lab.module().run)
        assert lab.options()[0] == "seed"


def test_unknown_lab_and_foreign_option_are_refused(tmp_path):
    with pytest.raises(OptionError, match="no lab 'nope'"):
        run_lab("nope", tmp_path)
    with pytest.raises(OptionError, match="not a setting of the sobel lab") as info:
        run_lab("sobel", tmp_path, epochs=3)
    assert info.value.option == "epochs"
    assert not any(tmp_path.iterdir())  # refused before writing anything


def test_output_folder_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        run_lab("pooling", target)
    assert target.read_text() == "keep me"


def test_importing_the_package_imports_no_lab():
    code = ("import sys, tinygrad_cnn.labs as l; "
            "print(sorted(m for m in sys.modules if m.startswith('tinygrad_cnn.labs.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['tinygrad_cnn.labs.result']"
    assert set(LABS) == {lab.name for lab in available_labs()}
