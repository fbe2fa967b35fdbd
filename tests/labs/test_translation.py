"""Translation lab: reproducible for a seed, accuracies measured on held-out images only."""
import numpy as np
import pytest

from tinygrad_cnn.data import load_dataset
from tinygrad_cnn.labs import translation
from tinygrad_cnn.training import OptionError, evaluate

SMALL = dict(epochs=1, limit=120, max_shift=2)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return translation.run(tmp_path_factory.mktemp("t"), seed=3, **SMALL)


def test_shift_moves_and_zero_fills():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert translation.shift(x, 0, 0).tolist() == x.tolist()
    down = translation.shift(x, 1, 0)[0, 0]
    assert down[0].tolist() == [0, 0, 0, 0] and down[1:].tolist() == x[0, 0, :3].tolist()
    left = translation.shift(x, 0, -2)[0, 0]
    assert left[:, :2].tolist() == x[0, 0, :, 2:].tolist() and not left[:, 2:].any()
    assert not translation.shift(x, 5, 0).any()


def test_same_seed_same_tables(small, tmp_path):
    again = translation.run(tmp_path, seed=3, **SMALL)
    assert again.tables[0].rows == small.tables[0].rows
    assert again.tables[1].rows == small.tables[1].rows
    assert len(small.tables[1].rows) == SMALL["max_shift"] + 1


def test_accuracies_come_from_the_held_out_test_images(small):
    splits = load_dataset("digits", seed=3)
    xte, yte = small.data["test"]
    assert small.data["n_test"] == len(yte) <= SMALL["limit"]
    margin = SMALL["max_shift"]
    inner = xte[:, :, margin:-margin, margin:-margin]
    test_set = {im.tobytes() for im in splits.test.x}
    train_set = {im.tobytes() for im in splits.train.x}
    assert all(im.tobytes() in test_set for im in inner)
    assert not any(im.tobytes() in train_set for im in inner if im.tobytes() not in test_set)
    # every table entry is recomputed from the returned models on the shifted test images
    for name, curve in small.data["curves"].items():
        model = small.data["models"][name]
        for s, acc in enumerate(curve):
            moves = [(0, 0)] if s == 0 else [(s, 0), (-s, 0), (0, s), (0, -s)]
            accs = [evaluate(model, translation.shift(xte, dy, dx), yte, mean=[0.0],
                             std=[255.0]).accuracy for dy, dx in moves]
            assert acc == pytest.approx(np.mean(accs), abs=1e-12)


def test_budgets_are_similar_and_findings_follow_the_numbers(small):
    params = {row[0]: row[1] for row in small.tables[0].rows}
    assert abs(params["MLP"] - params["CNN (flatten head)"]) <= 0.05 * params["CNN (flatten head)"]
    flat = small.data["curves"]["CNN (flatten head)"]
    mlp = small.data["curves"]["MLP"]
    clearly = (np.mean(flat[1:]) / flat[0] - np.mean(mlp[1:]) / mlp[0]
               >= translation.ROBUST_MARGIN)
    text = " ".join(small.findings)
    assert ("flatten head is clearly more" in text) == clearly
    assert ("flatten head is NOT much more" in text) == (not clearly)


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(OptionError, match="max_shift"):
        translation.run(tmp_path, max_shift=-1)
    with pytest.raises(OptionError, match="limit"):
        translation.run(tmp_path, limit=0)


def test_runs_on_mnist_files_with_a_margin_canvas(tmp_path):
    from tinygrad_cnn.data import write_idx
    from tinygrad_cnn.data.idx import FILES

    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split, n in (("train", 40), ("test", 20)):
        write_idx(folder / FILES[f"{split}_x"], rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / FILES[f"{split}_y"], (np.arange(n) % 10).astype(np.uint8))
    r = translation.run(tmp_path / "out", data=f"mnist:{folder}", epochs=1, max_shift=1)
    xte, yte = r.data["test"]
    assert xte.shape == (20, 1, 30, 30) and r.data["n_train"] == 40
    assert (tmp_path / "out" / "translation.png").is_file()
    # nothing was written beside the input
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES.values())
