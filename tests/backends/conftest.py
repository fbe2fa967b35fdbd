"""Backend tests: the plain-numpy reference backend (``reference.py``) every kernel is
compared against, as the ``ref`` fixture and as the importable modules ``reference`` and
``differential`` (this folder goes on ``sys.path``: the suite imports test files by path)."""
from __future__ import annotations

import pathlib
import sys

import pytest

HERE = str(pathlib.Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import reference as _reference  # noqa: E402


@pytest.fixture(scope="session")
def ref():
    """The numpy reference backend (reference.py)."""
    return _reference
