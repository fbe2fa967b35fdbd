"""The other side of the interop tests: torchvision's VGG layout in plain ``torch.nn`` and
real photographs (scikit-learn's sample images) prepared as torchvision prepares them."""
from __future__ import annotations

from typing import Any

import numpy as np

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
SMALL_ARGS = ["--model", "vgg11_bn", "--num-classes", "10", "--input-size", "3,32,32",
              "--head", "small", "--width", "0.125"]


def torchvision_vgg(torch: Any, num_classes: int, width: float, input_size: int) -> Any:
    """torchvision's ``VGG`` module layout (``features.N``, ``classifier.N``) for vgg11_bn with
    tinygrad-cnn's small head: Flatten, Linear(C*h*w, hidden), ReLU, Dropout, Linear."""
    nn = torch.nn
    layers, channels, size = [], 3, input_size
    for item in VGG11:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            size //= 2
            continue
        out = max(1, int(round(item * width)))
        layers += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(True)]
        channels = out
    hidden = max(1, int(round(512 * width)))

    class VGG(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Sequential(nn.Linear(channels * size * size, hidden),
                                            nn.ReLU(True), nn.Dropout(), nn.Linear(hidden,
                                                                                   num_classes))

        def forward(self, x: Any) -> Any:
            return self.classifier(torch.flatten(self.features(x), 1))

    return VGG()


def real_batch(n: int, size: int) -> np.ndarray:
    """``n`` size x size crops of the two sample photographs, scaled to [0, 1] and
    normalised with ImageNet's mean and std: float32 (n, 3, size, size)."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    crops = []
    for i in range(n):
        photo = photos[i % len(photos)]
        top, left = 40 + 47 * i, 60 + 71 * i
        crops.append(photo[top:top + size, left:left + size])
    x = np.stack(crops).astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    mean = np.array(IMAGENET_MEAN, np.float32).reshape(1, 3, 1, 1)
    std = np.array(IMAGENET_STD, np.float32).reshape(1, 3, 1, 1)
    return ((x - mean) / std).astype(np.float32)


def ours(model: Any, x: np.ndarray) -> np.ndarray:
    """tinygrad-cnn logits in evaluation mode."""
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.autograd import no_grad

    with model.evaluating(), no_grad():
        return model(Tensor(x)).numpy()


def theirs(torch: Any, model: Any, x: np.ndarray) -> np.ndarray:
    """PyTorch logits in evaluation mode."""
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()
