"""Neural-network building blocks: ``functional`` (stateless), ``init`` (initialisers),
``Module``/``Parameter`` and the built-in layers.

Example:
    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
"""
from . import functional  # noqa: F401
from . import init  # noqa: F401
from .layers import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d,  # noqa: F401
                     BatchNorm2d, BCEWithLogitsLoss, Conv2d, CrossEntropyLoss, Dropout, Flatten,
                     GroupNorm, Hardswish, Identity, L1Loss, LayerNorm, LeakyReLU, Linear,
                     LogSoftmax, MaxPool2d, ModuleDict, ModuleList, MSELoss, NLLLoss, ReLU, ReLU6,
                     Sequential, Sigmoid, SiLU, Softmax, Softplus, Tanh, Upsample)
from .layers import SyncBatchNorm  # noqa: F401
from .module import IncompatibleKeys, Module, Parameter, StateDictError  # noqa: F401

__all__ = ["functional", "init", "Module", "Parameter", "StateDictError", "IncompatibleKeys",
           "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear", "ReLU",
           "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten", "Identity",
           "Dropout", "BatchNorm1d", "BatchNorm2d", "Sequential", "ModuleList", "ModuleDict",
           "GELU", "SiLU", "ELU", "ReLU6", "Hardswish", "Softplus", "LayerNorm", "GroupNorm",
           "Upsample", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss"]
__all__ += ["SyncBatchNorm"]
