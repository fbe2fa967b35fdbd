"""Shape changes, padding, broadcasting, indexing and device transfer."""
from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backends import get_backend
from .elementwise import unbroadcast


class Reshape(Function):
    def forward(self, a, shape: tuple[int, ...]):
        self.in_shape = tuple(a.shape)
        return self.backend.reshape(a, shape)

    def backward(self, grad):
        return self.backend.reshape(grad, self.in_shape)


class Permute(Function):
    def forward(self, a, axes: tuple[int, ...]):
        self.axes = axes
        return self.backend.permute(a, axes)

    def backward(self, grad):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return self.backend.permute(grad, inverse)


class Expand(Function):
    def forward(self, a, shape: tuple[int, ...]):
        self.in_shape = tuple(a.shape)
        return self.backend.broadcast_to(a, shape)

    def backward(self, grad):
        return unbroadcast(self.backend, grad, self.in_shape)


class Pad(Function):
    def forward(self, a, pads: tuple[tuple[int, int], ...], value: float):
        self.pads, self.in_shape = pads, tuple(a.shape)
        return self.backend.pad(a, pads, value)

    def backward(self, grad):
        index = tuple(slice(lo, lo + n) for (lo, _), n in zip(self.pads, self.in_shape))
        return self.backend.getitem(grad, index)


class GetItem(Function):
    def forward(self, a, index: Any):
        self.index, self.in_shape = index, tuple(a.shape)
        return self.backend.getitem(a, index)

    def backward(self, grad):
        return self.backend.getitem_backward(grad, self.in_shape, self.index)


class ToDevice(Function):
    """Copy to another device; the gradient is copied back."""

    def forward(self, a, device: str):
        self.target, self.out_device = get_backend(device), device
        return self.target.from_numpy(self.backend.to_numpy(a))

    def backward(self, grad):
        return self.backend.from_numpy(self.target.to_numpy(grad))
