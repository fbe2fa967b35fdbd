"""Shapes and pooling labs: block shapes through VGG-16, the 4x4 max-pool, downstream sizes."""
from tinygrad_cnn.labs import pooling, shapes


def test_vgg16_blocks_halve_the_size_and_grow_the_channels(tmp_path):
    r = shapes.run(tmp_path, size=64)
    convs = [b for b in r.data["blocks"] if b["name"].startswith("Conv-")]
    assert [b["shape"] for b in convs] == [(64, 32, 32), (128, 16, 16), (256, 8, 8),
                                          (512, 4, 4), (512, 2, 2)]
    assert r.data["total_params"] == 138_357_544  # the adaptive pool keeps the classifier
    assert sum(b["params"] for b in r.data["blocks"]) == 138_357_544
    assert (tmp_path / "shapes.png").is_file()


def test_max_pool_of_the_slice_and_downstream_parameters(tmp_path):
    r = pooling.run(tmp_path)
    assert r.data["pooled"].tolist() == [[6.0, 8.0], [3.0, 4.0]]
    nets = r.data["networks"]
    assert [n["pools"] for n in nets] == [0, 1, 2, 3]
    for n in nets:
        side = 32 // 2 ** n["pools"]
        assert n["flat"] == 64 * side * side
        assert n["head"] == 64 * side * side * 10 + 10
    convs = nets[0]["total"] - nets[0]["head"]
    assert all(n["total"] - n["head"] == convs for n in nets)  # pooling adds no parameters
