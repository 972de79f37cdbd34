"""loss_jumps and gradient_spikes: synthetic curves whose jumps are known, in both directions.

Truths: a jump is put in by construction (a factor at a known epoch) or is absent by construction
(pure noise, a smooth decay); the rule's invariants (scale, epoch labels) are exact.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from bifwatch._json import write_json
from bifwatch.training import Jump, gradient_spikes, loss_jumps


def _noisy(E, sigma, seed, level=1.0):
    return level * np.exp(sigma * np.random.default_rng(seed).standard_normal(E))


def _summary(jumps):
    return [(j.epoch, j.direction, j.kind) for j in jumps]


# --- jumps that are there --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_plateau_then_a_tenfold_drop(seed):
    loss = _noisy(2000, 0.05, seed) * np.where(np.arange(2000) < 1000, 1.0, 0.1)
    (jump,) = loss_jumps(loss)
    assert (jump.epoch, jump.index, jump.direction, jump.kind) == (1000, 1000, "drop", "jump")
    assert 10 * math.exp(-0.3) < jump.size < 10 * math.exp(0.3)  # 10 times the noise of two entries
    assert jump.z < -5


def test_spike_and_recovery_are_a_spike_then_a_drop():
    loss = _noisy(1500, 0.05, 1)
    loss[700] *= 20
    spike, recovery = loss_jumps(loss)
    assert _summary([spike, recovery]) == [(700, "spike", "jump"), (701, "drop", "jump")]
    assert spike.z > 5 and recovery.z < -5
    assert spike.size == pytest.approx(loss[700] / loss[699], rel=1e-12)
    assert recovery.size == pytest.approx(loss[700] / loss[701], rel=1e-12)
    assert spike.size == pytest.approx(20, rel=0.3)


def test_neighbouring_steps_of_one_sign_merge():
    """A fall by 100 over three steps (factors 3, 10, 10/3): one drop at the steepest step."""
    loss = np.r_[np.ones(300), np.full(300, 1 / 3), np.full(300, 1 / 30), np.full(300, 0.01)]
    loss = loss * _noisy(1200, 0.01, 2)
    loss = np.r_[loss[:300], loss[300:301], loss[600:601], loss[900:]]  # the three falls, one step apart
    (jump,) = loss_jumps(loss)
    assert (jump.epoch, jump.direction) == (301, "drop")
    assert jump.size == pytest.approx(loss[299] / loss[302], rel=1e-12)
    assert jump.size == pytest.approx(100, rel=0.1)


def test_a_fall_over_several_small_steps_is_one_jump():
    """0.96 -> 0.38 in six steps of 1.17 each (none reaches min_factor 1.5): one drop of 2.53."""
    step = (0.38 / 0.96) ** (1 / 6)
    loss = np.r_[np.full(100, 0.96), 0.96 * step ** np.arange(1, 7), np.full(100, 0.38)]
    loss = loss * _noisy(206, 0.003, 4)
    (jump,) = loss_jumps(loss)
    assert jump.direction == "drop" and 100 < jump.epoch <= 106
    assert jump.size == pytest.approx(0.96 / 0.38, rel=0.02)
    assert loss_jumps(loss, max_steps=5) == ()  # a fall over more steps than max_steps is a trend


@pytest.mark.parametrize("curve", [lambda t: np.exp(-t**2 / 4e6), lambda t: 1 / (1 + t),
                                   lambda t: np.exp(-0.01 * t * (1 + np.sin(t / 300)))],
                         ids=["accelerating", "power-law", "drifting-rate"])
def test_smooth_curves_whose_slope_drifts_have_no_jumps(curve):
    assert loss_jumps(curve(np.arange(3000.0))) == ()


def test_gradient_spikes_are_upward_only_with_their_own_min_factor():
    g = _noisy(1000, 0.01, 3)
    g[300] *= 1e3          # a spike
    g[600:] /= 50          # a drop: not a spike
    g[800] *= 1.8          # under min_factor 2
    (spike,) = gradient_spikes(g)
    assert (spike.epoch, spike.direction) == (300, "spike")
    assert spike.size == pytest.approx(1e3, rel=0.05)
    assert _summary(gradient_spikes(g, min_factor=1.5)) == [(300, "spike", "jump"), (800, "spike", "jump")]
    # one rule: the spikes of loss_jumps with the same factor
    same = [j for j in loss_jumps(g, min_factor=2.0) if j.direction == "spike"]
    assert [(j.epoch, j.size, j.z) for j in same] == [(j.epoch, j.size, j.z) for j in gradient_spikes(g)]


# --- jumps that are not there ----------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [0.0, 0.02, 0.1])
def test_slow_exponential_decay_has_no_jumps(sigma):
    e = np.arange(3000)
    assert loss_jumps((0.01 + np.exp(-e / 300)) * _noisy(3000, sigma, 4)) == ()


def test_a_steady_fall_faster_than_min_factor_is_no_jump():
    """Every step falls by e^0.5 = 1.65 > 1.5, but no step departs from the others (rounding aside)."""
    assert loss_jumps(np.exp(-0.5 * np.arange(1000))) == ()


def test_no_false_positive_where_min_factor_binds():
    """Log-loss noise 0.02: a step of a factor 1.5 is a 14-sigma event; 200 runs of 3000, none."""
    assert sum(len(loss_jumps(_noisy(3000, 0.02, seed))) for seed in range(200)) == 0


def test_false_positive_rate_on_pure_noise():
    """Log-loss noise 0.3 (min_factor does not bind): the robust z alone. Measured 67 flags in
    200 x 2999 steps (1.1e-4 per step, 50 of 200 runs with one), the MAD of 50 values being itself
    noisy (iid normal: 9e-5); asserted with a margin of about 2."""
    flags = sum(len(loss_jumps(_noisy(3000, 0.3, seed))) for seed in range(200))
    assert flags / (200 * 2999) < 2.5e-4


@pytest.mark.parametrize("seed", range(10))
def test_a_drop_hidden_in_larger_noise_is_not_reported(seed):
    """A fall by 1.6 (log 0.47) in log-loss noise 0.5 (steps of sd 0.71); in noise 0.02 it is found."""
    fall = np.where(np.arange(1000) < 500, 1.0, 1 / 1.6)
    assert not any(abs(j.epoch - 500) <= 1 for j in loss_jumps(_noisy(1000, 0.5, seed) * fall))
    assert _summary(loss_jumps(_noisy(1000, 0.02, seed) * fall)) == [(500, "drop", "jump")]


# --- invariants ------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e-8, 3.7, 1e9])
def test_scale_free(scale):
    loss = _noisy(2000, 0.2, 5) * np.where(np.arange(2000) < 800, 1.0, 1e-3)
    loss[1500] *= 50
    base, scaled = loss_jumps(loss), loss_jumps(scale * loss)
    assert _summary(base) == _summary(scaled) and len(base) == 3
    for a, b in zip(base, scaled, strict=True):
        assert b.size == pytest.approx(a.size, rel=1e-9) and b.z == pytest.approx(a.z, rel=1e-6)


def test_uneven_epochs_label_the_entry_after_the_step():
    rng = np.random.default_rng(6)
    epochs = np.cumsum(rng.integers(1, 10, size=600))
    loss = _noisy(600, 0.05, 6) * np.where(np.arange(600) < 400, 1.0, 0.05)
    (jump,) = loss_jumps(loss, epochs=epochs)
    assert (jump.index, jump.epoch) == (400, int(epochs[400])) and isinstance(jump.epoch, int)
    (jump,) = loss_jumps(loss, epochs=epochs * 0.5)
    assert jump.epoch == epochs[400] * 0.5 and isinstance(jump.epoch, float)
    # the step is per entry, whatever the spacing: the same verdicts as by position
    assert [j.index for j in loss_jumps(loss, epochs=epochs)] == [j.epoch for j in loss_jumps(loss)]


# --- the start of a run ----------------------------------------------------------------------------

def test_a_fast_uneven_start_is_no_jump():
    """From 100 to 1 in five uneven steps (factors 2 to 5), then a noisy plateau."""
    start = 100 / np.cumprod([1, 2, 5, 3, 2.5, 4, 1.1, 1.05])
    loss = np.r_[start, start[-1] * _noisy(500, 0.05, 7)]
    assert loss_jumps(loss) == ()


@pytest.mark.parametrize("at", [1, 3, 8])
def test_an_early_blow_up_is_caught(at):
    loss = _noisy(300, 0.05, 8)
    loss[at:] *= 30
    assert _summary(loss_jumps(loss)) == [(at, "spike", "jump")]


def test_the_start_floor_is_a_factor_ten():
    """A drop by 3 at epoch 4 is under the start floor; the same drop at epoch 300 is a jump."""
    loss = _noisy(600, 0.01, 9)
    early, late = loss.copy(), loss.copy()
    early[4:] /= 3
    late[300:] /= 3
    assert loss_jumps(early) == ()
    assert _summary(loss_jumps(late)) == [(300, "drop", "jump")]
    loss[4:] /= 15
    assert _summary(loss_jumps(loss)) == [(4, "drop", "jump")]


@pytest.mark.parametrize("E", [0, 1, 2])
def test_short_series(E):
    assert loss_jumps(np.ones(E)) == ()


# --- divergence ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_divergence_ends_the_analysis(bad):
    loss = _noisy(1000, 0.05, 10)
    loss[300:] /= 10
    loss[700] = bad
    loss[800:] /= 100  # after the divergence: not analysed
    drop, divergence = loss_jumps(loss, epochs=np.arange(1000) * 5)
    assert (drop.epoch, drop.direction) == (1500, "drop")
    assert (divergence.epoch, divergence.index, divergence.direction, divergence.kind) == (
        3500, 700, "spike", "divergence")
    assert divergence.size == math.inf
    assert divergence.to_dict() == {"epoch": 3500, "index": 700, "direction": "spike", "size": None,
                                    "z": None, "kind": "divergence"}
    write_json({"events": [j.to_dict() for j in (drop, divergence)]}, None)  # strict JSON


def test_divergence_at_the_first_entry():
    assert _summary(gradient_spikes([np.nan, 1.0, 2.0])) == [(0, "spike", "divergence")]


def test_jump_is_a_frozen_record():
    (jump,) = loss_jumps(np.r_[np.ones(100), np.full(100, 0.01)])
    assert isinstance(jump, Jump)
    assert jump.to_dict() == {"epoch": 100, "index": 100, "direction": "drop", "size": pytest.approx(100),
                              "z": jump.z, "kind": "jump"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        jump.epoch = 3


# --- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: loss_jumps([1.0, 0.0, 2.0]), ValueError, r"`loss` must be > 0 .* got 0.0 at index 1"),
    (lambda: loss_jumps([1.0, -2.0]), ValueError, r"`loss` must be > 0 .* got -2.0 at index 1"),
    (lambda: loss_jumps([1.0, -np.inf]), ValueError, r"`loss` must be > 0"),
    (lambda: gradient_spikes([0.0, 1.0]), ValueError, r"`grad_norm` must be > 0"),
    (lambda: loss_jumps(np.ones((3, 2))), ValueError, r"`loss` must have shape \(E,\)"),
    (lambda: loss_jumps(["a", "b"]), TypeError, r"`loss` must be a numeric array"),
    (lambda: loss_jumps(np.ones(3), epochs=[0, 1]), ValueError, r"`epochs` must have shape \(E,\) = \(3,\)"),
    (lambda: loss_jumps(np.ones(3), epochs=[0, 2, 2]), ValueError, r"strictly increasing"),
    (lambda: loss_jumps(np.ones(3), epochs=[0, np.nan, 2]), ValueError, r"`epochs` must be finite"),
    (lambda: loss_jumps(np.ones(3), window=9), ValueError, r"`window` must be >= 10"),
    (lambda: loss_jumps(np.ones(3), window=20.5), TypeError, r"`window` must be an integer"),
    (lambda: loss_jumps(np.ones(3), threshold=0), ValueError, r"`threshold` must be a finite number > 0"),
    (lambda: loss_jumps(np.ones(3), min_factor=1.0), ValueError, r"`min_factor` must be > 1"),
    (lambda: gradient_spikes(np.ones(3), min_factor=0.5), ValueError, r"`min_factor` must be > 1"),
    (lambda: loss_jumps(np.ones(3), max_steps=0), ValueError, r"`max_steps` must be >= 1"),
], ids=["zero", "negative", "minus-inf", "grad-zero", "shape", "type", "epochs-shape", "epochs-order",
        "epochs-nan", "window", "window-type", "threshold", "min-factor", "grad-min-factor", "max-steps"])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
