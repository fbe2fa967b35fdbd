"""summary(): per-layer output shapes, parameters and MACs, totals, and the seed's figures."""
import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn
from tinygrad_cnn.nn import init
from tinygrad_cnn.summary import SummaryResult


def test_seed_figures_one_and_two_filters():
    one = tg.summary(nn.Conv2d(3, 1, 3), (3, 224, 224), verbose=False)
    two = tg.summary(nn.Conv2d(3, 2, 3), (3, 224, 224), verbose=False)
    assert (one.rows[0].params, one.total_params) == (28, 28)
    assert (two.rows[0].params, two.total_params) == (56, 56)
    assert two.rows[0].output_shape == (2, 222, 222)
    assert two.rows[0].macs == 2 * 222 * 222 * 27


def test_spatial_size_shrinks_and_depth_grows_through_a_small_vgg():
    model = models.vgg11(in_channels=3, num_classes=10, input_size=32, width=0.125,
                         head="small")
    result = tg.summary(model, (3, 32, 32), verbose=False)
    convs = [r for r in result.rows if r.type == "Conv2d"]
    pools = [r for r in result.rows if r.type == "MaxPool2d"]
    assert [r.output_shape for r in pools] == [(8, 16, 16), (16, 8, 8), (32, 4, 4), (64, 2, 2),
                                               (64, 1, 1)]
    assert [r.output_shape[0] for r in convs] == [8, 16, 32, 32, 64, 64, 64, 64]
    assert result.rows[0].name == "features.0" and result.rows[-1].name == "classifier.3"
    assert result.output_shape == (10,)
    assert result.total_params == model.num_parameters()
    assert sum(r.params for r in result.rows) == result.total_params
    linear_macs = sum(r.macs for r in result.rows if r.type == "Linear")
    assert linear_macs == 64 * 64 + 64 * 10
    expected_act = sum(int(np.prod(r.output_shape)) for r in result.rows) * 4 / 2 ** 20
    assert result.activation_mb == pytest.approx(expected_act)
    assert result.param_mb == pytest.approx(result.total_params * 4 / 2 ** 20)


def test_batch_norm_buffers_count_in_size_not_in_params_and_modes_are_restored():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5))
    model[1].eval()
    frozen = nn.Linear(4, 2)
    frozen.requires_grad_(False)
    result = tg.summary(nn.Sequential(model, nn.Flatten(), nn.Linear(4 * 6 * 6, 4), frozen),
                        (1, 1, 8, 8), verbose=False)  # a 4-tuple: batch size ignored
    assert result.input_shape == (1, 8, 8)
    assert result.total_params == 40 + 8 + 144 * 4 + 4 + 10
    assert result.trainable_params == result.total_params - 10
    assert result.non_trainable_params == 10
    assert result.param_mb == pytest.approx(((result.total_params + 8) * 4 + 8) / 2 ** 20)
    assert model.training and model[0].training and not model[1].training and model[2].training


def test_prints_a_table(capsys):
    result = tg.summary(nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU()), (3, 8, 8))
    out = capsys.readouterr().out
    assert out.strip() == str(result)
    assert "Conv2d" in out and "[-1, 2, 6, 6]" in out and "Total params: 56" in out
    assert "Forward activations, one example (MB)" in out
    assert isinstance(result.as_dict()["rows"][0]["output_shape"], list)


@pytest.mark.parametrize("shape", [(), (0, 3, 3), (1, 2, 3, 4, 5), (3.0, 8, 8)])
def test_bad_input_shape(shape):
    with pytest.raises(ValueError, match="summary: input_shape"):
        tg.summary(nn.ReLU(), shape, verbose=False)


def test_vgg16_at_224():
    with init.skip_init():  # the figures need shapes, not random weights
        model = models.vgg16()
    result = tg.summary(model, (3, 224, 224), verbose=False)
    assert isinstance(result, SummaryResult)
    assert result.total_params == 138_357_544
    assert result.param_mb == pytest.approx(527.79, abs=0.01)
    assert result.total_macs == 15_470_264_320
    shapes = [r.output_shape for r in result.rows if r.type == "MaxPool2d"]
    assert shapes == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]
    assert result.output_shape == (1000,)


def test_summary_of_a_model_without_parameters():
    from tinygrad_cnn import nn
    result = tg.summary(nn.Sequential(nn.ReLU(), nn.MaxPool2d(2)), (1, 4, 4))
    assert result.rows[-1].output_shape[-2:] == (2, 2)
