"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``) and learning-rate schedules, as in ``torch.optim``.

Parameter updates run as in-place kernels of the parameter's device backend
(``sgd_step``/``adam_step`` of :mod:`tinygrad_cnn.backends.api`), so one optimizer serves
CPU and CUDA parameters.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, optim
    >>> w = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)
    >>> (w * w).sum().backward()
    >>> opt.step(); opt.zero_grad()
    >>> [round(v, 6) for v in w.tolist()]     # w - 0.1 * 2w
    [0.8, -0.8]
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
