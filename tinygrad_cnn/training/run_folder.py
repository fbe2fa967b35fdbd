"""Where a training run's files go, and the rule that nothing is overwritten silently.

By default every run gets a fresh folder ``<project>/<name>-N`` (``runs/train/shapes-1``,
``runs/train/shapes-2``, ...: the first free N, created atomically so two runs started at once
never share one) holding::

    last.h5       the checkpoint of the last epoch (what --resume continues)
    best.h5       the checkpoint of the best epoch by --monitor
    metrics.csv   one row per epoch, rewritten as the run goes
    curves.png    loss and accuracy curves
    config.json   the resolved settings (a valid --config file for a new run)
    resume.txt    the command that continues the run

A run given a checkpoint file (``--out FILE``) writes the same files beside it, named after it:
``FILE``, ``<stem>.best.h5``, ``<stem>.metrics.csv``, ``<stem>.curves.png``,
``<stem>.config.json``, ``<stem>.resume.txt``. Writing a new run over an existing checkpoint
needs ``overwrite``; a resumed run continues in the files of the checkpoint it resumes.

Example:
    >>> p = paths_for_file("out/model.h5")
    >>> p.last.as_posix(), p.best.as_posix(), p.metrics.as_posix()
    ('out/model.h5', 'out/model.best.h5', 'out/model.metrics.csv')
    >>> paths_in_folder("runs/train/shapes-1").best.as_posix()
    'runs/train/shapes-1/best.h5'
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..atomic import write_atomic
from .config import OptionError
from .history import KEYS

DEFAULT_PROJECT = "runs/train"


@dataclass(frozen=True)
class RunPaths:
    """The files of one run (see the module docstring); ``folder`` is None for ``--out FILE``."""

    last: Path
    best: Path
    metrics: Path
    curves: Path
    config: Path
    resume: Path
    folder: Path | None = None

    @property
    def where(self) -> Path:
        """The run folder, or the folder of ``--out FILE``."""
        return self.folder if self.folder is not None else self.last.parent


def paths_in_folder(folder: str | os.PathLike[str]) -> RunPaths:
    """The file names of a run folder.

    Example:
        >>> paths_in_folder("r").curves.name
        'curves.png'
    """
    f = Path(folder)
    return RunPaths(f / "last.h5", f / "best.h5", f / "metrics.csv", f / "curves.png",
                    f / "config.json", f / "resume.txt", folder=f)


def paths_for_file(checkpoint: str | os.PathLike[str]) -> RunPaths:
    """The files of a run that writes its last checkpoint to ``checkpoint`` (``--out FILE``).

    Example:
        >>> paths_for_file("m.h5").curves.name
        'm.curves.png'
    """
    p = Path(checkpoint).expanduser()
    stem = p.stem
    return RunPaths(p, p.with_name(f"{stem}.best.h5"), p.with_name(f"{stem}.metrics.csv"),
                    p.with_name(f"{stem}.curves.png"), p.with_name(f"{stem}.config.json"),
                    p.with_name(f"{stem}.resume.txt"))


def paths_for_checkpoint(checkpoint: str | os.PathLike[str]) -> RunPaths:
    """The files of the run a checkpoint belongs to: a run folder's ``last.h5``/``best.h5``
    keep to that folder (its ``last.h5`` is where the run continues), any other file is an
    ``--out FILE`` run.

    Example:
        >>> paths_for_checkpoint("runs/train/shapes-1/best.h5").last.as_posix()
        'runs/train/shapes-1/last.h5'
    """
    p = Path(checkpoint).expanduser()
    if p.name in ("last.h5", "best.h5"):
        return paths_in_folder(p.parent)
    return paths_for_file(p)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def default_name(data: str) -> str:
    """A run name from the ``--data`` spec: its kind (``cifar10:~/x`` -> ``cifar10``).

    Example:
        >>> default_name("folder:/data/pets"), default_name("shapes")
        ('folder', 'shapes')
    """
    kind = str(data).split(":", 1)[0].strip()
    return _SAFE_NAME.sub("-", kind).strip("-.") or "run"


def new_run_folder(project: str | os.PathLike[str], name: str) -> Path:
    """Create and return ``project/name-N`` for the first N >= 1 that does not exist yet.

    Example:
        >>> import tempfile; tmp = tempfile.mkdtemp()
        >>> new_run_folder(tmp, "shapes").name, new_run_folder(tmp, "shapes").name
        ('shapes-1', 'shapes-2')
    """
    base = Path(project).expanduser()
    clean = _SAFE_NAME.sub("-", str(name)).strip("-.")
    if not clean:
        raise OptionError("name", f"{name!r} has no usable character; use letters, digits, . _ -")
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OptionError("project", f"cannot create the folder {base} "
                                     f"({err.strerror or err}); choose another `project=`") from None
    taken = [int(m.group(1)) for p in base.glob(f"{clean}-*")
             if (m := re.fullmatch(re.escape(clean) + r"-(\d+)", p.name))]
    n = max(taken, default=0) + 1
    while True:
        folder = base / f"{clean}-{n}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1
        except OSError as err:
            raise OptionError("project", f"cannot create the run folder {folder} "
                                         f"({err.strerror or err}); choose another "
                                         f"`project=`") from None


def check_writable_folder(folder: Path, option: str) -> None:
    """Create ``folder`` if needed and check that a file can really be created in it (a
    temporary file is made and removed), else :class:`OptionError` naming ``option``.

    Example:
        >>> import tempfile; check_writable_folder(Path(tempfile.mkdtemp()), "out")
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tgcnn-write-check.", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as err:
        raise OptionError(option, f"cannot write in {folder} ({err.strerror or err}); choose "
                                  f"another `{option}=`") from None


def check_no_overwrite(paths: RunPaths, overwrite: bool) -> None:
    """A new run must not replace an existing checkpoint unless ``overwrite`` is set.

    Example:
        >>> check_no_overwrite(paths_for_file("/no/such/m.h5"), overwrite=False)
    """
    if overwrite:
        return
    for p in (paths.last, paths.best):
        if p.exists():
            raise OptionError("out", f"{p} already exists; pass `overwrite=True` to replace "
                                     f"it, `resume={shlex.quote(str(paths.last))}` to continue "
                                     f"that run, or another `out=`")


def plan_paths(out: str | None, project: str, name: str | None, data: str, overwrite: bool,
               create: bool = True) -> RunPaths:
    """The files of a new run: ``out`` (a checkpoint file, checked against overwriting and
    for a writable folder) or a fresh run folder under ``project`` (created when ``create``;
    otherwise only ``project`` is checked).

    Example:
        >>> import tempfile; tmp = tempfile.mkdtemp()
        >>> plan_paths(None, tmp, None, "digits", False).folder.name
        'digits-1'
    """
    if out:
        p = Path(out).expanduser()
        if p.is_dir():
            raise OptionError("out", f"{p} is a folder; pass a file name such as "
                                     f"{p / 'model.h5'}")
        if p.exists() and not os.access(p, os.W_OK):
            raise OptionError("out", f"{p} exists and is not writable; choose another `out=`")
        paths = paths_for_file(p)
        check_no_overwrite(paths, overwrite)
        check_writable_folder(p.parent if str(p.parent) else Path("."), "out")
        return paths
    if not create:
        check_writable_folder(Path(project).expanduser(), "project")
        return paths_in_folder(Path(project).expanduser() / f"{name or default_name(data)}-N")
    return paths_in_folder(new_run_folder(project, name or default_name(data)))


def visualize_dir(checkpoint: str | os.PathLike[str]) -> Path:
    """Where ``tgcnn visualize`` writes by default: ``visualize/`` in the checkpoint's folder
    (its run folder), never beside the input image (a dataset folder would gain images).

    Example:
        >>> visualize_dir("runs/train/shapes-1/best.h5").as_posix()
        'runs/train/shapes-1/visualize'
    """
    return Path(checkpoint).expanduser().parent / "visualize"


def _atomic_text(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_bytes(text.encode("utf-8")))


def metrics_csv(history: Sequence[Mapping[str, Any]]) -> str:
    """The history as CSV text: a header of :data:`~tinygrad_cnn.training.history.KEYS`, one
    row per epoch, empty cells for missing validation figures.

    Example:
        >>> print(metrics_csv([{"epoch": 1, "train_loss": 0.5, "train_acc": 0.8, "val_loss": None,
        ...     "val_acc": None, "lr": 0.1, "time": 2.0, "images_per_s": 100.0}]), end="")
        epoch,train_loss,train_acc,val_loss,val_acc,lr,time,images_per_s
        1,0.5,0.8,,,0.1,2.0,100.0
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(KEYS)
    for r in history:
        writer.writerow(["" if r.get(k) is None else r[k] for k in KEYS])
    return buf.getvalue()


def write_metrics(history: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """Write :func:`metrics_csv` to ``path`` atomically (a reader never sees half a file)."""
    _atomic_text(path, metrics_csv(history))
    return path


def resume_command(paths: RunPaths) -> str:
    """The command that continues the run.

    Example:
        >>> resume_command(paths_in_folder("runs/train/shapes-1"))
        'tgcnn train --resume runs/train/shapes-1/last.h5'
    """
    return f"tgcnn train --resume {shlex.quote(str(paths.last))}"


def write_run_files(paths: RunPaths, settings: Mapping[str, Any]) -> None:
    """Write the resolved settings (``config.json``: usable as ``--config`` of a new run) and
    the resume command (``resume.txt``)."""
    keep = {k: v for k, v in settings.items() if k not in ("out", "overwrite")}
    _atomic_text(paths.config, json.dumps(keep, indent=2, sort_keys=True) + "\n")
    _atomic_text(paths.resume, resume_command(paths) + "\n")


def copy_checkpoint(src: Path, dst: Path) -> Path:
    """Copy ``src`` to ``dst`` atomically (the best checkpoint from the last one)."""
    def copy(tmp: Path) -> None:
        with open(src, "rb") as inp, open(tmp, "wb") as out:
            shutil.copyfileobj(inp, out, 1 << 20)

    return write_atomic(dst, copy)
