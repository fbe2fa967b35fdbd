"""The training loop: learning, history, checkpoints, exact resume, Ctrl-C, NaN/Inf stop."""
from __future__ import annotations

import math
import os
import signal

import numpy as np
import pytest

from tinygrad_cnn.checkpoint import load_checkpoint, read_checkpoint
from tinygrad_cnn.training import Callback, NonFiniteLossError, TrainingInterrupted, curves_path

STATS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr")


class At(Callback):
    """Run ``action(trainer)`` after batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch: int, batch: int, action) -> None:
        self.epoch, self.batch, self.action = epoch, batch, action

    def on_batch_end(self, trainer, epoch, batch, num_batches, loss, accuracy, images_per_s):
        if (epoch, batch) == (self.epoch, self.batch):
            self.action(trainer)


def _raise_kbi(trainer) -> None:
    raise KeyboardInterrupt


def _same_weights(a, b) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert sa[k].dtype == sb[k].dtype and np.array_equal(sa[k], sb[k]), k


def _stats(history):
    return [{k: r[k] for k in STATS} for r in history]


def _resume(make_trainer, path, epochs: int = 3):
    """A fresh trainer (other init and loader seeds) restored from ``path``."""
    ckpt = load_checkpoint(path)
    trainer = make_trainer(path, epochs=epochs, init_seed=123, loader_seed=99, model=ckpt.model)
    trainer.load_state(ckpt.metadata, ckpt.optimizer_state, ckpt.scheduler_state)
    return trainer


@pytest.fixture
def uninterrupted(make_trainer, tmp_path):
    trainer = make_trainer(tmp_path / "full.h5")
    trainer.fit()
    return trainer


def test_fit_learns_and_records_history(uninterrupted, tmp_path):
    h = uninterrupted.history
    assert [r["epoch"] for r in h] == [1, 2, 3]
    assert set(h[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "time",
                         "images_per_s"}
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    assert h[-1]["val_acc"] >= 0.6
    assert all(r["time"] > 0 and r["images_per_s"] > 0 for r in h)
    # warm-up epoch at 10 % of the peak rate, then cosine from the peak
    assert h[0]["lr"] == pytest.approx(0.005) and h[1]["lr"] == pytest.approx(0.05)
    assert uninterrupted.best_epoch == max(h, key=lambda r: (r["val_acc"], -r["val_loss"]))["epoch"]


def test_checkpoint_holds_everything_for_resume(uninterrupted, tmp_path):
    data = read_checkpoint(tmp_path / "full.h5")
    meta = data.metadata
    for key in ("epoch", "epochs", "history", "best_epoch", "seed", "rng_state", "loader_state",
                "partial_epoch", "classes"):
        assert key in meta, key
    assert meta["epoch"] == 3 and len(meta["history"]) == 3 and meta["classes"] == ["a", "b", "c"]
    assert data.optimizer_state["state"] and data.scheduler_state["last_epoch"] == 3
    png = curves_path(tmp_path / "full.h5")
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


@pytest.mark.parametrize("epoch,batch", [(2, 3), (1, 6)])
def test_interrupted_then_resumed_equals_uninterrupted(make_trainer, uninterrupted, tmp_path,
                                                        epoch, batch):
    path = tmp_path / "run.h5"
    first = make_trainer(path, callbacks=[At(epoch, batch, _raise_kbi)])
    with pytest.raises(TrainingInterrupted) as info:
        first.fit()
    assert info.value.path == str(path) and info.value.saved
    assert (info.value.epoch, info.value.batch) == (epoch, batch)
    resumed = _resume(make_trainer, path)
    resumed.fit()
    _same_weights(uninterrupted.model, resumed.model)
    assert _stats(resumed.history) == _stats(uninterrupted.history)


def test_sigint_stops_after_the_batch_and_resumes_exactly(make_trainer, uninterrupted, tmp_path):
    path = tmp_path / "sig.h5"
    before = signal.getsignal(signal.SIGINT)
    kill = At(2, 2, lambda t: os.kill(os.getpid(), signal.SIGINT))
    trainer = make_trainer(path, callbacks=[kill], handle_sigint=True)
    with pytest.raises(TrainingInterrupted) as info:
        trainer.fit()
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    assert (info.value.epoch, info.value.batch) == (2, 2)
    resumed = _resume(make_trainer, path)
    resumed.fit()
    _same_weights(uninterrupted.model, resumed.model)


def test_stop_requested_during_validation_saves_at_epoch_end(make_trainer, uninterrupted, tmp_path):
    class StopInValidation(Callback):
        def on_validation_start(self, trainer, epoch):
            if epoch == 1:
                trainer.request_stop()

    path = tmp_path / "val.h5"
    with pytest.raises(TrainingInterrupted) as info:
        make_trainer(path, callbacks=[StopInValidation()]).fit()
    assert (info.value.epoch, info.value.batch) == (2, 0)
    assert read_checkpoint(path).metadata["epoch"] == 1
    resumed = _resume(make_trainer, path)
    resumed.fit()
    _same_weights(uninterrupted.model, resumed.model)


def test_torn_batch_keeps_the_last_checkpoint(make_trainer, uninterrupted, tmp_path):
    """A KeyboardInterrupt in the middle of a batch (batch norm already updated) writes
    nothing: the epoch-1 checkpoint stays, and resuming from it is still exact."""
    path = tmp_path / "torn.h5"
    trainer = make_trainer(path)
    first = trainer.model[0]
    calls = {"n": 0}

    def bomb(x, forward=first.forward):
        calls["n"] += 1
        if calls["n"] == 6 + 1 + 3:  # epoch 2, batch 3: 6 batches per epoch + 1 validation
            raise KeyboardInterrupt
        return forward(x)

    first.forward = bomb  # an instance attribute: the saved configuration is unchanged
    saved = {}

    class Snapshot(Callback):
        def on_epoch_end(self, t, record):
            saved[record["epoch"]] = path.read_bytes()

    trainer.callbacks.append(Snapshot())
    with pytest.raises(TrainingInterrupted) as info:
        trainer.fit()
    assert not info.value.saved and info.value.path == str(path)
    assert "during batch 3" in str(info.value)
    assert path.read_bytes() == saved[1]
    resumed = _resume(make_trainer, path)
    resumed.fit()
    _same_weights(uninterrupted.model, resumed.model)


def test_interrupt_during_validation_keeps_the_last_checkpoint(make_trainer, tmp_path):
    class KillInValidation(Callback):
        def on_validation_start(self, trainer, epoch):
            if epoch == 2:
                raise KeyboardInterrupt

    path = tmp_path / "v.h5"
    with pytest.raises(TrainingInterrupted) as info:
        make_trainer(path, callbacks=[KillInValidation()]).fit()
    assert not info.value.saved and info.value.path == str(path)
    assert read_checkpoint(path).metadata["epoch"] == 1


def test_nan_loss_stops_with_epoch_and_batch_and_keeps_checkpoint(make_trainer, tmp_path):
    path = tmp_path / "nan.h5"

    def poison(trainer):
        w = trainer.model[6].weight
        w.data[...] = np.nan

    trainer = make_trainer(path, callbacks=[At(2, 2, poison)])
    with pytest.raises(NonFiniteLossError) as info:
        trainer.fit()
    err = info.value
    assert (err.epoch, err.batch) == (2, 3) and math.isnan(err.value)
    assert err.checkpoint == str(path) and err.checkpoint_epoch == 1
    assert "epoch 2, batch 3" in str(err) and "\n" not in str(err)
    kept = read_checkpoint(path)
    assert kept.metadata["epoch"] == 1
    assert all(np.isfinite(a).all() for a in kept.state.values() if a.dtype.kind == "f")


def test_broken_weights_after_the_last_batch_are_not_checkpointed(make_trainer, tmp_path):
    path = tmp_path / "w.h5"

    def poison(trainer):
        trainer.model[6].bias.data[...] = np.inf

    with pytest.raises(NonFiniteLossError) as info:
        make_trainer(path, callbacks=[At(2, 6, poison)]).fit()  # 6 = the last batch
    assert info.value.quantity == "weight 6.bias" and (info.value.epoch, info.value.batch) == (2, 6)
    assert str(info.value).startswith("weight 6.bias became inf at epoch 2, batch 6")
    assert read_checkpoint(path).metadata["epoch"] == 1


def test_nan_in_first_epoch_has_no_checkpoint(make_trainer, tmp_path):
    trainer = make_trainer(tmp_path / "x.h5", lr=1e30)
    with pytest.raises(NonFiniteLossError) as info:
        trainer.fit()
    assert info.value.epoch == 1 and info.value.checkpoint is None
    assert "no checkpoint was written yet" in str(info.value)
    assert not (tmp_path / "x.h5").exists()


def test_no_checkpoint_path_interrupt_has_no_path(make_trainer):
    trainer = make_trainer(None, callbacks=[At(1, 1, _raise_kbi)])
    with pytest.raises(TrainingInterrupted) as info:
        trainer.fit()
    assert info.value.path is None and "no checkpoint" in str(info.value)


def test_load_state_rejects_checkpoints_without_training_state(make_trainer):
    trainer = make_trainer(None)
    with pytest.raises(ValueError, match="cannot be resumed"):
        trainer.load_state({"epoch": 1}, {"param_groups": [], "state": {}}, None)
    with pytest.raises(ValueError, match="no optimizer state"):
        trainer.load_state({"epoch": 1, "history": [], "rng_state": {}, "loader_state": {}},
                           None, None)
