"""``tgcnn`` under ``mpiexec``: detect the job, join it before the options are parsed, keep
ranks other than 0 quiet, and make a failure on any rank, at any point, end them all (see
:mod:`tinygrad_cnn.distributed.faults`).

Example:
    >>> mpi_world_size({"PMI_SIZE": "4"}), mpi_world_size({})
    (4, 1)
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Callable, Iterator, Mapping

import click


#: (size, rank) variables set by the launchers of MPICH (hydra), Open MPI and PMIx
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


def _first_int(env: Mapping[str, str], names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = env.get(name, "")
        if value.strip().isdigit():
            return int(value)
    return default


def mpi_world_size(env: Mapping[str, str] | None = None) -> int:
    """The number of processes ``mpiexec`` started (1 when not started by it)."""
    return _first_int(os.environ if env is None else env, _SIZE_VARS, 1)


def is_main_process(env: Mapping[str, str] | None = None) -> bool:
    """Whether this process prints: not started by ``mpiexec``, or its rank 0.

    Example:
        >>> is_main_process({"PMI_SIZE": "2", "PMI_RANK": "1"}), is_main_process({})
        (False, True)
    """
    return _first_int(os.environ if env is None else env, _RANK_VARS, 0) == 0


def _join() -> Any:
    """Import the distributed package and join the job (MPI_Init); None outside a job."""
    size = mpi_world_size()
    if size <= 1:
        return None
    try:
        from tinygrad_cnn import distributed as dist
    except ImportError as err:
        if not is_main_process():
            sys.exit(1)
        raise click.ClickException(f"started by mpiexec with {size} processes but {err}") from None
    dist.init_process_group("mpi")
    return dist


@contextlib.contextmanager
def guard(describe_error: Callable[[BaseException], Any]) -> Iterator[None]:
    """Around the whole command line, option parsing included: under ``mpiexec`` join the job
    first, then make any failure either agreed by all ranks (rank 0 re-raises it, the others
    exit quietly with its code) or end every rank (see ``abort_on_error``)."""
    dist = _join()
    if dist is None:
        yield
        return
    with dist.abort_on_error(describe_error):
        yield


@contextlib.contextmanager
def job(command: str, announce_on_stderr: bool = False) -> Iterator[Any]:
    """Run a command's body as one process of an MPI job, or plainly outside one. Yields the
    process group (None outside a job). Rank 0 prints ``distributed: N processes (MPI: ...)``
    (on stderr with ``announce_on_stderr``, keeping stdout machine-readable); the other ranks
    print nothing. Each process gets its share of the machine's cores."""
    dist = _join()
    if dist is None:
        yield None
        return
    g = dist.group()
    threads = dist.use_threads(dist.threads_per_process(g.local_size))
    quiet = open(os.devnull, "w") if not g.is_main else None
    try:
        with contextlib.ExitStack() as stack:
            if quiet is not None:
                stack.enter_context(contextlib.redirect_stdout(quiet))
                stack.enter_context(contextlib.redirect_stderr(quiet))
            click.echo(f"distributed: {g.size} processes (MPI: {dist.mpi_library()}), "
                       f"{threads} thread{'s' if threads > 1 else ''} each",
                       err=announce_on_stderr)
            yield g
    finally:
        if quiet is not None:
            quiet.close()
