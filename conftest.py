"""Test-session settings shared by ``tests/``, ``plugins/`` and the docstring examples that
``--doctest-modules`` collects from ``tinygrad_cnn/``, ``cli/`` and the plugin sources.

* Everything under ``backends/cuda`` (tests and doctests) gets the ``cuda`` mark: it runs in
  the simulator process, ``NUMBA_ENABLE_CUDASIM=1 python -m pytest -m cuda``.
* A module whose import or examples need an optional dependency is skipped, with the extra
  to install, when that dependency is missing.
* The CLI's modules are imported as the installed ``tinygrad_cnn_cli`` package and a plugin's
  as its distribution's package, so examples run against the code users import.
* Doctests run with the CPU kernels pinned to one thread: the threaded conv weight gradient
  sums per-thread partials in run order, and printed results must not depend on it.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem, DoctestModule

ROOT = Path(__file__).resolve().parent

#: path prefix (relative to the repository root) -> (module it needs, how to install it)
OPTIONAL = {
    "tinygrad_cnn/distributed/": ("mpi4py", "the 'mpi' extra"),
    "tinygrad_cnn/nn/parallel.py": ("mpi4py", "the 'mpi' extra"),
    "tinygrad_cnn/interop/onnx_": ("onnx", "the 'interop' extra"),
    "tinygrad_cnn/interop/convert.py": ("onnx", "the 'interop' extra"),
    "tinygrad_cnn/interop/__init__.py": ("safetensors", "the 'interop' extra"),
    "tinygrad_cnn/interop/safetensors_io.py": ("safetensors", "the 'interop' extra"),
    "tinygrad_cnn/data/digits.py": ("sklearn", "the 'digits' extra"),
    "tinygrad_cnn/labs/sobel.py": ("sklearn", "the 'digits' extra"),
    "tinygrad_cnn/labs/translation.py": ("sklearn", "the 'digits' extra"),
    "tinygrad_cnn/testing/strategies.py": ("hypothesis", "the 'test' extra"),
    "tinygrad_cnn/testing/parity.py": ("torch", "the 'test' extra on x86_64 Python 3.11"),
    "tinygrad_cnn/backends/cuda/": ("numba.cuda", "the 'cuda' extra"),
    "plugins/tgcnn-sobel/": ("tgcnn_sobel", "pip install ./plugins/tgcnn-sobel"),
    "plugins/tgcnn-squeeze-excite/": ("tgcnn_squeeze_excite",
                                      "pip install ./plugins/tgcnn-squeeze-excite"),
}


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _module_name(rel: str) -> str | None:
    """The importable name of a source file outside ``tinygrad_cnn/`` (None: pytest's own)."""
    parts = rel[:-len(".py")].split("/")
    if parts[0] == "cli":
        parts[0] = "tinygrad_cnn_cli"
    elif parts[0] == "plugins" and len(parts) > 3 and parts[2] == "src":
        parts = parts[3:]
    else:
        return None
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class PackageDoctests(DoctestModule):
    """The examples of one module, imported by its package name, skipped without its extra."""

    def _getobj(self):
        rel = _relative(self.path)
        for prefix, (needed, extra) in OPTIONAL.items():
            if rel.startswith(prefix):
                pytest.importorskip(needed, reason=f"{needed} is not installed ({extra})")
        name = _module_name(rel)
        if name is None:
            return super()._getobj()
        if name.startswith("tinygrad_cnn_cli"):
            from tinygrad_cnn.__main__ import load_cli
            load_cli()  # the installed package, or the checkout's cli/ under that name
        return importlib.import_module(name)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collectors = yield
    collectors = [PackageDoctests.from_parent(parent, path=file_path)
                  if type(c) is DoctestModule else c for c in collectors]
    if file_path.name == "__main__.py" and parent.config.option.doctestmodules \
            and _relative(file_path) == "tinygrad_cnn/__main__.py":
        collectors.append(PackageDoctests.from_parent(parent, path=file_path))  # pytest skips it
    return collectors


def pytest_collection_modifyitems(config, items):
    """Everything under ``backends/cuda`` runs in the simulator process (``-m cuda``)."""
    for item in items:
        if "backends/cuda/" in _relative(Path(item.path)):
            item.add_marker(pytest.mark.cuda)


@pytest.fixture(autouse=True)
def _doctest_one_thread(request):
    """Pin the CPU kernels to one thread while a docstring example runs."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)
