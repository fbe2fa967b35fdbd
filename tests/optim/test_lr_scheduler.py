"""Learning-rate schedules against torch.optim.lr_scheduler and their closed forms."""
import json
import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor
from tinygrad_cnn.optim import SGD, Adam
from tinygrad_cnn.optim import lr_scheduler as ls

EPOCHS = 20
LRS = (0.1, 0.03)  # two parameter groups with their own learning rates

# name -> (ours(opt), torch's(torch, opt)); both build the schedule on a fresh optimizer
CASES = {
    "step": (lambda o: ls.StepLR(o, step_size=3, gamma=0.5),
             lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    "step_default_gamma": (lambda o: ls.StepLR(o, step_size=7),
                           lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=7)),
    "cosine": (lambda o: ls.CosineAnnealingLR(o, T_max=EPOCHS),
               lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=EPOCHS)),
    "cosine_restart_past_T_max": (
        lambda o: ls.CosineAnnealingLR(o, T_max=7, eta_min=1e-3),
        lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=1e-3)),
    "linear_warmup": (
        lambda o: ls.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4),
        lambda t, o: t.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0,
                                                   total_iters=4)),
    "linear_decay": (
        lambda o: ls.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10),
        lambda t, o: t.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                                   total_iters=10)),
    "linear_defaults": (lambda o: ls.LinearLR(o),
                        lambda t, o: t.optim.lr_scheduler.LinearLR(o)),
    "LinearWarmup": (
        lambda o: ls.LinearWarmup(o, warmup_epochs=5, start_factor=0.1),
        lambda t, o: t.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5)),
    "warmup_then_cosine": (
        lambda o: ls.SequentialLR(o, [ls.LinearLR(o, start_factor=0.1, total_iters=5),
                                      ls.CosineAnnealingLR(o, T_max=15, eta_min=1e-4)], [5]),
        lambda t, o: t.optim.lr_scheduler.SequentialLR(
            o, [t.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
                t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=15, eta_min=1e-4)], [5])),
    "warmup_cosine_helper": (
        lambda o: ls.warmup_cosine(o, warmup_epochs=3, total_epochs=EPOCHS, start_factor=0.2),
        lambda t, o: t.optim.lr_scheduler.SequentialLR(
            o, [t.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=3),
                t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=EPOCHS - 3)], [3])),
    "three_phases": (
        lambda o: ls.SequentialLR(o, [ls.LinearLR(o, start_factor=0.5, total_iters=2),
                                      ls.StepLR(o, step_size=4, gamma=0.3),
                                      ls.CosineAnnealingLR(o, T_max=6)], [3, 11]),
        lambda t, o: t.optim.lr_scheduler.SequentialLR(
            o, [t.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=2),
                t.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.3),
                t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6)], [3, 11])),
}


def _our_opt():
    ps = [Tensor(np.zeros(2), requires_grad=True) for _ in LRS]
    return SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, LRS)], lr=1.0, momentum=0.9)


def _our_schedule(make, epochs=EPOCHS):
    """Learning rates of epochs 0..epochs-1, as get_last_lr() reports and the groups hold."""
    opt = _our_opt()
    sched = make(opt)
    out = []
    for _ in range(epochs):
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        out.append(sched.get_last_lr())
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("name", CASES)
def test_schedule_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = CASES[name]
    ps = [torch.zeros(2, requires_grad=True) for _ in LRS]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, LRS)], lr=1.0)
    sched = theirs(torch, opt)
    want = []
    for _ in range(EPOCHS):
        want.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    got = _our_schedule(ours)
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-12, atol=1e-15)


def test_closed_forms():
    """Hand-computed values, independent of torch."""
    step = _our_schedule(CASES["step"][0], 8)
    assert [lr[0] for lr in step] == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 2)
    warm = _our_schedule(CASES["linear_warmup"][0], 6)
    assert [lr[1] for lr in warm] == pytest.approx(
        [0.03 * f for f in (0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0)])
    cos = _our_schedule(CASES["cosine_restart_past_T_max"][0], 15)
    assert cos[0][0] == pytest.approx(0.1) and cos[7][0] == pytest.approx(1e-3)
    assert cos[14][0] == pytest.approx(0.1)  # the cosine continues past T_max
    assert cos[3][0] == pytest.approx(1e-3 + (0.1 - 1e-3) * (1 + math.cos(math.pi * 3 / 7)) / 2)
    seq = _our_schedule(CASES["warmup_then_cosine"][0])
    assert [lr[0] for lr in seq[:6]] == pytest.approx([0.01, 0.028, 0.046, 0.064, 0.082, 0.1])


@pytest.mark.parametrize("name", ["step", "cosine_restart_past_T_max", "warmup_then_cosine",
                                  "three_phases"])
def test_state_dict_round_trip(name):
    """Save scheduler + optimizer after 7 epochs, rebuild, load, continue == uninterrupted."""
    make = CASES[name][0]
    want = _our_schedule(make)
    opt = _our_opt()
    sched = make(opt)
    got = []
    for _ in range(7):
        got.append(sched.get_last_lr())
        opt.step()
        sched.step()
    sched_sd = json.loads(json.dumps(sched.state_dict()))  # plain JSON
    opt_sd = opt.state_dict()

    opt2 = _our_opt()
    sched2 = make(opt2)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    assert sched2.last_epoch == 7
    for _ in range(7, EPOCHS):
        got.append(sched2.get_last_lr())
        assert sched2.get_last_lr() == [g["lr"] for g in opt2.param_groups]
        opt2.step()
        sched2.step()
    assert got == want


def test_resume_with_last_epoch():
    """As in torch: last_epoch=k resumes after epoch k, using the recorded initial_lr."""
    opt = _our_opt()
    ls.StepLR(opt, step_size=3, gamma=0.5)  # records initial_lr
    resumed = ls.StepLR(opt, step_size=3, gamma=0.5, last_epoch=5)
    assert resumed.last_epoch == 6
    assert resumed.get_last_lr() == pytest.approx([0.1 * 0.25, 0.03 * 0.25])
    with pytest.raises(KeyError, match=r"initial_lr' is not specified in param_groups\[0\]"):
        ls.CosineAnnealingLR(_our_opt(), T_max=5, last_epoch=3)


def test_works_with_adam_and_initial_lr_is_shared():
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = Adam([w], lr=0.01)
    sched = ls.warmup_cosine(opt, warmup_epochs=2, total_epochs=6)
    assert opt.param_groups[0]["initial_lr"] == 0.01
    assert opt.param_groups[0]["lr"] == pytest.approx(0.001)
    for _ in range(6):
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0)
    assert isinstance(ls.warmup_cosine(Adam([w]), 0, 5), ls.CosineAnnealingLR)


@pytest.mark.parametrize("build, error, message", [
    (lambda o: ls.StepLR(o, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda o: ls.StepLR(o, step_size=2.5), ValueError, "step_size must be a positive integer"),
    (lambda o: ls.StepLR(o, step_size=2, gamma=-0.1), ValueError, "Invalid gamma: -0.1"),
    (lambda o: ls.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive"),
    (lambda o: ls.CosineAnnealingLR(o, T_max=5, eta_min=-1), ValueError, "Invalid eta_min"),
    (lambda o: ls.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda o: ls.LinearLR(o, start_factor=1.5), ValueError, "Starting multiplicative factor"),
    (lambda o: ls.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
    (lambda o: ls.LinearLR(o, total_iters=0), ValueError, "total_iters must be a positive"),
    (lambda o: ls.LinearWarmup(o, warmup_epochs=0), ValueError, "total_iters must be a"),
    (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.StepLR(o, 3)], []), ValueError,
     "one more than the number of milestone points"),
    (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.StepLR(o, 3), ls.StepLR(o, 3)], [5, 2]),
     ValueError, "milestones must be increasing"),
    (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.StepLR(_our_opt(), 3)], [4]),
     ValueError, "same optimizer"),
    (lambda o: ls.warmup_cosine(o, warmup_epochs=5, total_epochs=5), ValueError,
     r"total_epochs \(5\) must exceed warmup_epochs \(5\)"),
    (lambda o: ls.StepLR("not an optimizer", 2), TypeError, "str is not an Optimizer"),
])
def test_bad_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build(_our_opt())
