"""The distributed tests launch real ``mpiexec`` jobs as subprocesses, each with a timeout,
so a hang fails a test instead of blocking the suite. They need the ``mpi`` extra."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("mpi_worker.py")


def mpiexec_path() -> str | None:
    """The ``mpiexec`` of this interpreter's environment (the mpich wheel's), else PATH's."""
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _available() -> str | None:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (the 'mpi' extra)"
    if mpiexec_path() is None:
        return "no mpiexec (install the 'mpi' extra: the mpich wheel ships it)"
    return None


#: mark of the tests that launch mpiexec
requires_mpi = pytest.mark.skipif(_available() is not None, reason=str(_available()))


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with this checkout first on PYTHONPATH."""
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), out.get("PYTHONPATH")) if p)
    out.pop("TGCNN_DEBUG", None)
    out.update(extra or {})
    return out


class Job:
    """A running ``mpiexec`` (its own process group, killed whole on timeout)."""

    def __init__(self, n: int, args: list[str], cwd: str | os.PathLike[str] | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.cmd = [mpiexec_path(), "-n", str(n), *map(str, args)]
        self.proc = subprocess.Popen(self.cmd, cwd=cwd, env=env(extra_env), text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc: object) -> None:
        """Whatever the test did: no process of the job outlives it."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate()

    def wait(self, timeout: float) -> subprocess.CompletedProcess:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            out, err = self.proc.communicate()
            pytest.fail(f"{' '.join(self.cmd)} hung for {timeout}s; stdout: {out[-2000:]} "
                        f"stderr: {err[-2000:]}")
        return subprocess.CompletedProcess(self.cmd, self.proc.returncode, out, err)


def mpiexec(n: int, *args: object, timeout: float = 90, cwd: str | os.PathLike[str] | None = None,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``mpiexec -n N ARGS`` to the end (failing the test after ``timeout`` seconds)."""
    return Job(n, [str(a) for a in args], cwd, extra_env).wait(timeout)


def worker(n: int, case: str, out: str | os.PathLike[str], *extra: object, timeout: float = 90,
           threads: int = 1, extra_env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
    """``mpiexec -n N python mpi_worker.py CASE OUT EXTRA...`` with ``threads`` threads each."""
    e = {"NUMBA_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
         **(extra_env or {})}
    return mpiexec(n, sys.executable, WORKER, case, out, *extra, timeout=timeout, extra_env=e)


def tgcnn(n: int, *args: object, timeout: float = 120, cwd: str | os.PathLike[str] | None = None,
          extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``mpiexec -n N python -m tinygrad_cnn ARGS`` (``n == 0``: one plain process)."""
    if n == 0:
        return subprocess.run([sys.executable, "-m", "tinygrad_cnn", *map(str, args)],
                              cwd=cwd, env=env(extra_env), capture_output=True, text=True,
                              timeout=timeout)
    return mpiexec(n, sys.executable, "-m", "tinygrad_cnn", *args, timeout=timeout, cwd=cwd)
