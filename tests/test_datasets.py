"""bifwatch.datasets: the benchmark systems against the note's statistics and their own equations,
the PLRNN teacher against the cycle search, the cache, user files, and every error path.

Where the truth comes from:
- the statistics of the released benchmark files (../shared/notes/training-and-dsr.md, section 7),
  checked on series long enough that their seed-to-seed spread is below the tolerance (measured
  on this machine: at 20 000 steps Lorenz-63's mean |Δx| still varies by ±4 % over seeds, at
  40 000 by about ±2 %);
- the equations, written again here independently: one sample integrated over dt must give the
  next one;
- the cycle search: the teacher's data lie on the stable 16-cycle that ``find_cycles`` finds.
"""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from bifwatch import PLRNN, find_cycles
from bifwatch.datasets import (
    SYSTEMS,
    Dataset,
    as_trials,
    check_series,
    load_series,
    load_system,
    lorenz63,
    lorenz96,
    plrnn_cycle,
    plrnn_cycle_teacher,
    roessler,
)

SMALL = {"steps": 300, "test_steps": 50, "transient": 100}


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """Every test caches under its own tmp_path, never in the home folder."""
    monkeypatch.setenv("BIFWATCH_CACHE", str(tmp_path / "cache"))


def _cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "datasets").glob("*.npz"))


def _raw(data: Dataset) -> np.ndarray:
    return data.train * data.std + data.mean


def _mean_abs_step(x: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(x, axis=0)).mean(axis=0)


# The equations, written again from the note (section 7), independently of the package.
def _lorenz63(t, u):
    x, y, z = u
    return [10.0 * (y - x), x * (28.0 - z) - y, x * y - 8.0 / 3.0 * z]


def _roessler(t, u):
    x, y, z = u
    return [-y - z, x + 0.2 * y, 0.2 + z * (x - 5.7)]


def _lorenz96(F):
    def rhs(t, x):
        N = len(x)
        return [(x[(i + 1) % N] - x[(i - 2) % N]) * x[(i - 1) % N] - x[i] + F for i in range(N)]
    return rhs


# -- the benchmark statistics -------------------------------------------------------------------

def test_lorenz63_matches_the_note_statistics():
    data = lorenz63(steps=40_000, test_steps=2, cache=False)
    np.testing.assert_allclose(_mean_abs_step(data.train), [0.044, 0.052, 0.073], rtol=0.03)
    np.testing.assert_allclose(data.train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.train.std(axis=0), 1.0, rtol=1e-12)


def test_roessler_matches_the_note_statistics():
    data = roessler(steps=30_000, test_steps=2, cache=False)
    np.testing.assert_allclose(_mean_abs_step(data.train), [0.076, 0.071, 0.072], rtol=0.03)
    np.testing.assert_allclose([data.train[:, 2].min(), data.train[:, 2].max()], [-0.31, 7.7], rtol=0.03)


def test_lorenz96_has_the_known_mean_and_spread_for_F_8():
    # Long runs (100 000 steps, seeds 0-2, measured here) give a raw mean of 2.29-2.34 and a
    # standard deviation of 3.61-3.64, pooled over the 10 variables: the values quoted for F = 8.
    data = lorenz96(N=10, F=8.0, steps=30_000, test_steps=2, cache=False)
    raw = _raw(data)
    assert raw.mean() == pytest.approx(2.3, rel=0.04)
    assert raw.std() == pytest.approx(3.6, rel=0.02)
    assert data.N == 10


@pytest.mark.slow
def test_the_default_lorenz63_benchmark_with_five_percent_noise():
    """The set-up of section 10: 100 000 steps each, z-scored, N(0, 0.05²) on the train series only."""
    data = lorenz63(noise=0.05)
    clean = lorenz63()
    assert data.train.shape == data.test.shape == (100_000, 3)
    np.testing.assert_allclose(_mean_abs_step(clean.train), [0.044, 0.052, 0.073], rtol=0.015)
    np.testing.assert_allclose(_mean_abs_step(clean.test), [0.044, 0.052, 0.073], rtol=0.015)
    np.testing.assert_allclose(data.train.std(axis=0), np.sqrt(1 + 0.05**2), rtol=1e-3)  # the note's 1.001
    assert np.array_equal(data.test, clean.test)


# -- the equations, the grid and the recipe ------------------------------------------------------

@pytest.mark.parametrize("make, rhs, dt", [
    (lambda: lorenz63(**SMALL, cache=False), _lorenz63, 0.01),
    (lambda: roessler(**SMALL, cache=False), _roessler, 0.08),
    (lambda: lorenz96(N=6, F=5.0, **SMALL, cache=False), _lorenz96(5.0), 0.01),
], ids=["lorenz63", "roessler", "lorenz96"])
def test_each_sample_is_the_flow_of_the_previous_one_over_dt(make, rhs, dt):
    data = make()
    raw = _raw(data)
    for k in (0, 100, 298):
        ahead = solve_ivp(rhs, (0.0, dt), raw[k], method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1]
        np.testing.assert_allclose(ahead, raw[k + 1], rtol=1e-7, atol=1e-7)
    assert data.dt == dt


def test_transient_drops_samples_of_the_same_grid():
    longer = lorenz63(steps=600, test_steps=2, transient=0, cache=False)
    shorter = lorenz63(steps=500, test_steps=2, transient=100, cache=False)
    np.testing.assert_allclose(_raw(shorter), _raw(longer)[100:], rtol=1e-6, atol=1e-6)


def test_test_series_is_its_own_trajectory_with_the_train_transform():
    data = lorenz63(steps=400, test_steps=250, transient=100, cache=False)
    assert data.test.shape == (250, 3)
    assert not np.allclose(data.test[:10], data.train[:10])
    raw_test = data.test * data.std + data.mean
    ahead = solve_ivp(_lorenz63, (0.0, 0.01), raw_test[0], method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1]
    np.testing.assert_allclose(ahead, raw_test[1], rtol=1e-7, atol=1e-7)
    assert np.all(data.std > 0) and not np.allclose(data.mean, 0.0)


@pytest.mark.parametrize("make", [lorenz63, roessler, lorenz96], ids=lambda f: f.__name__)
def test_same_seed_gives_bitwise_identical_data_and_another_seed_other_data(make):
    first, again = make(**SMALL, noise=0.1, cache=False), make(**SMALL, noise=0.1, cache=False)
    other = make(**SMALL, noise=0.1, seed=1, cache=False)
    for field in ("train", "test", "mean", "std"):
        assert np.array_equal(getattr(first, field), getattr(again, field))
    assert not np.allclose(first.train, other.train)


def test_noise_goes_on_the_standardised_train_series_only():
    clean = lorenz63(**SMALL, cache=False)
    noisy = lorenz63(**SMALL, noise=0.05, cache=False)
    assert np.array_equal(noisy.test, clean.test)
    assert np.array_equal(noisy.mean, clean.mean) and np.array_equal(noisy.std, clean.std)
    added = noisy.train - clean.train
    assert added.std() == pytest.approx(0.05, rel=0.1)
    assert abs(added.mean()) < 0.01


def test_settings_record_everything_and_are_json():
    data = lorenz96(N=5, F=6.0, **SMALL, noise=0.02, seed=3, cache=False)
    settings = json.loads(json.dumps(data.settings))
    assert settings["system"] == "lorenz96"
    expected = {"N": 5, "F": 6.0, "steps": 300, "test_steps": 50, "transient": 100, "seed": 3, "noise": 0.02,
                "dt": 0.01}
    assert {key: settings[key] for key in expected} == expected
    assert settings["solver"] == "DOP853" and settings["rtol"] <= 1e-8
    assert lorenz63(**SMALL, cache=False).settings["rho"] == 28.0
    assert roessler(steps=10, cache=False).settings["test_steps"] == 10


@pytest.mark.parametrize("setting, value, error, message", [
    ("steps", 1, ValueError, "`steps` must be >= 2; got 1"),
    ("steps", 2.5, TypeError, "`steps` must be an integer; got 2.5"),
    ("test_steps", 1, ValueError, "`test_steps` must be >= 2; got 1"),
    ("dt", 0.0, ValueError, r"`dt` must be a finite number > 0; got 0.0"),
    ("dt", "0.01", TypeError, "`dt` must be a real number"),
    ("noise", -0.1, ValueError, r"`noise` must be a finite number >= 0 \(a standard deviation\); got -0.1"),
    ("noise", float("nan"), ValueError, "`noise` must be a finite number >= 0"),
    ("noise", "a lot", TypeError, "`noise` must be a real number"),
    ("seed", -1, ValueError, "`seed` must be >= 0; got -1"),
    ("transient", -5, ValueError, "`transient` must be >= 0; got -5"),
    ("cache", "yes", TypeError, "`cache` must be True or False; got 'yes'"),
])
def test_bad_settings_are_named(setting, value, error, message):
    with pytest.raises(error, match=message):
        lorenz63(**{**SMALL, "cache": False, setting: value})


@pytest.mark.parametrize("setting, value, error, message", [
    ("N", 3, ValueError, "`N` must be >= 4; got 3"),
    ("F", float("inf"), ValueError, r"`F` must be a finite number \(the forcing\); got inf"),
    ("F", "8", TypeError, "`F` must be a real number"),
])
def test_bad_lorenz96_settings_are_named(setting, value, error, message):
    with pytest.raises(error, match=message):
        lorenz96(**{**SMALL, "cache": False, setting: value})


def test_settings_are_keyword_only():
    with pytest.raises(TypeError):
        lorenz63(100)


# -- the cache ---------------------------------------------------------------------------------------

def test_a_cached_load_equals_a_fresh_generation_exactly(tmp_path):
    first = lorenz63(**SMALL, noise=0.05)
    (path,) = _cache_files(tmp_path)
    assert path.name.startswith("lorenz63-") and len(path.stem) == len("lorenz63-") + 12
    assert path.stat().st_mode & 0o044 == 0o044  # readable by others sharing the cache
    assert list(path.parent.glob("*.tmp")) == []
    cached = lorenz63(**SMALL, noise=0.05)
    fresh = lorenz63(**SMALL, noise=0.05, cache=False)
    for field in ("train", "test", "mean", "std"):
        assert np.array_equal(getattr(cached, field), getattr(fresh, field))
        assert np.array_equal(getattr(first, field), getattr(fresh, field))
    assert cached.settings == fresh.settings


def test_another_seed_or_setting_gives_another_file_but_the_noise_does_not(tmp_path):
    lorenz63(**SMALL)
    lorenz63(**SMALL, seed=1)
    lorenz63(**{**SMALL, "dt": 0.02})
    assert len(_cache_files(tmp_path)) == 3
    lorenz63(**SMALL, noise=0.3)  # the noise is drawn after the integration: same trajectories, same file
    roessler(**SMALL)
    assert len(_cache_files(tmp_path)) == 4
    assert sum(p.name.startswith("roessler-") for p in _cache_files(tmp_path)) == 1


def test_cache_false_writes_nothing(tmp_path):
    lorenz96(N=4, **SMALL, cache=False)
    assert not (tmp_path / "cache").exists()


def test_without_the_variable_the_cache_is_under_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("BIFWATCH_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    lorenz63(**SMALL)
    assert len(list((tmp_path / "home" / ".cache" / "bifwatch" / "datasets").glob("lorenz63-*.npz"))) == 1


def test_a_corrupt_cache_file_is_generated_again(tmp_path):
    fresh = lorenz63(**SMALL)
    (path,) = _cache_files(tmp_path)
    path.write_bytes(b"not a zip archive")
    message = "ignoring the cached data set .*lorenz63-.*; generating it again"
    with pytest.warns(UserWarning, match=message) as caught:
        again = lorenz63(**SMALL)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert np.array_equal(again.train, fresh.train)
    with np.load(path) as archive:  # and the file was repaired
        np.testing.assert_allclose(archive["test"], fresh.test * fresh.std + fresh.mean, rtol=1e-14)


def test_a_cache_file_written_for_other_settings_is_not_used(tmp_path):
    lorenz63(**SMALL)
    lorenz63(**SMALL, seed=1)
    first, second = _cache_files(tmp_path)
    second.write_bytes(first.read_bytes())  # as if two keys had the same hash
    with pytest.warns(UserWarning, match="written for other settings"):
        lorenz63(**SMALL)
        lorenz63(**SMALL, seed=1)


def test_an_unwritable_cache_warns_and_still_returns_the_data(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("BIFWATCH_CACHE", str(blocker))  # its datasets/ folder cannot be made
    with pytest.warns(UserWarning, match="could not write the data-set cache .*pass cache=False") as caught:
        data = lorenz63(**SMALL)
    assert caught[0].filename == __file__
    assert np.array_equal(data.train, lorenz63(**SMALL, cache=False).train)


# -- the PLRNN teacher ----------------------------------------------------------------------------------

def test_the_teacher_is_the_loss_jumps_plrnn():
    teacher = plrnn_cycle_teacher()
    assert isinstance(teacher, PLRNN)
    np.testing.assert_array_equal(teacher.A, [0.83777, 0.96461])
    np.testing.assert_array_equal(teacher.W, [[0.0, -0.64375], [0.52505, 0.0]])
    np.testing.assert_array_equal(teacher.h, [0.37298, -0.97931])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_teacher_data_lie_on_its_stable_16_cycle(seed):
    teacher = plrnn_cycle_teacher()
    data = plrnn_cycle(steps=200, test_steps=100, seed=seed)
    stable = [c for c in find_cycles(teacher, 16).cycles if c.stable]
    assert [c.order for c in stable] == [16]
    for series in (data.train, data.test):
        np.testing.assert_allclose(teacher.step(series[:-1]), series[1:], atol=1e-14)
        distance = np.abs(series[:, None, :] - stable[0].points[None]).max(axis=-1).min(axis=1)
        assert distance.max() < 1e-10
    assert not np.allclose(data.train[:8], data.train[8:16])  # period 16, not 8


def test_teacher_data_are_not_z_scored_and_reproducible():
    data = plrnn_cycle()
    assert data.name == "plrnn-cycle" and data.dt is None and data.N == 2
    assert data.train.shape == data.test.shape == (500, 2)
    assert np.array_equal(data.mean, np.zeros(2)) and np.array_equal(data.std, np.ones(2))
    assert data.train.var(axis=0).mean() == pytest.approx(0.0716, abs=5e-4)  # the note's data variance
    assert np.array_equal(plrnn_cycle().train, data.train)
    assert not np.array_equal(plrnn_cycle(seed=1).train, data.train)
    assert plrnn_cycle(test_steps=40).test.shape == (40, 2)
    assert json.loads(json.dumps(data.settings))["transient"] == 10_000


def test_teacher_noise_goes_on_the_train_series_only():
    clean, noisy = plrnn_cycle(seed=2), plrnn_cycle(seed=2, noise=0.01)
    assert np.array_equal(clean.test, noisy.test)
    assert (noisy.train - clean.train).std() == pytest.approx(0.01, rel=0.1)


@pytest.mark.parametrize("setting, value, error, message", [
    ("steps", 0, ValueError, "`steps` must be >= 2; got 0"),
    ("test_steps", 1, ValueError, "`test_steps` must be >= 2; got 1"),
    ("seed", 1.5, TypeError, "`seed` must be an integer; got 1.5"),
    ("noise", -1.0, ValueError, "`noise` must be a finite number >= 0"),
    ("transient", -1, ValueError, "`transient` must be >= 0; got -1"),
])
def test_bad_teacher_settings_are_named(setting, value, error, message):
    with pytest.raises(error, match=message):
        plrnn_cycle(**{setting: value})


# -- systems by name -----------------------------------------------------------------------------------

def test_systems_by_name():
    assert set(SYSTEMS) == {"lorenz63", "roessler", "lorenz96", "plrnn-cycle"}
    by_name = load_system("lorenz96", N=5, **SMALL, cache=False)
    direct = lorenz96(N=5, **SMALL, cache=False)
    assert by_name.name == "lorenz96" and np.array_equal(by_name.train, direct.train)
    assert np.array_equal(load_system("plrnn-cycle", steps=20).train, plrnn_cycle(steps=20).train)


def test_an_unknown_system_lists_the_known_ones():
    known = r"\['lorenz63', 'lorenz96', 'plrnn-cycle', 'roessler'\]"
    with pytest.raises(ValueError, match=r"unknown system 'lorenz'; expected one of " + known):
        load_system("lorenz")


def test_a_setting_the_system_does_not_take_is_named():
    with pytest.raises(TypeError, match="system 'plrnn-cycle' takes no setting 'dt'; it takes steps, "):
        load_system("plrnn-cycle", dt=0.1)
    with pytest.raises(TypeError, match="takes no settings 'N', 'F'"):
        load_system("roessler", N=3, F=1.0)


# -- series checks ---------------------------------------------------------------------------------------

def test_check_series_returns_a_float64_copy():
    x = np.arange(6, dtype=np.int32).reshape(3, 2)
    out = check_series(x)
    assert out.dtype == np.float64 and out.shape == (3, 2)
    out[0, 0] = 99
    assert x[0, 0] == 0


@pytest.mark.parametrize("value, error, message", [
    (np.zeros(5), ValueError, r"`data` must be a \(T, N\) array of time steps by observed dimensions; "
                              r"got shape \(5,\) \(for one observed dimension pass x\[:, None\]\)"),
    (np.zeros((2, 3, 4)), ValueError, r"`data` must be a \(T, N\) array .*; got shape \(2, 3, 4\)$"),
    (np.zeros((1, 3)), ValueError, r"`data` must have at least 2 time steps \(rows\); got shape \(1, 3\)"),
    (np.zeros((4, 0)), ValueError, r"`data` must have at least 1 observed dimension \(column\); got shape"),
    (np.array([[0.0, 1.0], [2.0, 3.0], [np.inf, 0.0], [np.nan, 1.0]]), ValueError,
     r"`data` must be finite; row 2 \(counting from 0\) is the first to hold NaN or Inf"),
    ([["a", "b"], ["c", "d"]], TypeError, "`data` must be a numeric array"),
    (np.ones((3, 2), dtype=complex), TypeError, "`data` must be real"),
])
def test_check_series_errors(value, error, message):
    with pytest.raises(error, match=message):
        check_series(value)


def test_check_series_names_the_argument():
    with pytest.raises(ValueError, match="`x_train` must be a"):
        check_series([1.0, 2.0], "x_train")


def test_as_trials_accepts_a_series_a_stack_and_a_list():
    assert [t.shape for t in as_trials(np.zeros((5, 2)))] == [(5, 2)]
    assert [t.shape for t in as_trials(np.zeros((3, 5, 2)))] == [(5, 2)] * 3
    assert [t.shape for t in as_trials([np.zeros((5, 2)), np.zeros((7, 2))])] == [(5, 2), (7, 2)]
    assert [t.shape for t in as_trials(([[0, 1], [2, 3]], [[4, 5], [6, 7], [8, 9]]))] == [(2, 2), (3, 2)]
    assert [t.shape for t in as_trials([[0, 1], [2, 3], [4, 5]])] == [(3, 2)]  # one series as nested lists


@pytest.mark.parametrize("value, message", [
    ([np.zeros((5, 2)), np.zeros((5, 3))], r"`trials\[1\]` must have N = 2 columns like `trials\[0\]`; "
                                           r"got shape \(5, 3\)"),
    ([np.zeros((5, 2)), np.zeros(5)], r"`trials\[1\]` must be a \(T, N\) array"),
    ([np.zeros((5, 2)), np.full((3, 2), np.nan)], r"`trials\[1\]` must be finite; row 0"),
    ([], "`trials` must hold at least one trial; got an empty list"),
    (np.zeros((0, 5, 2)), r"`trials` must hold at least one trial; got shape \(0, 5, 2\)"),
    (np.zeros((2, 2, 2, 2)), r"`trials` must be a \(T, N\) array .*, a \(K, T, N\) stack of K trials or a "
                             r"list of \(T_i, N\) arrays; got shape \(2, 2, 2, 2\)"),
])
def test_as_trials_errors(value, message):
    with pytest.raises(ValueError, match=message):
        as_trials(value, "trials")


# -- the Dataset noun -------------------------------------------------------------------------------------

def _dataset(**change):
    x = np.arange(12.0).reshape(6, 2)
    fields = {"name": "toy", "train": x, "test": x[:4], "dt": None, "mean": np.zeros(2), "std": np.ones(2),
              "settings": {"data": "toy"}} | change
    return Dataset(**fields)


def test_dataset_holds_float64_arrays_and_says_what_it_is():
    data = _dataset(dt=np.float64(0.5), trials=(np.arange(12.0).reshape(6, 2), np.zeros((3, 2))))
    assert data.N == 2 and data.dt == 0.5 and isinstance(data.dt, float)
    assert data.train.dtype == np.float64 and len(data.trials) == 2
    assert repr(data) == "Dataset('toy', N=2, train=(6, 2), test=(4, 2), dt=0.5, trials=2)"
    assert _dataset(trials=(np.arange(12.0).reshape(6, 2),)).trials is None  # one trial: None
    with pytest.raises(AttributeError):
        data.name = "other"


@pytest.mark.parametrize("change, error, message", [
    ({"name": ""}, TypeError, "`name` must be a non-empty string; got ''"),
    ({"train": np.zeros(6)}, ValueError, r"`train` must be a \(T, N\) array"),
    ({"test": np.zeros((4, 3))}, ValueError,
     r"`test` must have N = 2 columns like `train`; got shape \(4, 3\)"),
    ({"test": np.full((4, 2), np.nan)}, ValueError, "`test` must be finite; row 0"),
    ({"mean": np.zeros(3)}, ValueError, r"`mean` must have shape \(2,\); got shape \(3,\)"),
    ({"std": np.array([1.0, 0.0])}, ValueError, r"`std` must be > 0 in every dimension; got \[1.0, 0.0\]"),
    ({"dt": 0.0}, ValueError, "`dt` must be None or a finite number > 0; got 0.0"),
    ({"dt": "0.1"}, TypeError, "`dt` must be None or a real number; got '0.1'"),
    ({"settings": [1]}, TypeError, "`settings` must be a dict; got list"),
    ({"settings": {"x": np.zeros(2)}}, TypeError, "`settings` must be JSON-serialisable"),
    ({"settings": {"x": float("nan")}}, TypeError, "`settings` must be JSON-serialisable"),
    ({"trials": [np.zeros((6, 2))]}, TypeError, "`trials` must be None or a non-empty tuple"),
    ({"trials": ()}, TypeError, "`trials` must be None or a non-empty tuple"),
    ({"trials": (np.arange(12.0).reshape(6, 2), np.zeros((3, 3)))}, ValueError,
     r"`trials\[1\]` must have N = 2 columns like `train`; got shape \(3, 3\)"),
    ({"trials": (np.zeros((6, 2)), np.zeros((3, 2)))}, ValueError,
     r"`trials\[0\]` must equal `train` \(the training series is the first trial\)"),
])
def test_dataset_errors(change, error, message):
    with pytest.raises(error, match=message):
        _dataset(**change)


# -- user files ---------------------------------------------------------------------------------------------

def test_npy_with_one_series(tmp_path):
    x = np.random.default_rng(0).normal(size=(50, 3))
    np.save(tmp_path / "run.npy", x)
    data = load_series(tmp_path / "run.npy")
    assert data.name == "run.npy" and data.dt is None and data.trials is None
    assert np.array_equal(data.train, x) and np.array_equal(data.test, x)  # in-sample
    assert np.array_equal(data.mean, np.zeros(3)) and np.array_equal(data.std, np.ones(3))
    assert data.settings == {"data": str(tmp_path / "run.npy"), "test": None, "zscore": False, "trials": 1}


def test_npy_stack_of_trials(tmp_path):
    x = np.random.default_rng(1).normal(size=(4, 30, 2))
    np.save(tmp_path / "stack.npy", x)
    data = load_series(str(tmp_path / "stack.npy"))
    assert len(data.trials) == 4 and all(np.array_equal(t, x[i]) for i, t in enumerate(data.trials))
    assert np.array_equal(data.train, x[0]) and np.array_equal(data.test, x[0])


def test_npz_trials_in_archive_order(tmp_path):
    trials = {"zeta": np.ones((5, 2)), "alpha": np.zeros((8, 2)), "mid": np.full((3, 2), 2.0)}
    np.savez(tmp_path / "trials.npz", **trials)
    data = load_series(tmp_path / "trials.npz")
    assert [t.shape for t in data.trials] == [(5, 2), (8, 2), (3, 2)]
    assert np.array_equal(data.train, trials["zeta"])
    np.savez(tmp_path / "one.npz", only=np.zeros((4, 2)))
    assert load_series(tmp_path / "one.npz").trials is None


@pytest.mark.parametrize("text", ["x,y,z\n1,2,3\n4,5,6\n7,8,9\n", "1,2,3\n4,5,6\n7,8,9\n",
                                  "# exported\n1,2,3\n4,5,6\n\n7,8,9\n", "t, 'v 2',z\n1, 2, 3\n4,5,6\n7,8,9"],
                         ids=["header", "no-header", "comment-and-blank-line", "quoted-names"])
def test_csv_with_or_without_a_header(tmp_path, text):
    (tmp_path / "d.csv").write_text(text)
    data = load_series(tmp_path / "d.csv")
    np.testing.assert_array_equal(data.train, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


def test_csv_with_one_column(tmp_path):
    (tmp_path / "one.csv").write_text("v\n1\n2\n3\n")
    assert load_series(tmp_path / "one.csv").train.shape == (3, 1)


def test_zscore_uses_all_training_trials_and_applies_to_the_test_file(tmp_path):
    rng = np.random.default_rng(2)
    trials = rng.normal(3.0, 2.0, size=(2, 400, 2))
    np.save(tmp_path / "train.npy", trials)
    np.save(tmp_path / "test.npy", rng.normal(3.0, 2.0, size=(100, 2)))
    data = load_series(tmp_path / "train.npy", test=tmp_path / "test.npy", zscore=True)
    pooled = trials.reshape(-1, 2)
    np.testing.assert_allclose(data.mean, pooled.mean(axis=0))
    np.testing.assert_allclose(data.std, pooled.std(axis=0))
    np.testing.assert_allclose(np.concatenate(data.trials).mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.test, (np.load(tmp_path / "test.npy") - data.mean) / data.std)
    assert data.settings["test"] == str(tmp_path / "test.npy") and data.settings["zscore"] is True


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        content(path)
    return path


@pytest.mark.parametrize("name, content, message", [
    ("text.npy", "1,2,3\n", r"`path`: '.*text.npy' is not a readable .npy file \("),
    ("truncated.npy", lambda p: p.write_bytes(_npy_bytes(np.zeros((10, 2)))[:-7]),
     r"is not a readable .npy file"),
    ("objects.npy", lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True),
     r"is not a readable .npy file \(.*pickle"),
    ("pickled.npy", pickle.dumps([1, 2]), r"is not a readable .npy file"),
    ("archive.npy", lambda p: np.savez(open(p, "wb"), x=np.zeros((3, 2))),
     r"is not a readable .npy file \(it is an .npz archive; rename it to .npz\)"),
    ("strings.npy", lambda p: np.save(p, np.array([["a", "b"], ["c", "d"]])),
     r"is not a readable .npy file \(it holds non-numeric data, dtype <U1\)"),
    ("vector.npy", lambda p: np.save(p, np.zeros(5)),
     r"`vector.npy` must be a \(T, N\) array .*got shape \(5,\)"),
    ("nan.npy", lambda p: np.save(p, np.array([[0.0], [1.0], [np.nan]])),
     "`nan.npy` must be finite; row 2 \\(counting from 0\\)"),
    ("bad.npz", b"PK\x03\x04 not really a zip", r"`path`: '.*bad.npz' is not a readable .npz file \("),
    ("single.npz", lambda p: np.save(open(p, "wb"), np.zeros((3, 2))),
     r"is not a readable .npz file \(it holds a single .npy array; rename it to .npy\)"),
    ("empty.npz", lambda p: np.savez(p), r"is not a readable .npz file \(the archive holds no arrays\)"),
    ("flat.npz", lambda p: np.savez(p, a=np.zeros((4, 2)), b=np.zeros(4)),
     r"`path`: array 'b' of '.*flat.npz' must be one \(T, N\) trial of T time steps by N observed "
     r"dimensions; got shape \(4,\)"),
    ("mixed.npz", lambda p: np.savez(p, a=np.zeros((4, 2)), b=np.zeros((4, 3))),
     r"`mixed.npz\[1\]` must have N = 2 columns like `mixed.npz\[0\]`"),
    ("words.csv", "x,y\n1,2\n3,oops\n", r"is not a readable .csv file \(could not convert string 'oops'"),
    ("ragged.csv", "1,2\n3,4\n5\n", r"is not a readable .csv file \(.*columns"),
    ("empty.csv", "", r"is not a readable .csv file \(it holds no numbers\)"),
    ("header-only.csv", "x,y\n", r"is not a readable .csv file \(it holds no numbers\)"),
    ("binary.csv", b"\xff\xfe\x00\x01", r"is not a readable .csv file"),
    ("short.csv", "x,y\n1,2\n", r"`short.csv` must have at least 2 time steps \(rows\); got shape \(1, 2\)"),
    ("inf.csv", "1,2\n3,4\n5,inf\n", r"`inf.csv` must be finite; row 2"),
])
def test_files_that_are_not_what_they_say(tmp_path, name, content, message):
    path = _write(tmp_path, name, content)
    with pytest.raises(ValueError, match=message) as caught:
        load_series(path)
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None  # one line: numpy's own error is not chained on
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def _npy_bytes(array):
    import io
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_missing_files_folders_and_suffixes(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"`path`: no such file '.*missing.npy'"):
        load_series(tmp_path / "missing.npy")
    for folder in ("folder.npz", "folder"):
        (tmp_path / folder).mkdir()
        with pytest.raises(IsADirectoryError, match=rf"`path` must be a file; '.*{folder}' is a folder"):
            load_series(tmp_path / folder)
    (tmp_path / "data.NPY").write_bytes(_npy_bytes(np.zeros((3, 2))))
    assert load_series(tmp_path / "data.NPY").train.shape == (3, 2)  # the suffix in any case
    with pytest.raises(ValueError, match=r"`path` must end in one of .npy, .npz, .csv; got '.*data.txt'"):
        load_series(tmp_path / "data.txt")
    with pytest.raises(TypeError, match=r"`path` must be a file path \(str or os.PathLike\); got int"):
        load_series(3)


def test_test_file_errors(tmp_path):
    np.save(tmp_path / "train.npy", np.zeros((5, 2)))
    np.save(tmp_path / "test.npy", np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"`test` must have N = 2 columns like `path`; got shape \(5, 3\)"):
        load_series(tmp_path / "train.npy", test=tmp_path / "test.npy")
    with pytest.raises(FileNotFoundError, match=r"`test`: no such file"):
        load_series(tmp_path / "train.npy", test=tmp_path / "nope.csv")


def test_zscore_errors(tmp_path):
    np.save(tmp_path / "flat.npy", np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]]))
    with pytest.raises(ValueError, match=r"`path`: column 0 of '.*flat.npy' is constant, so it cannot be "
                                         r"z-scored; drop it or pass zscore=False"):
        load_series(tmp_path / "flat.npy", zscore=True)
    with pytest.raises(TypeError, match="`zscore` must be True or False; got 1"):
        load_series(tmp_path / "flat.npy", zscore=1)


# -- the house rules -----------------------------------------------------------------------------------------

def test_the_package_never_imports_torch():
    folder = Path(__import__("bifwatch.datasets", fromlist=["_"]).__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "torch" for n in names), path.name
