"""Parameters lab: the counts are exact, the 300-billion claim is checked."""
from tinygrad_cnn.labs import parameters


def test_counts_are_exact_and_the_claim_does_not_hold(tmp_path):
    r = parameters.run(tmp_path)
    d = r.data
    assert d["conv_1_filter"] == 3 * 3 * 3 + 1 == 28
    assert d["conv_2_filters"] == 2 * (3 * 3 * 3 + 1) == 56
    assert d["vgg16"] == 138_357_544
    inputs = 224 * 224 * 3
    hidden = (inputs + 1) * 128 + 2 * (128 + 1) * 128
    assert d["mlp_no_output_layer"] == hidden == 19_300_736
    assert d["mlp"] == hidden + (128 + 1) * 1000 == 19_429_736
    assert d["vgg16_fc6"] == (512 * 7 * 7 + 1) * 4096
    assert d["claim_holds"] is False
    assert any("DOES NOT HOLD" in f and "19,429,736" in f for f in r.findings)
    assert (tmp_path / "parameters.png").is_file()


def test_mlp_builder_counts():
    assert parameters.mlp(12, (4,), 2).num_parameters() == 12 * 4 + 4 + 4 * 2 + 2
    assert parameters.mlp(12, (4, 3), None).num_parameters() == 12 * 4 + 4 + 4 * 3 + 3
