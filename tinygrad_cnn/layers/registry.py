"""A lazy, cached registry over one entry-point group (used for layers and model builders).

Discovery reads ``importlib.metadata.entry_points(group=...)`` once and imports nothing; an
entry is imported on first :meth:`EntryPointRegistry.get`. One name registered by two
distributions is a :class:`PluginCollisionError` naming both; a plugin that fails to import
is recorded (shown by :meth:`available` and :meth:`failures`), warned about by
:meth:`load_all`, and only becomes fatal for everything in strict mode
(``TGCNN_STRICT_PLUGINS=1``, :func:`set_strict` or ``strict=True``).

Example:
    >>> reg = EntryPointRegistry("tinygrad_cnn.layers", kind="layer")
    >>> reg.get("Conv2d").__name__
    'Conv2d'
"""
from __future__ import annotations

import configparser
import difflib
import importlib
import importlib.metadata as metadata
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import one_line
from .errors import LayerNotFoundError, PluginCollisionError, PluginError, PluginWarning

STRICT_ENV = "TGCNN_STRICT_PLUGINS"
OWN_DISTRIBUTION = "tinygrad-cnn"
_strict_override: bool | None = None


def set_strict(strict: bool | None) -> None:
    """Make plugin failures fatal (``True``), tolerated (``False``) or follow the environment
    variable ``TGCNN_STRICT_PLUGINS`` again (``None``). The CLI's ``--strict-plugins`` calls it."""
    global _strict_override
    _strict_override = strict


def strict_mode(strict: bool | None = None) -> bool:
    """Whether plugin failures are errors: ``strict`` if given, else :func:`set_strict`'s
    value, else the environment variable."""
    if strict is not None:
        return bool(strict)
    if _strict_override is not None:
        return _strict_override
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _normalise(dist: str | None) -> str:
    return re.sub(r"[-_.]+", "-", dist or "").lower()


@dataclass(frozen=True)
class PluginInfo:
    """One registered entry: what :meth:`EntryPointRegistry.available` lists."""

    name: str
    value: str                 # "package.module:Object"
    distribution: str | None   # who declared it
    version: str | None
    loaded: bool
    error: str | None          # import failure or collision, when one was seen

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "distribution": self.distribution,
                "version": self.version, "loaded": self.loaded, "error": self.error}


@dataclass(frozen=True)
class _Entry:
    name: str
    value: str
    distribution: str | None
    version: str | None

    def label(self) -> str:
        dist = self.distribution or "an unknown distribution"
        return f"{dist} {self.version}" if self.version else dist


def _source_checkout_entries(group: str) -> list[_Entry]:
    """The project's own declarations read from the ``setup.cfg`` beside the package, for a
    source checkout used without ``pip install`` (no installed metadata to read)."""
    setup_cfg = Path(__file__).resolve().parents[2] / "setup.cfg"
    if not setup_cfg.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(setup_cfg, encoding="utf-8")
        raw = parser.get("options.entry_points", group, fallback="")
    except configparser.Error:
        return []
    from .. import __version__
    out = []
    for line in raw.splitlines():
        if "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            out.append(_Entry(name, value, OWN_DISTRIBUTION + " (source checkout)", __version__))
    return out


class EntryPointRegistry:
    """Objects declared in one entry-point group, found lazily and cached.

    ``validate(obj)`` returns an error message (or None) for a loaded object that is not the
    right kind (e.g. not a ``Module`` subclass for layers). ``not_found`` is the exception
    raised for an unknown name.
    """

    def __init__(self, group: str, kind: str = "plugin",
                 validate: Callable[[Any], str | None] | None = None,
                 not_found: type[LookupError] = LayerNotFoundError) -> None:
        self.group, self.kind = group, kind
        self._validate, self._not_found = validate, not_found
        self.clear_cache()

    # ---- discovery (no imports) ----
    def clear_cache(self) -> None:
        """Forget discovered, loaded and failed entries (after installing a plugin)."""
        self._entries: dict[str, list[_Entry]] | None = None
        self._loaded: dict[str, Any] = {}
        self._failures: dict[str, str] = {}
        self._strict_checked = False
        importlib.invalidate_caches()

    def _scan(self) -> dict[str, list[_Entry]]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, list[_Entry]] = {}
        own_seen = False
        for ep in metadata.entry_points(group=self.group):
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist is not None else None
            own_seen |= _normalise(dist_name) == OWN_DISTRIBUTION
            entry = _Entry(ep.name, ep.value, dist_name, dist.version if dist is not None else None)
            same = entries.setdefault(ep.name, [])
            if not any(_normalise(e.distribution) == _normalise(dist_name) and e.value == ep.value
                       for e in same):
                same.append(entry)
        if not own_seen:
            for entry in _source_checkout_entries(self.group):
                entries.setdefault(entry.name, []).append(entry)
        self._entries = entries
        return entries

    def names(self) -> list[str]:
        """Every registered name, sorted (nothing is imported)."""
        return sorted(self._scan())

    def _collision(self, name: str, entries: list[_Entry]) -> str:
        who = " and ".join(f"distribution {e.label()} ({e.value})" for e in entries)
        return (f"{self.kind} name {name!r} in entry-point group {self.group!r} is registered "
                f"by both {who}; uninstall one of them")

    def available(self, load: bool = False, strict: bool | None = None) -> list[PluginInfo]:
        """One :class:`PluginInfo` per registered entry, sorted by name.

        Nothing is imported unless ``load=True``, which first imports every entry (see
        :meth:`load_all`) so that each row's ``loaded``/``error`` is known.
        """
        if load:
            self.load_all(strict=strict)
        rows = []
        for name, entries in sorted(self._scan().items()):
            collision = self._collision(name, entries) if len(entries) > 1 else None
            for e in entries:
                rows.append(PluginInfo(name, e.value, e.distribution, e.version,
                                       name in self._loaded,
                                       collision or self._failures.get(name)))
        return rows

    def failures(self) -> dict[str, str]:
        """Name -> one-line error for every entry seen failing (imports tried so far, and
        every collision)."""
        out = dict(self._failures)
        for name, entries in self._scan().items():
            if len(entries) > 1:
                out[name] = self._collision(name, entries)
        return dict(sorted(out.items()))

    def distributions(self) -> list[str]:
        """``"name version"`` of every distribution that declares entries in this group."""
        seen: dict[str, str] = {}
        for entries in self._scan().values():
            for e in entries:
                seen.setdefault(_normalise(e.distribution), e.label())
        return sorted(seen.values())

    # ---- loading ----
    def _load(self, name: str) -> Any:
        if name in self._loaded:
            return self._loaded[name]
        entries = self._scan()[name]
        if len(entries) > 1:
            message = self._collision(name, entries)
            self._failures[name] = message
            raise PluginCollisionError(message)
        entry = entries[0]
        try:
            obj = metadata.EntryPoint(name=entry.name, value=entry.value, group=self.group).load()
        except Exception as exc:  # any import-time error of third-party code
            message = one_line(f"{self.kind} plugin {name!r} ({entry.value}) from distribution "
                               f"{entry.label()} failed to import: {type(exc).__name__}: {exc}")
            self._failures[name] = message
            raise PluginError(message) from exc
        problem = self._validate(obj) if self._validate else None
        if problem:
            message = one_line(f"{self.kind} plugin {name!r} ({entry.value}) from distribution "
                               f"{entry.label()} is unusable: {problem}")
            self._failures[name] = message
            raise PluginError(message)
        self._failures.pop(name, None)
        self._loaded[name] = obj
        return obj

    def load_all(self, strict: bool | None = None) -> dict[str, Any]:
        """Import every entry. Failures (and collisions) are recorded and, unless strict, each
        one is reported as a :class:`PluginWarning`; in strict mode one :class:`PluginError`
        lists them all. Returns the objects that loaded."""
        problems = []
        for name in self.names():
            try:
                self._load(name)
            except PluginError as exc:
                problems.append(str(exc))
        if problems and strict_mode(strict):
            raise PluginError(f"strict plugin mode (`set_strict(True)` or {STRICT_ENV}=1): "
                              f"{len(problems)} broken {self.kind} plugin(s): "
                              + " | ".join(problems))
        for message in problems:
            warnings.warn(message, PluginWarning, stacklevel=2)
        self._strict_checked = True
        return dict(self._loaded)

    def get(self, name: str, strict: bool | None = None) -> Any:
        """The object registered as ``name``, imported on first use.

        Raises the registry's not-found error (with close matches and the installed plugin
        distributions), :class:`PluginCollisionError` or :class:`PluginError`. In strict mode
        the first call imports every entry and fails if any is broken.
        """
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {name!r}")
        if strict_mode(strict) and not self._strict_checked:
            self.load_all(strict=True)
        if name not in self._scan():
            raise self._not_found(self.unknown_message(name))
        return self._load(name)

    def unknown_message(self, name: str) -> str:
        """One line: the unknown name, close matches and the installed plugin distributions."""
        names = self.names()
        lower = {n.lower(): n for n in names}
        close = [lower[name.lower()]] if name.lower() in lower else []
        close += [n for n in difflib.get_close_matches(name, names, n=5, cutoff=0.6)
                  if n not in close]
        hint = f"did you mean {', '.join(close)}?" if close else \
            f"known {self.kind}s: {', '.join(names) or 'none'}"
        dists = ", ".join(self.distributions()) or "none"
        return (f"unknown {self.kind} {name!r}; {hint} (installed {self.kind} plugin "
                f"distributions: {dists}; entry-point group {self.group!r})")

    def name_of(self, obj: Any) -> str:
        """The registered name of ``obj`` (e.g. a layer class), importing as little as
        possible; :class:`PluginError` when ``obj`` is not registered."""
        for name, loaded in self._loaded.items():
            if loaded is obj:
                return name
        qualname = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
        path = f"{getattr(obj, '__module__', '?')}:{qualname}"
        entries = self._scan()
        exact = [n for n, es in entries.items() if any(e.value == path for e in es)]
        by_attr = [n for n, es in entries.items() if n not in exact
                   and any(e.value.rsplit(":", 1)[-1].strip() == qualname for e in es)]
        for name in sorted(exact):  # a collision here is this very class's problem: raise it
            if self._load(name) is obj:
                return name
        for name in sorted(by_attr):  # guesses: a broken or colliding guess is not ours
            try:
                if self._load(name) is obj:
                    return name
            except PluginError:
                continue
        raise PluginError(f"{qualname} ({path}) is not registered in the entry-point group "
                          f"{self.group!r}: declare it as `<name> = {path}` under "
                          f"[options.entry_points] in its distribution's setup.cfg and reinstall")
