"""Reverse-mode autodiff: ``Function`` (one forward/backward pair per op) and the graph walk.

An op subclasses :class:`Function` and defines ``forward(self, *arrays, **params)`` and
``backward(self, grad)``; the instance is the backward context (``self.save(...)``), as in
early tinygrad or ``torch.autograd.Function``. ``forward`` and ``backward`` see backend
arrays only and call the kernels of ``self.backend``, so one definition serves every device.

Example:
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.numpy()
    array([2., 4.], dtype=float32)
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .backends import get_backend

if TYPE_CHECKING:
    from .tensor import Tensor

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether new ops record the graph (False inside :func:`no_grad`)."""
    return getattr(_state, "grad_enabled", True)


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator that stops ops from recording the graph.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     y = x * 2
        >>> y.requires_grad, (x * 2).requires_grad
        (False, True)
    """

    def __enter__(self) -> "no_grad":
        self._previous = is_grad_enabled()
        _state.grad_enabled = False
        return self

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._previous


class Function:
    """Base class of every differentiable op; an instance is the op's backward context."""

    backend: ModuleType
    device: str
    parents: tuple["Tensor", ...]
    needs_input_grad: tuple[bool, ...]

    def forward(self, *args: Any, **params: Any) -> Any:
        """Compute the output array from backend arrays (and plain Python parameters)."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad: Any) -> Any:
        """Return one gradient array (or None) per positional input of ``forward``."""
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def save(self, *arrays: Any) -> None:
        """Keep what ``backward`` needs; released once backward has run."""
        self.saved = arrays

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> "Tensor":
        """Run the op on ``args`` (tensors and Python values) and record it when needed."""
        from .tensor import Tensor

        tensors = [a for a in args if isinstance(a, Tensor)]
        device = tensors[0].device
        for t in tensors[1:]:
            if t.device != device:
                raise ValueError(f"{cls.__name__}: tensors on different devices, {device} and "
                                 f"{t.device}: move one with .to({device!r})")
        ctx = cls()
        ctx.device = device
        ctx.backend = get_backend(device)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        raw = [a._array if isinstance(a, Tensor) else a for a in args]
        out = ctx.forward(*raw, **params)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        result = Tensor._wrap(out, getattr(ctx, "out_device", device), requires_grad=record)
        if record:
            ctx.parents = tuple(args)
            ctx.versions = tuple(a._version for a in tensors)
            ctx.output = weakref.ref(result)
            result._ctx = ctx
        return result


def _topological_order(root: "Tensor") -> list["Tensor"]:
    """Tensors of the graph ending at ``root``, inputs before outputs, without recursion."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        if node._graph_freed:
            raise RuntimeError("backward(): trying to backward through the graph a second time "
                               "(it is freed after backward); compute the output again")
        stack.append((node, True))
        if node._ctx is not None:
            for parent in node._ctx.parents:
                if _is_tensor(parent) and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _is_tensor(obj: Any) -> bool:
    from .tensor import Tensor
    return isinstance(obj, Tensor)


def _check_versions(ctx: Function) -> None:
    """Refuse a backward through an op whose saved input was since modified in place."""
    saved = getattr(ctx, "saved", ())
    tensors = [p for p in ctx.parents if _is_tensor(p)]
    out = ctx.output() if hasattr(ctx, "output") else None
    if out is not None and out._version and any(s is out._array for s in saved):
        raise RuntimeError(f"backward(): the {out.dtype} output of shape {out.shape} of "
                           f"{type(ctx).__name__}, which its backward needs, was modified by an "
                           "in-place operation; use an out-of-place op or .clone() first")
    for t, version in zip(tensors, getattr(ctx, "versions", ())):
        # a saved input changed, or a non-leaf input changed (its gradient would now flow
        # through the in-place op's graph instead of the one this op saw)
        if t._version != version and (t._ctx is not None or any(s is t._array for s in saved)):
            raise RuntimeError(f"backward(): a {t.dtype} tensor of shape {t.shape} needed by "
                               f"{type(ctx).__name__} was modified by an in-place operation "
                               f"(version {t._version}, expected {version}); use an "
                               "out-of-place op or .clone() before modifying it")


def run_backward(root: "Tensor", grad: Any, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (a backend array shaped like ``root``) to every leaf's ``.grad``;
    the graph is freed afterwards unless ``retain_graph``."""
    from .tensor import Tensor

    order = _topological_order(root)
    grads: dict[int, Any] = {id(root): grad}
    given: set[int] = set()
    with no_grad():
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            ctx, be = node._ctx, get_backend(node.device)
            if ctx is None:
                if node.grad is None:
                    # .grad may be updated in place later: it must own writable storage
                    if id(g) in given or not getattr(getattr(g, "flags", None), "writeable", True):
                        g = be.copy(g)
                    given.add(id(g))
                    node.grad = Tensor._wrap(g, node.device)
                else:
                    node.grad = Tensor._wrap(be.add(node.grad._array, g), node.device)
                for hook in tuple(getattr(node, "_grad_hooks", {}).values()):
                    hook(node)  # Tensor.register_post_accumulate_grad_hook
                continue
            _check_versions(ctx)
            input_grads = ctx.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, pg in zip(ctx.parents, input_grads):
                if pg is None or not _is_tensor(parent) or not parent.requires_grad:
                    continue
                if tuple(pg.shape) != parent.shape:
                    raise RuntimeError(f"{type(ctx).__name__}.backward returned a gradient of "
                                       f"shape {tuple(pg.shape)} for an input of shape "
                                       f"{parent.shape}")
                key = id(parent)
                grads[key] = pg if key not in grads else \
                    get_backend(parent.device).add(grads[key], pg)
    # Free the graph: intermediate results drop their contexts and saved arrays, and remember
    # it, so that a second backward through them is an error rather than a silent no-op.
    if retain_graph:
        return
    for node in order:
        if node._ctx is not None:
            node._ctx.saved = ()
            node._ctx.parents = ()
            node._ctx = None
            node._graph_freed = True


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Re-enable graph recording inside a :func:`no_grad` block."""
    previous = is_grad_enabled()
    _state.grad_enabled = True
    try:
        yield
    finally:
        _state.grad_enabled = previous
