"""The differential test shared by both backends: every contract function on the same small
inputs, against the numpy reference backend (reference.py).

Each case lists its arguments (``unary:OP``/``binary:OP`` cases call ``unary``/``binary``
with that op); numpy arrays are moved onto the backend, other arguments are passed as they
are. Results (or, for the in-place updates, the updated arguments) must agree within ten times
:func:`reference.tol`. tests/backends/cpu/test_vs_reference.py and
tests/backends/cuda/test_vs_reference.py run it.
"""
from __future__ import annotations

import numpy as np

import reference
from tinygrad_cnn.backends._pool_windows import pool_windows

RNG = np.random.default_rng(0)
F32, F64 = np.float32, np.float64


def r(*shape, dtype=F32, positive=False):
    x = RNG.standard_normal(shape).astype(dtype)
    return np.abs(x) + 0.5 if positive else x


X = r(2, 3, 5, 5)
XU = (RNG.permutation(150).reshape(2, 3, 5, 5) / 7).astype(F32)  # no ties for max pooling
W = r(4, 3, 3, 3)
XG = r(1, 4, 6, 5, dtype=F64)
WG = r(6, 2, 2, 3, dtype=F64)
GY = r(2, 4, 5, 5)
GYG = r(1, 6, 2, 5, dtype=F64)  # output of XG, WG with the geometry below
LOGITS = r(4, 5)
TARGET = np.array([1, 0, 4, 4])
ARGMAX = np.array([[[[6, 8], [16, 18]]]], np.int64)

CASES = {
    "from_numpy": (X,), "to_numpy": (X,), "zeros": ((2, 3), F64), "full": ((3,), 2.5, F32),
    "arange": (7, F32), "arange:int64": (5, np.int64), "arange:uint8": (4, np.uint8),
    "arange:empty": (0, F64),
    "astype": (X, F64), "copy": (X,), "all_finite": (X,),
    "binary:add": ("add", X, r(3, 1, 5)), "binary:sub": ("sub", X, r(5)),
    "binary:mul": ("mul", r(4, 1), r(1, 3)), "binary:div": ("div", X, r(5, positive=True)),
    "binary:pow": ("pow", r(3, 4, positive=True), r(4, positive=True)),
    "binary:maximum": ("maximum", X, r(1, 3, 1, 1)),
    "scalar_op": (X, "**", 2.0, False), "unary:neg": ("neg", X), "unary:exp": ("exp", X),
    "unary:log": ("log", r(7, positive=True)), "unary:sqrt": ("sqrt", r(7, positive=True)),
    "unary:sigmoid": ("sigmoid", X), "unary:tanh": ("tanh", X), "unary:relu": ("relu", X),
    "binary:relu_backward": ("relu_backward", GY[:, :3], X),
    "unary:leaky_relu": ("leaky_relu", X, 0.2),
    "binary:leaky_relu_backward": ("leaky_relu_backward", GY[:, :3], X, 0.2),
    "binary:eq": ("eq", np.array([1.0, 2.0, 3.0], F32), np.array([1.0, 0.0, 3.0], F32)),
    "sum": (X, (0, 2, 3), False), "max": (XU, (1,), True),
    "reshape": (X, (6, -1)), "permute": (X, (3, 1, 0, 2)), "broadcast_to": (r(3, 1), (2, 3, 4)),
    "pad": (X, ((0, 0), (1, 0), (2, 1), (0, 3)), 0.5),
    "getitem": (X, (1, slice(None, None, -1), 2)),
    "getitem_backward": (r(3, 5), (2, 3, 5, 5), (1, slice(None), 2)),
    "take_along_class": (LOGITS, TARGET), "matmul": (r(2, 9, 13), r(13, 10)),
    "conv2d_forward": (X, W, r(4), (1, 1), (1, 1), (1, 1), 1),
    "conv2d_backward_input": (GYG, WG, XG.shape, (2, 1), (0, 1), (2, 1), 2),
    "conv2d_backward_weight": (GYG, XG, WG.shape, (2, 1), (0, 1), (2, 1), 2),
    "max_pool2d_forward": (XU, (3, 3), (2, 2), (1, 1)),
    "max_pool2d_backward": (r(1, 1, 2, 2), ARGMAX, (1, 1, 5, 5)),
    "avg_pool2d_forward": (X, pool_windows((5, 5), (3, 2), (2, 2), (1, 1), False)),
    "avg_pool2d_backward": (r(2, 3, 3, 3), pool_windows((5, 5), (3, 2), (2, 2), (1, 1), True)),
    "batch_norm_train_forward": (X, r(3), r(3), 1e-5),
    "batch_norm_eval_forward": (X, r(3), r(3, positive=True), r(3), r(3), 1e-5),
    "batch_norm_backward": (GY[:, :3], X, r(3), r(3), r(3, positive=True)),
    "log_softmax": (LOGITS, 1), "log_softmax_backward": (r(4, 5), LOGITS - 3, 1),
    "softmax": (X, 1), "softmax_backward": (r(4, 5), np.abs(LOGITS) / 9, 0),
    "cross_entropy_forward": (LOGITS, TARGET, 0.1),
    "cross_entropy_backward": (r(4), np.abs(LOGITS) / 9, TARGET, 0.1),
    "dropout_mask": ((3, 50), 0.25, F32, 5),
    "sgd_step": (r(6), r(6), r(6), 0.1, 0.9, 0.1, 0.01, True, False),
    "adam_step": (r(6), r(6), r(6), r(6, positive=True), 3, 0.01, 0.9, 0.99, 1e-8, 0.1, True),
    "assign": (r(2, 3), r(3)), "setitem": (r(3, 4), (slice(None), 1), r(3)),
    "unary:abs": ("abs", X), "unary:sign": ("sign", np.array([-2.0, 0.0, 3.0, np.nan], F32)),
    "unary:floor": ("floor", np.array([-1.5, 0.2, 2.0, -np.inf], F64)), "unary:erf": ("erf", X),
    "binary:floordiv": ("floordiv", np.array([7, -7, 6, -1]), np.array([2, 2, -4, 3])),
    "binary:mod": ("mod", np.array([7.5, -7.0, 6.0], F32), np.array([2.0, 2.0, -4.0], F32)),
    "where": (np.array([[1.0], [0.0]], F32), r(2, 3), r(3)),
    # bitwise: int64 with broadcasting, a narrow dtype (widened on CUDA) and bool
    "binary:bitwise_and": ("bitwise_and", np.array([[-2**62 - 3, 12, -1]]),
                           np.array([[2**62 + 7], [10], [-8]])),
    "binary:bitwise_or": ("bitwise_or", np.array([200, 7, 0, 129], np.uint8),
                          np.array([55, 8, 0, 1], np.uint8)),
    "binary:bitwise_xor": ("bitwise_xor", np.array([[True, False], [True, True]]),
                           np.array([True, False])),
    "unary:bitwise_not": ("bitwise_not", np.array([[0, -1, 7, -2**30]], np.int32)),
    "unary:bitwise_not:bool": ("bitwise_not", np.array([True, False, False])),
}
# selection, scans and indexing along one axis (the contract's last block)
TIES = np.array([[2.0, np.nan, 1.0, 2.0, -1.0], [0.0, 0.0, 3.0, np.nan, np.nan]], F32)
CASES.update({
    "argmax": (TIES, 1), "argmin": (TIES, 0), "sort": (TIES, 1, True),
    "sort:ascending": (TIES, 1, False), "sort:int64": (np.array([[3, -2**62, 3, 7]]), 1, True),
    "cumsum": (X, 2, True), "prod": (r(3, 4, 2, dtype=F64), 1, True),
    "cumprod_exclusive": (r(3, 4), 0, True),
    "all": (np.array([[1, 0, 2], [3, 4, 5]]), (1,), False),
    "any": (np.array([[0.0, 0.0], [0.0, 2.0]], F32), (0, 1), True),
    "gather": (X, 2, np.array([[[[4, -1, 0]]]] * 2, np.int64).repeat(3, 1)),
    "gather_backward": (r(2, 3, 1, 3), 2, np.array([[[[4, -1, 4]]]] * 2).repeat(3, 1),
                        X.shape),
    "one_hot": (np.array([[0, 3], [2, 2]]), 5),
    "compare": (TIES, np.array([[2.0], [np.nan]], F32), "<="),
    "take": (X, np.array([1, -1, 0, 1])),
    "take_backward": (r(4, 3, 5, 5), np.array([1, -1, 0, 1]), 2),
    "flatnonzero": (np.array([False, True, True, False, True, False, False, True]), 4),
    "flatnonzero:float": (np.array([0.0, -2.0, np.nan, 0.0, 3.5], F32), 3),
    "flatnonzero:none": (np.zeros(5, np.int8), 0), "flatnonzero:empty": (np.zeros(0, bool), 0),
})
IN_PLACE = {"sgd_step": 3, "adam_step": 4, "assign": 1, "setitem": 1}  # how many leading arguments are updated


def results(backend, case: str) -> list:
    """The host arrays (or bools) ``backend`` answers for ``case``."""
    name, args = case.split(":")[0], CASES[case]
    if name == "from_numpy":
        moved = [backend.from_numpy(args[0])]
        out = moved[0]
    else:
        # copies: the CPU's from_numpy may keep the array, and in-place cases write into it
        moved = [backend.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
        out = getattr(backend, name)(*moved)
    if name in IN_PLACE:
        out = tuple(moved[:IN_PLACE[name]])
    outs = out if isinstance(out, tuple) else (out,)
    return [o if isinstance(o, (bool, np.ndarray)) else backend.to_numpy(o) for o in outs]


def check(backend, case: str) -> None:
    """Assert that ``backend`` agrees with the reference backend on ``case``."""
    mine, want_all = results(backend, case), results(reference, case)
    assert len(mine) == len(want_all)
    for got, want in zip(mine, want_all):
        if isinstance(want, bool):
            assert got is want
            continue
        assert got.shape == want.shape and got.dtype == want.dtype, case
        t = reference.tol(got.dtype) if got.dtype.kind == "f" else dict(rtol=0, atol=0)
        np.testing.assert_allclose(got, want, rtol=t["rtol"] * 10, atol=t["atol"] * 10,
                                   err_msg=case)
