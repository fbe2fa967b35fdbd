"""Every backend function, CUDA against the CPU backend, on the same small inputs.

Each case lists its arguments; numpy arrays are moved onto each backend, other arguments
are passed as they are. Results (or, for the in-place optimizer steps, the updated
arguments) must agree. A test checks that every name of the backend contract has a case.
"""
import numpy as np
import pytest

from tinygrad_cnn.backends.api import KERNEL_NAMES

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
    "astype": (X, F64), "copy": (X,), "all_finite": (X,),
    "add": (X, r(3, 1, 5)), "sub": (X, r(5)), "mul": (r(4, 1), r(1, 3)),
    "div": (X, r(5, positive=True)),
    "pow": (r(3, 4, positive=True), r(4, positive=True)), "maximum": (X, r(1, 3, 1, 1)),
    "scalar_op": (X, "**", 2.0, False), "neg": (X,), "exp": (X,), "log": (r(7, positive=True),),
    "sqrt": (r(7, positive=True),), "sigmoid": (X,), "tanh": (X,), "relu": (X,),
    "relu_backward": (GY[:, :3], X), "leaky_relu": (X, 0.2),
    "leaky_relu_backward": (GY[:, :3], X, 0.2),
    "eq": (np.array([1.0, 2.0, 3.0], F32), np.array([1.0, 0.0, 3.0], F32)),
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
    "avg_pool2d_forward": (X, (3, 2), (2, 2), (1, 1), False),
    "avg_pool2d_backward": (r(2, 3, 3, 3), X.shape, (3, 2), (2, 2), (1, 1), True),
    "adaptive_avg_pool2d_forward": (X, (2, 3)),
    "adaptive_avg_pool2d_backward": (r(2, 3, 2, 3), X.shape),
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
    "abs": (X,), "sign": (np.array([-2.0, 0.0, 3.0, np.nan], F32),),
    "floor": (np.array([-1.5, 0.2, 2.0, -np.inf], F64),), "erf": (X,),
    "floordiv": (np.array([7, -7, 6, -1]), np.array([2, 2, -4, 3])),
    "mod": (np.array([7.5, -7.0, 6.0], F32), np.array([2.0, 2.0, -4.0], F32)),
    "where": (np.array([[1.0], [0.0]], F32), r(2, 3), r(3)),
}
# selection, scans and indexing along one axis (the api's last block)
TIES = np.array([[2.0, np.nan, 1.0, 2.0, -1.0], [0.0, 0.0, 3.0, np.nan, np.nan]], F32)
CASES.update({
    "argmax": (TIES, 1), "argmin": (TIES, 0), "sort": (TIES, 1, True),
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
})
IN_PLACE = {"sgd_step": 3, "adam_step": 4, "assign": 1, "setitem": 1}  # how many leading arguments are updated


def test_every_contract_name_has_a_case():
    assert sorted(CASES) == sorted(KERNEL_NAMES)


def _on(backend, args, name):
    if name == "from_numpy":
        return [backend.from_numpy(args[0])]
    return [backend.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]


def _results(backend, name, args):
    moved = _on(backend, args, name)
    out = moved[0] if name == "from_numpy" else getattr(backend, name)(*moved)
    if name in IN_PLACE:
        out = tuple(moved[:IN_PLACE[name]])
    outs = out if isinstance(out, tuple) else (out,)
    return [o if isinstance(o, (bool, np.ndarray)) else backend.to_numpy(o) for o in outs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_cpu_backend(be, ref, name):
    import tinygrad_cnn.backends.cpu as cpu
    args = CASES[name]
    mine, theirs = _results(be, name, args), _results(cpu, name, args)
    assert len(mine) == len(theirs)
    for got, want in zip(mine, theirs):
        if isinstance(want, bool):
            assert got is want
            continue
        assert got.shape == want.shape and got.dtype == want.dtype, name
        if name == "dropout_mask":  # different generators: same values, similar keep rate
            assert set(np.unique(got)) == set(np.unique(want))
            assert abs((got > 0).mean() - (want > 0).mean()) < 0.15
            continue
        t = ref.tol(got.dtype) if got.dtype.kind == "f" else {}
        np.testing.assert_allclose(got, want, rtol=t.get("rtol", 0) * 10,
                                   atol=t.get("atol", 0) * 10)
