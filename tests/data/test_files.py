"""Path checks and gzip-aware reads of the readers' shared helpers."""
import gzip
import os

import pytest

from tinygrad_cnn.data.errors import DataError
from tinygrad_cnn.data.files import listing, read_bytes, require_dir, require_file


def test_require_dir(tmp_path):
    assert require_dir(tmp_path, "folder") == tmp_path
    with pytest.raises(DataError, match="does not exist"):
        require_dir(tmp_path / "nope", "folder")
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file, expected a directory"):
        require_dir(tmp_path / "f", "folder")


def test_require_file(tmp_path):
    (tmp_path / "f").write_text("x")
    assert require_file(tmp_path / "f", "npz") == tmp_path / "f"
    with pytest.raises(DataError, match="is a directory"):
        require_file(tmp_path, "npz")
    with pytest.raises(DataError, match="npz: .* does not exist"):
        require_file(tmp_path / "g", "npz")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    p = tmp_path / "f"
    p.write_text("x")
    p.chmod(0)
    with pytest.raises(DataError, match="permission denied"):
        require_file(p, "npz")


def test_read_bytes_plain_and_gzip(tmp_path):
    (tmp_path / "a").write_bytes(b"abc")
    (tmp_path / "b.gz").write_bytes(gzip.compress(b"xyz"))
    assert read_bytes(tmp_path / "a") == b"abc"
    assert read_bytes(tmp_path / "b.gz") == b"xyz"


def test_read_bytes_truncated_gzip(tmp_path):
    data = gzip.compress(bytes(range(256)) * 50)
    (tmp_path / "c.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt or truncated gzip"):
        read_bytes(tmp_path / "c.gz")


def test_listing(tmp_path):
    assert listing(tmp_path) == "nothing"
    for i in range(7):
        (tmp_path / f"f{i}").write_text("")
    (tmp_path / "d").mkdir()
    out = listing(tmp_path, limit=3)
    assert out.startswith("d/, f0, f1") and "(5 more)" in out
