"""The built-in layers, one small module per family. Each is also declared in the
``tinygrad_cnn.layers`` entry-point group (``setup.cfg``), which is how configurations and
model files find them."""
from .activation import (ELU, GELU, Hardswish, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid,
                         SiLU, Softmax, Softplus, Tanh)
from .container import ModuleDict, ModuleList, Sequential
from .group_norm import GroupNorm, LayerNorm
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .upsample import Upsample
from .conv import Conv2d
from .dropout import Dropout
from .linear import Linear
from .norm import BatchNorm1d, BatchNorm2d
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .shape import Flatten, Identity
from .sync_batchnorm import SyncBatchNorm

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear", "ReLU",
           "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten", "Identity",
           "Dropout", "BatchNorm1d", "BatchNorm2d", "Sequential", "ModuleList", "ModuleDict",
           "GELU", "SiLU", "ELU", "ReLU6", "Hardswish", "Softplus", "LayerNorm", "GroupNorm",
           "Upsample", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss"]
__all__ += ["SyncBatchNorm"]
