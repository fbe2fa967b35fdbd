"""tgcnn-sobel: a fixed Sobel edge-detection layer for tinygrad-cnn.

The layer is found by name through the ``tinygrad_cnn.layers`` entry-point group, so after
``pip install tgcnn-sobel`` a configuration or model file can say ``{"type": "SobelEdges"}``.

Example:
    >>> import tinygrad_cnn as tg
    >>> from tgcnn_sobel import SobelEdges
    >>> SobelEdges(3)(tg.zeros(1, 3, 8, 8)).shape     # 3 channels x 4 directions
    (1, 12, 8, 8)
"""
from .kernels import DIRECTIONS, sobel_kernels, sobel_weight
from .layer import SobelEdges

__version__ = "0.1.0"

__all__ = ["SobelEdges", "DIRECTIONS", "sobel_kernels", "sobel_weight", "__version__"]
