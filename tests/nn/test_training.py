"""A small CNN trained for a few steps with plain SGD written by hand: the loss falls."""
import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def test_loss_falls_with_hand_written_sgd():
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    # two classes: a bright square in the top-left or the bottom-right corner
    x = rng.normal(0.0, 0.1, (16, 1, 8, 8)).astype(np.float32)
    y = np.arange(16) % 2
    x[y == 0, :, :4, :4] += 1.0
    x[y == 1, :, 4:, 4:] += 1.0
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(64, 2))
    inputs, targets = tg.Tensor(x), tg.Tensor(y)
    losses = []
    for _ in range(15):
        model.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        losses.append(loss.item())
        for p in model.parameters():
            p.data = p.data - np.float32(0.2) * p.grad.numpy()  # CPU arrays are numpy
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    accuracy = (model(inputs).numpy().argmax(axis=1) == y).mean()
    assert accuracy == 1.0
