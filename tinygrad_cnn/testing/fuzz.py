"""Fuzzing the file readers: seeded mutants of a checkpoint (byte flips, truncations,
structural edits with h5py, the same edits with recomputed checksums) and of data files
(CIFAR python pickles, npz archives), each loaded in a separate worker process under a
memory limit, and the outcome classified.

Outcomes: ``refused`` (the one-line error of the API), ``identical`` (loaded, same weights
and metadata as the original), ``forged`` (a resealed edit that follows every rule and
loaded), ``changed`` (data files without checksums loaded with other pixel values), and the
failures: ``corrupted`` (a damaged checkpoint loaded with other weights or metadata),
``traceback`` (any other exception), ``memory`` (``MemoryError`` or the memory limit hit),
``crash`` (the worker died) and ``hang`` (no answer within the time limit).

Example:
    >>> report = run_fuzz("model.h5", {"byteflip": 50}, seed=0)     # doctest: +SKIP
    >>> report.failures()                                           # doctest: +SKIP
    0
"""
from __future__ import annotations

import json
import multiprocessing
import pickle
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

CHECKPOINT_KINDS = ("byteflip", "truncate", "structural", "forged")
DATA_KINDS = ("cifar", "npz")
KINDS = CHECKPOINT_KINDS + DATA_KINDS
FAILURES = ("corrupted", "traceback", "memory", "crash", "hang")
MEMORY_LIMIT = 2 << 30


@dataclass
class FuzzReport:
    """Outcome counts per mutant kind, and one example message per failing outcome."""

    counts: dict[str, Counter] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, outcome: str, detail: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1
        if outcome in FAILURES:
            self.examples.setdefault(f"{kind}/{outcome}", detail[:300])

    def failures(self) -> int:
        return sum(c[o] for c in self.counts.values() for o in FAILURES)

    def table(self) -> str:
        """A Markdown table: one row per kind, one column per outcome."""
        cols = ["refused", "identical", "forged", "changed", *FAILURES]
        rows = ["| kind | mutants | " + " | ".join(cols) + " |",
                "|---|---:|" + "---:|" * len(cols)]
        for kind, c in self.counts.items():
            rows.append(f"| {kind} | {sum(c.values())} | " + " | ".join(str(c[o]) for o in cols)
                        + " |")
        return "\n".join(rows)


# ---- mutations ----------------------------------------------------------------------------

def _garbage(rng: np.random.Generator) -> Any:
    choices = [10**int(rng.integers(3, 13)), -1, 0, "x", None, [], {}, 1e308, float("nan"),
               True, [[[[1]]]], "folder:/", 2**70, [3, 40000, 40000], "__class__"]
    return choices[int(rng.integers(len(choices)))]


def _mutate_json(value: Any, rng: np.random.Generator) -> Any:
    """``value`` with one random leaf (or key) replaced by garbage."""
    paths: list[tuple[Any, Any]] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k in list(v):
                paths.append((v, k))
                walk(v[k])
        elif isinstance(v, list):
            for i in range(len(v)):
                paths.append((v, i))
                walk(v[i])

    walk(value)
    if not paths:
        return _garbage(rng)
    parent, key = paths[int(rng.integers(len(paths)))]
    if isinstance(parent, dict) and rng.random() < 0.15:
        parent["__class__" if rng.random() < 0.5 else f"{key}_"] = parent.pop(key)
    else:
        parent[key] = _garbage(rng)
    return value


def _datasets(f: Any) -> list[str]:
    import h5py

    names: list[str] = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return names


def _structural_edit(f: Any, rng: np.random.Generator) -> None:
    import h5py

    names = _datasets(f)
    name = names[int(rng.integers(len(names)))]
    op = int(rng.integers(12))
    texts = [n for n in names if f[n].dtype.kind in "SO" and f[n].shape == ()]
    if op in (4, 5, 10, 11) and texts:  # the JSON texts: half of the edits
        name, op = texts[int(rng.integers(len(texts)))], 4
    if op == 0:  # another shape or dtype
        text = f[name].dtype.kind in "SO"
        shape = tuple(int(rng.integers(0, 5)) for _ in range(int(rng.integers(0, 4))))
        dtype = [np.float32, np.float64, np.int8, np.int64, np.float16, np.bool_][int(rng.integers(6))]
        del f[name]
        f[name] = "x" if text and rng.random() < 0.5 else np.zeros(shape, dtype)
    elif op == 1:  # removed
        del f[name]
    elif op == 2:  # links
        target = [h5py.SoftLink("/" + name), h5py.ExternalLink("/etc/passwd", "/x"),
                  f[name]][int(rng.integers(3))]
        f["parameters/extra" if "parameters" in f else "extra"] = target
    elif op == 3:
        key = ["format_version", "format", "framework_version"][int(rng.integers(3))]
        f.attrs[key] = [0, 3, -1, "x", 2**40, b"\xff"][int(rng.integers(6))]
    elif op == 4:
        text = f[name][()]
        try:
            value = _mutate_json(json.loads(text), rng)
            new = json.dumps(value)
        except ValueError:
            new = "{" * 3
        del f[name]
        f[name] = new
    elif op == 6 and f[name].dtype.kind == "f" and f[name].size:  # non-finite weights
        data = f[name][...]
        data.flat[int(rng.integers(data.size))] = [np.nan, np.inf, -np.inf][int(rng.integers(3))]
        f[name][...] = data
    elif op == 7 and f[name].shape not in (None, ()):  # chunked and compressed
        data = f[name][...]
        del f[name]
        f.create_dataset(name, data=data, chunks=True, compression="gzip")
    elif op == 8:  # declared but not stored
        del f[name]
        f.create_dataset(name, shape=(10**9,), dtype=np.float32)
    else:  # the checksum attribute
        f[name].attrs["sha256"] = ["0" * 64, "", "x"][int(rng.integers(3))]


def mutate_checkpoint(raw: bytes, kind: str, rng: np.random.Generator, out: Path) -> None:
    """Write to ``out`` a mutant of the checkpoint bytes ``raw`` of ``kind``."""
    if kind == "byteflip":
        data = bytearray(raw)
        for _ in range(int(rng.integers(1, 4))):
            data[int(rng.integers(len(data)))] = int(rng.integers(256))
        out.write_bytes(bytes(data))
    elif kind == "truncate":
        cut = int(rng.integers(len(raw)))
        tail = bytes(len(raw) - cut) if rng.random() < 0.3 else b""
        out.write_bytes(raw[:cut] + tail)
    else:
        import h5py

        from ..checkpoint.integrity import reseal

        out.write_bytes(raw)
        with h5py.File(out, "r+") as f:
            for _ in range(int(rng.integers(1, 3))):
                try:
                    _structural_edit(f, rng)
                except (KeyError, ValueError, TypeError, OSError, RuntimeError):
                    pass  # an edit h5py itself refuses: the file stays as it is
            if kind == "forged":
                try:
                    reseal(f)
                except (OSError, RuntimeError, ValueError, KeyError, TypeError):
                    pass


def _cifar_batch(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {b"batch_label": b"b", b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"filenames": [b"f"] * n}


def mutate_cifar(rng: np.random.Generator, folder: Path) -> None:
    """A CIFAR python folder whose ``data_batch_1`` is a mutant pickle."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_batch").write_bytes(pickle.dumps(_cifar_batch(4, 1), protocol=2))
    batch = _cifar_batch(4, 0)
    if rng.random() < 0.5:
        raw = bytearray(pickle.dumps(batch, protocol=int(rng.integers(2, 6))))
        for _ in range(int(rng.integers(1, 4))):
            raw[int(rng.integers(len(raw)))] = int(rng.integers(256))
        (folder / "data_batch_1").write_bytes(bytes(raw))
    else:
        (folder / "data_batch_1").write_bytes(pickle.dumps(_mutate_json(batch, rng), protocol=2))


def mutate_npz(rng: np.random.Generator, out: Path) -> None:
    """A mutant of a small compressed npz dataset."""
    x = np.random.default_rng(0).integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    np.savez_compressed(out, x=x, y=np.arange(20) % 2)
    raw = bytearray(out.read_bytes())
    if rng.random() < 0.7:
        for _ in range(int(rng.integers(1, 4))):
            raw[int(rng.integers(len(raw)))] = int(rng.integers(256))
    else:
        raw = raw[:int(rng.integers(len(raw)))]
    out.write_bytes(bytes(raw))


# ---- loading, in a worker process ---------------------------------------------------------

def _state(kind: str, path: str) -> tuple[dict[str, np.ndarray], str]:
    """Load ``path`` as the readers do; returns (arrays, canonical text of the rest)."""
    if kind in CHECKPOINT_KINDS:
        import tinygrad_cnn as tg
        from tinygrad_cnn.autograd import no_grad
        from tinygrad_cnn.training.inference import load_model

        loaded = load_model(path)
        with no_grad():
            loaded.model(tg.Tensor(np.zeros((1, *loaded.info.input_shape), np.float32)))
        arrays = {k: np.asarray(v) for k, v in loaded.model.state_dict().items()}
        return arrays, json.dumps(loaded.metadata, sort_keys=True, default=_plain)
    from tinygrad_cnn.data import load_dataset

    spec = f"cifar10:{path}" if kind == "cifar" else f"npz:{path}"
    s = load_dataset(spec)
    return {"x": s.train.x, "y": s.train.y, "xt": s.test.x, "yt": s.test.y}, repr(s.classes)


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else repr(value)


def _same(a: tuple, b: tuple) -> bool:
    return a[1] == b[1] and list(a[0]) == list(b[0]) and all(
        a[0][k].shape == b[0][k].shape and a[0][k].dtype == b[0][k].dtype and
        np.array_equal(a[0][k], b[0][k], equal_nan=a[0][k].dtype.kind == "f") for k in a[0])


def classify(kind: str, path: str, reference: tuple | None) -> tuple[str, str]:
    """(outcome, detail) of loading the mutant ``path`` (see the module docstring)."""
    from tinygrad_cnn.checkpoint import CheckpointError
    from tinygrad_cnn.data import DataError
    from tinygrad_cnn.layers import ConfigError, PluginError
    from tinygrad_cnn.training import OptionError

    try:
        got = _state(kind, path)
    except (CheckpointError, DataError, ConfigError, PluginError, OptionError) as err:
        text = str(err)
        if "not enough memory" in text:
            return "memory", text
        return ("refused", text) if "\n" not in text else ("traceback", "multi-line: " + text)
    except MemoryError as err:
        return "memory", f"MemoryError {err}"
    except Exception as err:  # noqa: BLE001 - what the fuzzing is looking for
        return "traceback", f"{type(err).__name__}: {err}"
    if reference is not None and _same(got, reference):
        return "identical", ""
    if kind == "forged":
        return "forged", ""
    if kind in DATA_KINDS:
        return "changed", ""
    return "corrupted", "loaded with other weights or metadata"


def _worker(conn: Any, limit: int) -> None:
    import resource
    import warnings

    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    references: dict[str, tuple | None] = {}
    while True:
        task = conn.recv()
        if task is None:
            return
        kind, path, original = task
        group = "checkpoint" if kind in CHECKPOINT_KINDS else kind
        if group not in references:
            references[group] = _state(kind, original) if original else None
        conn.send(classify(kind, path, references[group]))


class _Pool:
    """One worker process, restarted after a crash or a hang."""

    def __init__(self, limit: int, timeout: float) -> None:
        self.limit, self.timeout = limit, timeout
        self.ctx = multiprocessing.get_context("spawn")
        self.proc = None
        self.conn = None

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.limit), daemon=True)
        self.proc.start()

    def run(self, kind: str, path: str, original: str | None) -> tuple[str, str]:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send((kind, path, original))
        if not self.conn.poll(self.timeout):
            self.proc.kill()
            self.proc.join()
            self.proc = None
            return "hang", f"no answer in {self.timeout:.0f}s"
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            self.proc.join()
            code = self.proc.exitcode
            self.proc = None
            return "crash", f"worker exit code {code}"

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(10)


def run_fuzz(checkpoint: str | Path, counts: dict[str, int], seed: int = 0,
             limit: int = MEMORY_LIMIT, timeout: float = 60.0,
             progress: Callable[[str, int], None] | None = None,
             keep: str | Path | None = None) -> FuzzReport:
    """Make ``counts[kind]`` seeded mutants of each kind (checkpoint kinds mutate the file
    ``checkpoint``, which must hold ``tgcnn train`` metadata) and classify each load;
    mutants that fail are copied into the folder ``keep`` when given."""
    report = FuzzReport()
    raw = Path(checkpoint).read_bytes()
    work = Path(tempfile.mkdtemp(prefix="tgcnn-fuzz-"))
    pool = _Pool(limit, timeout)
    try:
        originals = {"cifar": work / "cifar-original", "npz": work / "original.npz"}
        mutate_cifar(np.random.default_rng(0), originals["cifar"])
        (originals["cifar"] / "data_batch_1").write_bytes(
            pickle.dumps(_cifar_batch(4, 0), protocol=2))
        np.savez_compressed(originals["npz"], x=np.random.default_rng(0).integers(
            0, 256, (20, 8, 8, 3), dtype=np.uint8), y=np.arange(20) % 2)
        for k_i, kind in enumerate(counts):
            rng = np.random.default_rng([seed, k_i])
            for i in range(counts[kind]):
                target = work / f"{kind}-{i}"
                if kind in CHECKPOINT_KINDS:
                    target = target.with_suffix(".h5")
                    mutate_checkpoint(raw, kind, rng, target)
                    original = str(checkpoint)
                elif kind == "cifar":
                    mutate_cifar(rng, target)
                    original = str(originals["cifar"])
                else:
                    target = target.with_suffix(".npz")
                    mutate_npz(rng, target)
                    original = str(originals["npz"])
                outcome, detail = pool.run(kind, str(target), original)
                report.add(kind, outcome, f"mutant {i}: {detail}")
                if keep is not None and outcome in FAILURES:
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    copy = shutil.copytree if target.is_dir() else shutil.copy
                    copy(target, Path(keep) / f"{outcome}-{target.name}")
                if target.is_dir():
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    target.unlink(missing_ok=True)
                if progress is not None:
                    progress(kind, i + 1)
    finally:
        pool.close()
        shutil.rmtree(work, ignore_errors=True)
    return report
