"""write_atomic: the one atomic file write (checkpoints, interop exports, run files)."""
from __future__ import annotations

import errno
import os

import pytest

from tinygrad_cnn import atomic


class Refused(Exception):
    pass


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        path = atomic.write_atomic(tmp_path / "a.txt", lambda tmp: tmp.write_bytes(b"a"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    assert names(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), RuntimeError("boom"),
                                 OSError(errno.ENOSPC, "No space left on device")])
def test_failure_keeps_the_previous_file_and_no_temp(tmp_path, exc):
    path = tmp_path / "a.txt"
    path.write_bytes(b"old")

    def write(tmp):
        tmp.write_bytes(b"half")
        raise exc

    with pytest.raises(type(exc)):
        atomic.write_atomic(path, write)
    assert path.read_bytes() == b"old" and names(tmp_path) == ["a.txt"]


def test_error_class_turns_os_errors_into_one_line(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    path.write_bytes(b"old")

    def refuse(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(Refused, match=r"^could not write .*a\.txt: Input/output error; the "
                                      r"previous file, if any, is unchanged$"):
        atomic.write_atomic(path, lambda tmp: tmp.write_bytes(b"new"), error=Refused)
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and names(tmp_path) == ["a.txt"]


def test_unwritable_folder_and_bad_targets(tmp_path, monkeypatch):
    with pytest.raises(Refused, match="cannot save .*: it is a folder; give a file name such "
                                      "as m.h5"):
        atomic.write_atomic(tmp_path, print, error=Refused, verb="save", example="m.h5")
    with pytest.raises(OSError, match="does not exist"):
        atomic.write_atomic(tmp_path / "no" / "a.txt", print)

    def deny(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(atomic.os, "open", deny)
    with pytest.raises(Refused, match="folder .* is not writable; choose another output path"):
        atomic.write_atomic(tmp_path / "a.txt", print, error=Refused)
    with pytest.raises(PermissionError):
        atomic.write_atomic(tmp_path / "a.txt", print)


def test_temp_names_match_the_stale_temp_pattern(tmp_path):
    seen = []
    atomic.write_atomic(tmp_path / "m.h5", lambda tmp: seen.append(tmp.name) or
                        tmp.write_bytes(b"x"))
    assert atomic.temp_pattern(tmp_path / "m.h5").fullmatch(seen[0])
