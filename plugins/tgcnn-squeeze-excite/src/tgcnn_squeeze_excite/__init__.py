"""tgcnn-squeeze-excite: a squeeze-and-excitation layer for tinygrad-cnn that brings its own
autodiff ops (``ChannelMean``, ``ChannelScale``) with Numba forward and backward kernels.

Example:
    >>> import tinygrad_cnn as tg
    >>> from tgcnn_squeeze_excite import SqueezeExcite
    >>> SqueezeExcite(8)(tg.randn(1, 8, 4, 4)).shape
    (1, 8, 4, 4)
"""
from .functional import channel_scale, squeeze, squeeze_excite
from .layer import SqueezeExcite
from .ops import ChannelMean, ChannelScale, DeviceError

__version__ = "0.1.0"

__all__ = ["SqueezeExcite", "ChannelMean", "ChannelScale", "DeviceError", "squeeze",
           "channel_scale", "squeeze_excite", "__version__"]
