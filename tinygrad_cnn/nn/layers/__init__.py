"""The built-in layers, one small module per family. Each is also declared in the
``tinygrad_cnn.layers`` entry-point group (``setup.cfg``), which is how configurations and
model files find them."""
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import Sequential
from .conv import Conv2d
from .dropout import Dropout
from .linear import Linear
from .norm import BatchNorm1d, BatchNorm2d
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .shape import Flatten, Identity

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear", "ReLU",
           "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten", "Identity",
           "Dropout", "BatchNorm1d", "BatchNorm2d", "Sequential"]
