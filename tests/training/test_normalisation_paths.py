"""Training batches, evaluation, prediction and visualisation normalise images with one
function, so the model sees bit-identical inputs and gives bit-identical logits on each path."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.data import DataError, DataLoader, Normalizer, normalize
from tinygrad_cnn.training import evaluate, predict
from tinygrad_cnn.training.config import DataInfo
from tinygrad_cnn.training.evaluation import batched_logits, log_softmax_np
from tinygrad_cnn.training.inference import LoadedModel

MEAN, STD = [125.307, 122.95, 113.865], [62.993, 62.089, 66.705]   # CIFAR-10's, in pixels


def _setup():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 5))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (9, 3, 6, 6)).astype(np.uint8)
    return model.eval(), x, rng.integers(0, 5, 9)


def test_every_path_feeds_the_model_the_same_bits():
    model, x, _ = _setup()
    # the two roundings the paths used to disagree on do differ on these pixels
    m = np.asarray(MEAN, np.float32).reshape(1, 3, 1, 1)
    s = np.asarray(STD, np.float32).reshape(1, 3, 1, 1)
    assert not np.array_equal((x - m) * (np.float32(1) / s), (x - m) / s)
    want = normalize(x, MEAN, STD)
    loader = DataLoader(x, np.zeros(len(x)), batch_size=len(x), shuffle=False,
                        normalise=(MEAN, STD))
    loaded = LoadedModel(model, DataInfo("shapes", list("abcde"), [3, 6, 6], MEAN, STD), {},
                         Path("model.h5"))
    np.testing.assert_array_equal(loader.batch(np.arange(len(x))), want)
    np.testing.assert_array_equal(next(iter(loader))[0], want)
    np.testing.assert_array_equal(loaded.normalise(x), want)
    assert want.dtype == np.float32


def test_eval_and_predict_give_bit_identical_logits_and_probabilities():
    model, x, y = _setup()
    with tg.no_grad():
        direct = model(tg.Tensor(normalize(x, MEAN, STD))).numpy().astype(np.float64)
    # one batch on every path (a matrix product may round differently for another batch size)
    (_, logits), = batched_logits(model, x, len(x), MEAN, STD)
    np.testing.assert_array_equal(logits, direct)
    top = predict(model, x, k=5, mean=MEAN, std=STD, batch_size=len(x))
    prob = np.exp(log_softmax_np(direct))
    for row, p in zip(top, prob):
        assert [q.probability for q in row] == [float(p[q.index]) for q in row]
    r = evaluate(model, x, y, batch_size=len(x), mean=MEAN, std=STD)
    assert r.loss == -float(log_softmax_np(direct)[np.arange(len(y)), y].sum()) / len(y)
    assert r.accuracy == float((direct.argmax(1) == y).mean())


def test_a_wrong_normalisation_is_one_data_error_everywhere():
    model, x, y = _setup()
    with pytest.raises(DataError, match="normalisation needs 3 finite means"):
        evaluate(model, x, y, mean=[0.0, 0.0], std=None)
    with pytest.raises(DataError, match="positive stds"):
        normalize(x, MEAN, [1.0, 0.0, 1.0])
    with pytest.raises(DataError, match="loader: normalisation needs 3"):
        DataLoader(x, y, normalise=(MEAN, [1.0, float("nan"), 1.0]))
    with pytest.raises(DataError, match=r"images must be \(N, C, H, W\)"):
        normalize(np.zeros((3, 3)), [0.0], [1.0])
    with pytest.raises(DataError, match=r"with C=3, got shape \(2, 1, 4, 4\)"):
        Normalizer(MEAN, STD, 3)(np.zeros((2, 1, 4, 4)))   # no silent broadcast of one channel
