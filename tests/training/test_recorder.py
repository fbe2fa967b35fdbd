"""The run recorder alone: best copies, metrics rows, early-stop flag, the curves budget."""
from __future__ import annotations

from types import SimpleNamespace

from tinygrad_cnn.training.history import epoch_record
from tinygrad_cnn.training.recorder import RunRecorder
from tinygrad_cnn.training.run_folder import paths_in_folder


def _epoch(rec, trainer, epoch, val_loss, seconds=10.0):
    record = epoch_record(epoch, 1.0, 0.5, val_loss, 0.5, 0.1, seconds, 100.0)
    trainer.history.append(record)
    trainer.epoch = epoch
    trainer.paths.last.write_bytes(f"weights of epoch {epoch}".encode())  # what save() wrote
    rec.on_epoch_end(trainer, record)


def test_best_copy_metrics_and_early_stop(tmp_path):
    paths = paths_in_folder(tmp_path)
    rec = RunRecorder(paths, "val_loss", patience=2, title="t")
    trainer = SimpleNamespace(history=[], epoch=0, epochs=10, stop_training=False, paths=paths)
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.6], start=1):
        _epoch(rec, trainer, epoch, loss)
        assert trainer.stop_training == (epoch == 4)
    assert paths.best.read_bytes() == b"weights of epoch 2"
    assert len(paths.metrics.read_text().splitlines()) == 5 and paths.curves.exists()
    assert rec.stopped_at == 4
    resumed = SimpleNamespace(history=list(trainer.history), epoch=4, stop_training=False)
    assert RunRecorder(paths, "val_loss", patience=2).check_stopped(resumed)


def test_curves_wait_when_drawing_is_slow_compared_with_the_epoch(tmp_path):
    paths = paths_in_folder(tmp_path)
    rec = RunRecorder(paths, "val_loss")
    trainer = SimpleNamespace(history=[], epoch=0, epochs=10, stop_training=False, paths=paths)
    _epoch(rec, trainer, 1, 1.0)          # first epoch: always drawn (and timed)
    first = paths.curves.read_bytes()
    rec._draw_s = 1.0                     # drawing took 1 s: more than 5 % of a 0.1 s epoch
    _epoch(rec, trainer, 2, 0.5, seconds=0.1)
    assert paths.curves.read_bytes() == first  # not redrawn
    rec.finish(trainer)
    assert paths.curves.read_bytes() != first  # caught up at the end
