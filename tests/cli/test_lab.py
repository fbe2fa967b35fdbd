"""``tgcnn lab``: listing, running a lab into --out, one-line errors, lazy imports."""
import subprocess
import sys

from .helpers import one_error_line, subprocess_env


def test_lab_without_name_lists_every_lab(invoke):
    result = invoke("lab")
    assert result.exit_code == 0, result.output
    for name in ("sobel", "parameters", "shapes", "pooling", "translation", "filters",
                 "activations"):
        assert f"  {name} " in result.output


def test_lab_runs_into_out_and_prints_tables(invoke, tmp_path):
    out = tmp_path / "pool"
    result = invoke("lab", "pooling", "--out", out)
    assert result.exit_code == 0, result.output
    assert "2x2 max-pool, stride 2, on the 4x4 slice" in result.output
    assert f"picture: {out / 'pooling.png'}" in result.output
    assert [p.name for p in out.iterdir()] == ["pooling.png"]


def test_default_output_is_a_run_folder_and_markdown_works(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("lab", "sobel", "--markdown")
    assert result.exit_code == 0, result.output
    assert "| 0 | 40 | 40 | 0 |" in result.output
    assert (tmp_path / "runs" / "lab" / "sobel" / "sobel.png").is_file()


def test_lab_errors_are_one_line_usage_errors(invoke, tmp_path):
    for args, expected in ((("lab", "nope"), "no lab 'nope'; choose one of: sobel"),
                           (("lab", "sobel", "--epochs", "2"), "--epochs: is not a setting of "
                                                               "the sobel lab"),
                           (("lab", "translation", "--max-shift", "-1"), "--max-shift: must be")):
        result = invoke(*args, "--out", tmp_path / "x")
        assert result.exit_code == 2, result.output
        assert expected in one_error_line(result.stderr)
    assert not (tmp_path / "x").exists()


def test_lab_into_a_file_fails_without_touching_it(invoke, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("data")
    result = invoke("lab", "pooling", "--out", target)
    assert result.exit_code in (1, 2)
    assert target.read_text() == "data"
    one_error_line(result.stderr)


def test_cli_start_up_imports_no_lab():
    code = ("import sys; import tinygrad_cnn_cli.main; "
            "print(any(m.startswith('tinygrad_cnn.labs') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=subprocess_env(), check=True).stdout
    assert out.strip() == "False"
