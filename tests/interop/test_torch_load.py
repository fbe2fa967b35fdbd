"""load_torch: PyTorch's own files read without torch, exactly; hostile files refused without
running anything; damaged files one error line."""
from __future__ import annotations

import sys
from collections import OrderedDict

import numpy as np
import pytest

from tinygrad_cnn.interop import InteropError, load_torch

from .payloads import (flip, huge_tensor, import_payload, member_data_offset, shell_payload,
                       zip_with_pickle)


def _tensors(torch):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return OrderedDict([
        ("conv.weight", torch.randn(4, 3, 3, 3)),
        ("t", base.t()),                      # non-contiguous view
        ("row", base[2]),                     # offset into a shared storage
        ("f64", torch.randn(5, dtype=torch.float64)),
        ("f16", torch.randn(3).half()),
        ("bf16", torch.tensor([1.5, -2.25, 3e10], dtype=torch.bfloat16)),
        ("count", torch.tensor(7)),           # 0-d int64, like num_batches_tracked
        ("i32", torch.tensor([1, -2], dtype=torch.int32)),
        ("u8", torch.tensor([0, 255], dtype=torch.uint8)),
        ("mask", torch.tensor([True, False])),
        ("empty", torch.zeros(0, 3)),
    ])


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_reads_torch_save_exactly(torch, tmp_path, zipped):
    state = _tensors(torch)
    path = tmp_path / "w.pt"
    torch.save(state, path, _use_new_zipfile_serialization=zipped)
    got = load_torch(path)
    assert list(got) == list(state)
    for name, tensor in state.items():
        want = tensor.float().numpy() if tensor.dtype == torch.bfloat16 else tensor.numpy()
        assert got[name].shape == tuple(tensor.shape), name
        assert got[name].dtype == want.dtype, name
        np.testing.assert_array_equal(got[name], want, err_msg=name)


def test_real_state_dict_with_wrappers_and_dataparallel_prefix(torch, tmp_path, torch_vgg):
    state = torch_vgg.state_dict()
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in state.items()}},
               tmp_path / "lightning.ckpt.pt")
    torch.save({"model": state, "optimizer": {"lr": 0.1}}, tmp_path / "timm.pth")
    for name in ("lightning.ckpt.pt", "timm.pth"):
        got = load_torch(tmp_path / name)
        assert list(got) == list(state)
        for k, v in state.items():
            np.testing.assert_array_equal(got[k], v.numpy())


def test_whole_module_pickle_is_refused_with_the_fix(torch, tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(InteropError, match=r"whole pickled model.*model\.state_dict\(\)"):
        load_torch(tmp_path / "m.pt")


def test_shell_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = shell_payload(tmp_path / "evil.pt", marker)
    with pytest.raises(InteropError, match=r"(posix|os)\.system.*refused without running"):
        load_torch(path)
    assert not marker.exists()


def test_legacy_shell_payload_never_runs(tmp_path):
    import pickle

    from .payloads import RunsShell
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps(RunsShell(f"touch {marker}"), protocol=2))
    with pytest.raises(InteropError, match="system"):
        load_torch(path)
    assert not marker.exists()


def test_no_module_is_imported(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "tgcnn_evil_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef run():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = import_payload(tmp_path / "evil.pt", "tgcnn_evil_mod")
    with pytest.raises(InteropError, match="tgcnn_evil_mod.run"):
        load_torch(path)
    assert "tgcnn_evil_mod" not in sys.modules
    assert not marker.exists()


@pytest.mark.parametrize("size,numel,stored,stride", [
    ((10 ** 12,), 4, 4, 1),         # a view far past its storage
    ((4,), 10 ** 12, 4, 1),         # a storage declaring a terabyte, holding 16 bytes
    ((2 ** 40, 2 ** 40), 4, 4, 1),
    ((10 ** 12,), 4, 4, 0),         # stride 0: inside the storage, a terabyte once copied
], ids=["view", "storage", "2d", "stride0"])
def test_huge_declared_size_refused_before_allocating(tmp_path, size, numel, stored, stride):
    path = huge_tensor(tmp_path / "huge.pt", size, numel, stored, stride)
    with pytest.raises(InteropError) as info:
        load_torch(path)
    assert "\n" not in str(info.value) and "huge.pt" in str(info.value)


def test_truncated_file(torch, tmp_path, torch_vgg):
    path = tmp_path / "w.pt"
    torch.save(torch_vgg.state_dict(), path)
    for keep in (10, path.stat().st_size // 2, path.stat().st_size - 30):
        cut = tmp_path / f"cut{keep}.pt"
        cut.write_bytes(path.read_bytes()[:keep])
        with pytest.raises(InteropError, match="cut"):
            load_torch(cut)


@pytest.mark.parametrize("member", ["data.pkl", "data/0"])
def test_byte_flipped_file(torch, tmp_path, member):
    path = tmp_path / "w.pt"
    torch.save({"w": torch.ones(64)}, path)
    flip(path, member_data_offset(path, f"w/{member}") + 5)
    with pytest.raises(InteropError, match="w.pt"):
        load_torch(path)


def test_compressed_storage_is_refused(tmp_path):
    import zipfile
    path = huge_tensor(tmp_path / "w.pt", (4,), 4, 4)
    packed = tmp_path / "packed.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    with pytest.raises(InteropError, match="compressed"):
        load_torch(packed)


def test_not_a_state_dict(tmp_path, torch):
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(InteropError, match="not a state dict"):
        load_torch(tmp_path / "list.pt")
    zip_with_pickle(tmp_path / "none.pt", b"\x80\x02N.")
    with pytest.raises(InteropError, match="not a state dict"):
        load_torch(tmp_path / "none.pt")
