"""Tools to test ops and layers the way the core is tested: a float64 gradient checker and
hypothesis strategies for tensors and convolution/pooling geometry.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn.testing import gradcheck
    >>> gradcheck(lambda x: (x * x).sum(), [np.array([1.0, 2.0])])
"""
from .gradcheck import GradcheckError, gradcheck
from .parity import check_parity
from .strategies import (ConvGeometry, PoolGeometry, arrays, broadcastable_shapes,
                         conv_geometries, pool_geometries, unique_arrays)

__all__ = ["gradcheck", "check_parity", "GradcheckError", "arrays", "unique_arrays", "broadcastable_shapes",
           "conv_geometries", "pool_geometries", "ConvGeometry", "PoolGeometry"]
