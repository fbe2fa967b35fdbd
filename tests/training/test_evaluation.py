"""evaluate() and predict() against direct numpy computations."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.training import confusion_matrix, evaluate, predict


def _linear_model(k: int = 3, seed: int = 0) -> nn.Module:
    tg.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(8, k))


def _reference(model, x, mean, std):
    w = model[1].weight.numpy().astype(np.float64)
    b = model[1].bias.numpy().astype(np.float64)
    xn = ((x.astype(np.float32) - np.float32(mean)) / np.float32(std)).reshape(len(x), -1)
    return xn.astype(np.float64) @ w.T + b


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_confusion_matrix_counts_pairs(pairs):
    t, p = np.array(pairs).T
    cm = confusion_matrix(t, p, 4)
    assert cm.sum() == len(pairs)
    for i in range(4):
        for j in range(4):
            assert cm[i, j] == sum(1 for a, b in pairs if (a, b) == (i, j))


def test_evaluate_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (37, 2, 2, 2)).astype(np.uint8)
    y = rng.integers(0, 3, 37)
    model = _linear_model()
    r = evaluate(model, x, y, batch_size=8, mean=[100.0, 120.0], std=[50.0, 60.0],
                 classes=["a", "b", "c"])
    mean = np.array([100.0, 120.0], np.float32).reshape(1, 2, 1, 1)
    std = np.array([50.0, 60.0], np.float32).reshape(1, 2, 1, 1)
    z = _reference(model, x, mean, std)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    pred = z.argmax(1)
    assert r.loss == pytest.approx(-logp[np.arange(37), y].mean(), rel=1e-5)
    assert r.accuracy == pytest.approx((pred == y).mean())
    cm = confusion_matrix(y, pred, 3)
    assert np.array_equal(r.confusion_matrix, cm)
    for c in range(3):
        assert r.per_class_accuracy[c] == pytest.approx(cm[c, c] / cm[c].sum())
    d = r.to_dict()
    assert set(d) >= {"accuracy", "loss", "per_class_accuracy", "confusion_matrix"}
    assert list(d["per_class_accuracy"]) == ["a", "b", "c"]


def test_evaluate_restores_mode_and_reports_absent_classes():
    model = _linear_model(4)
    model.train()
    x = np.zeros((4, 2, 2, 2), np.float32)
    r = evaluate(model, x, np.array([0, 0, 1, 1]))
    assert model.training
    assert r.per_class_accuracy[2] is None and r.per_class_accuracy[3] is None
    with pytest.raises(ValueError, match="out of range"):
        evaluate(model, x, np.array([0, 1, 2, 7]))
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, x[:0], np.array([], np.int64))


def test_predict_top_k_sorted_probabilities():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 2, 2, 2)).astype(np.float32)
    model = _linear_model(3)
    top = predict(model, x, k=2, classes=["a", "b", "c"], batch_size=2)
    z = _reference(model, x, 0.0, 1.0)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert len(top) == 5
    for row, probs in zip(top, p):
        assert [q.index for q in row] == list(np.argsort(-probs)[:2])
        assert row[0].probability >= row[1].probability
        assert row[0].probability == pytest.approx(probs.max(), rel=1e-5)
        assert row[0].label == "abc"[row[0].index]
    assert len(predict(model, x[:1], k=10)[0]) == 3  # k larger than the classes
    with pytest.raises(ValueError):
        predict(model, x, k=0)
