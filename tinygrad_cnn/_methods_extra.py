"""More tensor methods: indexing and selection, sorting, logical reductions, casts and the
Python protocol methods. Mixed into :class:`tinygrad_cnn.Tensor`.

Every differentiable method here is composed of ops with gradients (``gather`` is an indexed
read, so its gradient scatters back, repeated indices accumulating).

Example:
    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0, 5.0, 3.0]])
    >>> x.topk(2).indices.tolist(), x.flip(1).tolist()
    ([[1, 2]], [[3.0, 5.0, 1.0]])
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .dtypes import BOOL, FLOAT_DTYPES, INT64, check_dtype
from .ops import math as mt
from .ops import movement as mv

if TYPE_CHECKING:
    from .tensor import Tensor


def _T() -> type:
    from .tensor import Tensor
    return Tensor


class ExtraMethodMixin:
    """Selection, sorting, logic, casts and protocol methods of :class:`Tensor`."""

    # ---- elementwise ----
    def abs(self) -> "Tensor":
        """``|x|`` (gradient ``sign(x)``)."""
        if self.dtype == BOOL:
            return self
        return mt.Abs.apply(self)

    def sign(self) -> "Tensor":
        """-1, 0 or 1 by sign (zero gradient)."""
        if self.dtype == BOOL:
            return self
        return mt.Sign.apply(self)

    def square(self) -> "Tensor":
        """``x * x``."""
        return self * self

    def erf(self) -> "Tensor":
        """The error function."""
        return mt.Erf.apply(self if self.dtype in FLOAT_DTYPES else self.float())

    def where(self, condition: Any, other: Any) -> "Tensor":
        """``self`` where ``condition`` else ``other`` (``torch.Tensor.where``)."""
        from .functions import where
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> "Tensor":
        """``value`` where the bool ``mask`` is true, else this tensor's values."""
        T = _T()
        mask_t = mask if isinstance(mask, T) else T(mask, device=self.device)
        if mask_t.dtype != BOOL:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got {mask_t.dtype}")
        fill = value if isinstance(value, T) else T(value, dtype=self.dtype, device=self.device)
        if fill.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{fill.shape}")
        out = mt.Where.apply(mask_t.to(dtype=self.dtype), fill.to(dtype=self.dtype), self)
        if out.shape != self.shape:
            raise ValueError(f"masked_fill: mask of shape {mask_t.shape} does not broadcast to "
                             f"{self.shape}")
        return out

    def clone(self) -> "Tensor":
        """A copy with its own storage (differentiable)."""
        return mt.Clone.apply(self)

    def contiguous(self) -> "Tensor":
        """This tensor: storage is always contiguous here."""
        return self

    # ---- casts ----
    def float(self) -> "Tensor":
        return self.to(dtype=np.float32)

    def double(self) -> "Tensor":
        return self.to(dtype=np.float64)

    def long(self) -> "Tensor":
        return self.to(dtype=np.int64)

    def int(self) -> "Tensor":
        return self.to(dtype=np.int32)

    def bool(self) -> "Tensor":
        return self.to(dtype=np.bool_)

    def type(self, dtype: Any) -> "Tensor":
        return self.to(dtype=check_dtype(dtype, "type"))

    # ---- indexing and selection ----
    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """``out[..., i, ...] = self[..., index[..., i, ...], ...]`` along ``dim``."""
        from .ops.select import Gather, index_bounds
        from .tensor import _check_dim
        T = _T()
        idx = index if isinstance(index, T) else T(np.asarray(index), device=self.device)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be an integer tensor, got {idx.dtype}")
        d = _check_dim(dim, self.ndim, "gather")
        if self.ndim == 0:
            return self.reshape(()) if idx.numel() else self.reshape(0)[:0]
        if idx.ndim != self.ndim or any(idx.shape[k] > self.shape[k]
                                        for k in range(self.ndim) if k != d):
            raise ValueError(f"gather: index of shape {idx.shape} does not fit input of shape "
                             f"{self.shape} along dim {dim}")
        idx = idx.detach().to(self.device, dtype=INT64)
        if idx.numel():
            lo, hi = index_bounds(idx)
            if lo < -self.shape[d] or hi >= self.shape[d]:
                raise IndexError(f"gather: index out of range for dim {dim} of size "
                                 f"{self.shape[d]}")
        return Gather.apply(self, idx, axis=d)

    def flip(self, *dims: int | Sequence[int]) -> "Tensor":
        """Reverse the order along ``dims``."""
        from .tensor import _check_dim, _flatten_args
        axes = {_check_dim(d, self.ndim, "flip") for d in _flatten_args(dims)}
        if not axes or self.ndim == 0:
            return self.clone()
        index = tuple(slice(None, None, -1) if k in axes else slice(None)
                      for k in range(self.ndim))
        return mv.GetItem.apply(self, index=index)

    def repeat(self, *sizes: int | Sequence[int]) -> "Tensor":
        """Tile the tensor ``sizes[k]`` times along each dimension (``torch.Tensor.repeat``)."""
        from .tensor import _flatten_args
        reps = _flatten_args(sizes)
        if len(reps) < self.ndim or any(r < 0 for r in reps):
            raise ValueError(f"repeat: need at least {self.ndim} non-negative sizes for shape "
                             f"{self.shape}, got {reps}")
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        x = self.reshape(shape)
        inter = tuple(v for n in shape for v in (1, n))
        tiled = tuple(v for r, n in zip(reps, shape) for v in (r, n))
        return x.reshape(inter).expand(tiled).reshape(tuple(r * n for r, n in zip(reps, shape)))

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
        """Pieces of ``split_size`` (the last may be smaller), or of the listed sizes."""
        from .tensor import _check_dim
        d = _check_dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            size = int(split_size_or_sections)
            if size <= 0 and n:
                raise ValueError(f"split: split_size must be positive, got {size}")
            sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ValueError(f"split: sections {sizes} do not add up to size {n} of dim "
                                 f"{dim} (shape {self.shape})")
        out, start = [], 0
        for s in sizes:
            index = (slice(None),) * d + (slice(start, start + s),)
            out.append(self[index])
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunks`` pieces of size ``ceil(n / chunks)`` along ``dim`` (fewer if it is short)."""
        from .tensor import _check_dim
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        n = self.shape[_check_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``: ties keep their order (always stable),
        NaN is the largest value (last ascending, first descending), as PyTorch."""
        from ._methods import ValuesIndices
        from .ops.select import SortIndices
        from .tensor import _check_dim
        T = _T()
        d = _check_dim(dim, self.ndim, "sort")
        if self.ndim == 0:
            return ValuesIndices(self.clone(), T(np.zeros((), np.int64), device=self.device))
        indices = SortIndices.apply(self.detach(), axis=d, descending=descending)
        return ValuesIndices(self.gather(d, indices), indices)

    def argsort(self, dim: int = -1, descending: bool = False) -> "Tensor":
        return self.sort(dim, descending).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        """The ``k`` largest (or smallest) entries along ``dim`` and their indices."""
        from ._methods import ValuesIndices
        from .tensor import _check_dim
        d = _check_dim(dim, self.ndim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise ValueError(f"topk: k={k} is out of range for dim {dim} of size {n} "
                             f"(shape {self.shape})")
        order = self.sort(d, descending=largest)
        index = (slice(None),) * d + (slice(0, k),) if self.ndim else ()
        return ValuesIndices(order.values[index], order.indices[index])

    # ---- reductions ----
    def all(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where every element (along ``dim``) is non-zero."""
        return self._logic_reduce("all", dim, keepdim)

    def any(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where some element (along ``dim``) is non-zero."""
        return self._logic_reduce("any", dim, keepdim)

    def _logic_reduce(self, op: str, dim: int | None, keepdim: bool) -> "Tensor":
        from .ops.select import LogicReduce
        from .tensor import normalize_axes
        axes = normalize_axes(dim, self.ndim, op)
        return LogicReduce.apply(self.detach(), axes=axes, keepdim=keepdim, op=op)

    def prod(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Product over ``dim`` (all elements when None); integer products are int64."""
        from .ops.select import Prod
        from .tensor import _check_dim
        x = self.long() if self.dtype.kind in "biu" and self.dtype != INT64 else self
        if dim is None:
            x = x.reshape(-1)
            return Prod.apply(x, axis=0, keepdim=False)
        d = _check_dim(dim, self.ndim, "prod")
        if self.ndim == 0:
            return x.clone()
        return Prod.apply(x, axis=d, keepdim=keepdim)

    def cumsum(self, dim: int) -> "Tensor":
        """Running sum along ``dim`` (integer sums are int64)."""
        from .ops.select import CumSum
        from .tensor import _check_dim
        d = _check_dim(dim, self.ndim, "cumsum")
        x = self.long() if self.dtype.kind in "biu" and self.dtype != INT64 else self
        if self.ndim == 0:
            return x.clone()
        return CumSum.apply(x, axis=d)

    def logsumexp(self, dim: int | Sequence[int], keepdim: bool = False) -> "Tensor":
        """``log(sum(exp(x)))`` over ``dim``, shifted by the maximum for stability."""
        from .tensor import normalize_axes
        x = self if self.dtype in FLOAT_DTYPES else self.float()
        axes = normalize_axes(dim, self.ndim, "logsumexp")
        if self.numel() == 0:
            return x.exp().sum(axes, keepdim).log()
        from .ops.select import FiniteOrZero
        m = FiniteOrZero.apply(x.detach().amax(axes, keepdim=True))
        out = (x - m).exp().sum(axes, keepdim=True).log() + m
        return out if keepdim else out.reshape(tuple(
            n for k, n in enumerate(out.shape) if k not in axes))

    def softmax(self, dim: int) -> "Tensor":
        from .nn.functional import softmax
        return softmax(self, dim)

    def log_softmax(self, dim: int) -> "Tensor":
        from .nn.functional import log_softmax
        return log_softmax(self, dim)

    # ---- Python protocol ----
    def __getitem__(self, index: Any) -> "Tensor":
        from .tensor import _host_index
        T = _T()
        if (isinstance(index, T) and index.dtype.kind in "iu" and self.ndim and
                index.device == self.device):
            return self._take(index)
        if (isinstance(index, T) and index.dtype == np.bool_ and index.ndim and
                index.device == self.device and tuple(index.shape) == self.shape[:index.ndim]):
            return self._masked_select(index)
        return mv.GetItem.apply(self, index=_host_index(index))

    def _masked_select(self, mask: "Tensor") -> "Tensor":
        """``self[mask]`` for a bool mask over the leading dims: one count read back (the
        result's size depends on the data, as in PyTorch), the positions and the values
        stay on the device; the gradient adds back into the selected rows."""
        from .ops.select import FlatNonzero, Take
        m = mask.detach().reshape(-1)
        count = int(m.sum().item())
        rows = self.reshape((m.shape[0],) + self.shape[mask.ndim:])
        return Take.apply(rows, FlatNonzero.apply(m, count=count))

    def _take(self, index: "Tensor") -> "Tensor":
        """``self[index]`` for an integer tensor: rows along dim 0, kept on the device."""
        from .ops.select import Take, index_bounds
        n = self.shape[0]
        flat = index.detach().long().reshape(-1)
        if flat.numel():
            lo, hi = index_bounds(flat)
            if lo < -n or hi >= n:
                raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for dim 0 "
                                 f"with size {n} (shape {self.shape})")
        return Take.apply(self, flat).reshape(tuple(index.shape) + self.shape[1:])

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        dev = f", device='{self.device}'" if self.device != "cpu" else ""
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}{dev}, dtype={self.dtype}{grad})"

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())
