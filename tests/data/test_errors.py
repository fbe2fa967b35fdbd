"""DataError: a ValueError whose message is always one line."""
import pytest
from hypothesis import given, strategies as st

from tinygrad_cnn.data.errors import DataError


def test_is_value_error():
    with pytest.raises(ValueError):
        raise DataError("bad")


@given(st.text())
def test_message_is_one_line(text):
    msg = str(DataError(text))
    assert "\n" not in msg and "\r" not in msg


def test_newlines_become_separators():
    assert str(DataError("a\nb")) == "a; b"
