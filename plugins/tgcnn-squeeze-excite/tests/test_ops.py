"""The plugin's autodiff ops: float64 gradient checks over drawn shapes, dtypes, which
gradients are computed, and the CPU-only rule."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tgcnn_squeeze_excite", reason="tgcnn-squeeze-excite is not installed: "
                    "pip install -e plugins/tgcnn-squeeze-excite")
import tinygrad_cnn as tg  # noqa: E402
from tinygrad_cnn.testing import arrays, gradcheck  # noqa: E402
from tgcnn_squeeze_excite import (ChannelMean, ChannelScale, DeviceError,  # noqa: E402
                                  channel_scale, squeeze)

FAST = settings(max_examples=10, deadline=None)
shapes = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))


@FAST
@given(shapes, st.data())
def test_channel_mean_gradient(shape, data):
    gradcheck(ChannelMean.apply, [data.draw(arrays(shape))])


@FAST
@given(shapes, st.data())
def test_channel_scale_gradient_for_both_inputs(shape, data):
    x, s = data.draw(arrays(shape)), data.draw(arrays(shape[:2]))
    gradcheck(ChannelScale.apply, [x, s])


@FAST
@given(shapes, st.data())
def test_squeeze_then_scale_gradient(shape, data):
    # x reaches the output twice (through the scales and directly): gradients add up
    gradcheck(lambda x: channel_scale(x, squeeze(x).tanh()), [data.draw(arrays(shape))])


def test_float32_stays_float32_through_forward_and_backward():
    x = tg.randn(2, 3, 4, 4, requires_grad=True)
    s = tg.rand(2, 3, requires_grad=True)
    y = ChannelScale.apply(ChannelMean.apply(x).reshape(2, 3, 1, 1).expand(2, 3, 4, 4), s)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float32


def test_only_the_needed_gradients_are_computed():
    x = tg.randn(2, 3, 2, 2, requires_grad=True)
    s = tg.rand(2, 3)                                     # a constant
    op_out = ChannelScale.apply(x, s)
    assert op_out._ctx.backward(np.ones((2, 3, 2, 2), np.float32))[1] is None
    op_out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(s.numpy()[:, :, None, None],
                                                               (2, 3, 2, 2)))
    assert s.grad is None


def test_without_grad_no_graph_is_recorded():
    with tg.no_grad():
        y = ChannelMean.apply(tg.randn(1, 2, 3, 3, requires_grad=True))
    assert not y.requires_grad and y._ctx is None


@pytest.mark.parametrize("op, args", [
    (ChannelMean, (np.ones((1, 2, 2, 2)),)),
    (ChannelScale, (np.ones((1, 2, 2, 2)), np.ones((1, 2)))),
])
def test_kernels_refuse_other_devices(op, args):
    ctx = op()
    ctx.device = "cuda"
    with pytest.raises(DeviceError, match="CPU kernels only.*functional"):
        ctx.forward(*args)


@pytest.mark.parametrize("call, error, message", [
    (lambda: squeeze(tg.randn(2, 3)), ValueError, "4-D"),
    (lambda: squeeze(tg.Tensor(np.ones((1, 1, 2, 2), np.int64))), TypeError, "float32"),
    (lambda: channel_scale(tg.randn(1, 2, 3, 3), tg.randn(2, 1)), ValueError, "shape"),
    (lambda: channel_scale(tg.randn(1, 2, 3, 3), tg.randn(1, 2).double()), TypeError,
     "float64"),
])
def test_bad_inputs_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
