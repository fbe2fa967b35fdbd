"""Evaluate and predict with a trained classifier: loss, accuracy, per-class accuracy,
confusion matrix, and top-k predictions.

Both run the model in evaluation mode without building a graph, in batches, and put the model
back into the mode it was in. Inputs are in the dataset's units (e.g. 0..255 pixels); pass the
training normalisation as ``mean``/``std`` (a checkpoint stores them) or normalised inputs and
no ``mean``/``std``.

Example:
    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> x = np.random.rand(10, 1, 2, 2).astype(np.float32); y = np.arange(10) % 3
    >>> r = evaluate(model, x, y)
    >>> r.confusion_matrix.shape, 0.0 <= r.accuracy <= 1.0
    ((3, 3), True)
    >>> predict(model, x[:2], k=2)[0][0].index in range(3)
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..autograd import no_grad
from ..data import Normalizer
from ..nn.module import Module
from ..tensor import Tensor


def model_device(model: Module) -> str:
    """The device of the model's first parameter (``"cpu"`` for a model without any).

    Example:
        >>> from tinygrad_cnn import nn
        >>> model_device(nn.Linear(2, 2))
        'cpu'
    """
    for p in model.parameters():
        return p.device
    return "cpu"


def log_softmax_np(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64 (stable: shifted by the row maximum).

    Example:
        >>> np.exp(log_softmax_np(np.array([[0.0, 0.0]]))).tolist()
        [[0.5, 0.5]]
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def batched_logits(model: Module, x: np.ndarray, batch_size: int = 256,
                   mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                   batches: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, logits)`` for consecutive batches of ``x`` (N, C, H, W), in eval mode
    (only the batches numbered in ``batches``, when given).

    Example:
        >>> from tinygrad_cnn import nn
        >>> [(s, l.shape) for s, l in batched_logits(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)),
        ...                                          np.zeros((3, 1, 2, 2)), batch_size=2)]
        [(0, (2, 2)), (2, (1, 2))]
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {x.shape}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    norm = Normalizer(mean, std, x.shape[1]) if mean is not None or std is not None else None
    device = model_device(model)
    with model.evaluating(), no_grad():
        numbers = range(-(-len(x) // int(batch_size))) if batches is None else batches
        for b in numbers:
            start = b * int(batch_size)
            xb = x[start:start + int(batch_size)]
            xb = norm(xb) if norm is not None else xb.astype(np.float32)
            out = model(Tensor(xb, device=device))
            yield start, np.asarray(out.numpy(), dtype=np.float64)


@dataclass
class EvalResult:
    """What :func:`evaluate` measures. ``per_class_accuracy[k]`` is ``None`` for a class with
    no example; ``confusion_matrix[i, j]`` counts examples of true class ``i`` predicted ``j``.
    """

    loss: float
    accuracy: float
    per_class_accuracy: list[float | None]
    confusion_matrix: np.ndarray
    num_examples: int
    classes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with keys accuracy, loss, per_class_accuracy, confusion_matrix, ...

        Example:
            >>> sorted(EvalResult(0.1, 1.0, [1.0], np.eye(1, dtype=int), 1, ["a"]).to_dict())
            ['accuracy', 'classes', 'confusion_matrix', 'loss', 'num_examples', 'per_class_accuracy']
        """
        return {"accuracy": float(self.accuracy), "loss": float(self.loss),
                "per_class_accuracy": (dict(zip(self.classes, self.per_class_accuracy))
                                       if self.classes else list(self.per_class_accuracy)),
                "confusion_matrix": self.confusion_matrix.astype(int).tolist(),
                "num_examples": int(self.num_examples), "classes": list(self.classes)}


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes) int64: row = true class, column = predicted class.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
        [[1, 0], [1, 1]]
    """
    idx = np.asarray(y_true, np.int64) * num_classes + np.asarray(y_pred, np.int64)
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def evaluate(model: Module, x: np.ndarray, y: np.ndarray, *, batch_size: int = 256,
             mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
             classes: Sequence[str] | None = None, num_classes: int | None = None,
             group: Any = None) -> EvalResult:
    """Mean cross-entropy loss, accuracy, per-class accuracy and confusion matrix on (x, y).

    ``group`` (a :class:`tinygrad_cnn.distributed.ProcessGroup`) shares the work: rank ``r``
    of ``n`` evaluates batches ``r, r + n, ...``; the per-batch loss sums and the predictions
    are summed over the ranks and totalled in batch order, so every rank gets exactly the
    figures one process would.

    Example:
        >>> from tinygrad_cnn import nn
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        >>> x = np.random.rand(10, 1, 2, 2).astype(np.float32); y = np.arange(10) % 3
        >>> r = evaluate(model, x, y, classes=["a", "b", "c"])
        >>> r.num_examples, len(r.per_class_accuracy)
        (10, 3)
    """
    y = np.asarray(y, np.int64).reshape(-1)
    if len(y) != len(x):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    if len(y) == 0:
        raise ValueError("cannot evaluate on an empty set of images")
    rank, size = (group.rank, group.size) if group is not None else (0, 1)
    n_batches = -(-len(y) // int(batch_size)) if int(batch_size) >= 1 else 0
    batch_loss, preds, k = np.zeros(n_batches), np.zeros(len(y), np.int64), -1
    for start, logits in batched_logits(model, x, batch_size, mean, std,
                                        batches=range(rank, n_batches, size)):
        k = logits.shape[1]
        yb = y[start:start + len(logits)]
        if yb.min() < 0 or yb.max() >= k:
            raise ValueError(f"label {int(yb.max() if yb.max() >= k else yb.min())} is out of "
                             f"range for a model with {k} outputs")
        logp = log_softmax_np(logits)
        batch_loss[start // int(batch_size)] = logp[np.arange(len(yb)), yb].sum()
        preds[start:start + len(logits)] = logits.argmax(axis=1)
    if size > 1:  # each batch was done by one rank, zeros elsewhere: the sums are exact
        group.allreduce(batch_loss)
        group.allreduce(preds)
        k = int(group.allreduce(np.array([k], np.int64), "max")[0])
    loss_sum = 0.0
    for value in batch_loss:  # in batch order, as one process adds them
        loss_sum -= float(value)
    k = int(num_classes or (len(classes) if classes else k))
    cm = confusion_matrix(y, preds, k)
    support = cm.sum(axis=1)
    per_class = [float(cm[i, i] / support[i]) if support[i] else None for i in range(k)]
    return EvalResult(loss=loss_sum / len(y), accuracy=float(np.trace(cm) / len(y)),
                      per_class_accuracy=per_class, confusion_matrix=cm, num_examples=len(y),
                      classes=list(classes) if classes else [])


@dataclass(frozen=True)
class Prediction:
    """One of the top-k classes of an image: class index, name (or str(index)), probability."""

    index: int
    label: str
    probability: float


def predict(model: Module, images: np.ndarray, k: int = 5, *, batch_size: int = 256,
            mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
            classes: Sequence[str] | None = None) -> list[list[Prediction]]:
    """Top-``k`` classes with softmax probabilities for each image of (N, C, H, W), best first.

    Example:
        >>> from tinygrad_cnn import nn
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        >>> x = np.random.rand(2, 1, 2, 2).astype(np.float32)
        >>> top = predict(model, x[:1], k=3, classes=["a", "b", "c"])
        >>> len(top[0]), abs(sum(p.probability for p in top[0]) - 1.0) < 1e-6
        (3, True)
    """
    if int(k) < 1:
        raise ValueError(f"k must be positive, got {k}")
    out: list[list[Prediction]] = []
    for _, logits in batched_logits(model, images, batch_size, mean, std):
        prob = np.exp(log_softmax_np(logits))
        kk = min(int(k), prob.shape[1])
        # stable sort: ties keep the lower class index first
        order = np.argsort(-prob, axis=1, kind="stable")[:, :kk]
        for row, idx in zip(prob, order):
            out.append([Prediction(int(i), str(classes[i]) if classes is not None and i < len(classes)
                                   else str(int(i)), float(row[i])) for i in idx])
    return out
