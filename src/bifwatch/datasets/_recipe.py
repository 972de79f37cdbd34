"""The benchmark recipe shared by the ODE systems: integrate, sample, drop the transient, z-score, add noise.

See ../shared/notes/training-and-dsr.md, section 7, and docs/datasets.md.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy
from scipy.integrate import solve_ivp

from .._validation import check_int, check_positive_float, unwrap_scalar
from ._cache import cache_path, read_cached, write_cached
from ._dataset import Dataset

# DOP853 at rtol = atol = 1e-10: the flows are chaotic, so no solver follows one exact trajectory
# for long (an error of 1e-10 grows to O(1) within about 25 time units of Lorenz-63); what the
# data must get right is the flow map between samples, x_k -> x_{k+1}, which a model learns.
# At 1e-10 its error is far below the 5 % observation noise and below anything a model
# resolves, and it costs only about 1.5 times the note's rtol = 1e-8 (measured on Lorenz-63).
SOLVER = {"solver": "DOP853", "rtol": 1e-10, "atol": 1e-10}
#: Bumped whenever the recipe changes, so that old cache files are not reused.
_RECIPE_VERSION = 1


@dataclass(frozen=True)
class Flow:
    """An autonomous ODE dx/dt = rhs(x) with the constants it was built with and its initial states."""

    system: str
    rhs: Callable[[float, np.ndarray], np.ndarray]
    constants: dict
    initial_state: Callable[[np.random.Generator], np.ndarray]


def generate(flow: Flow, *, steps: object, test_steps: object, dt: object, noise: object, seed: object,
             transient: object, cache: object) -> Dataset:
    """Train and test series of ``flow`` by the recipe of docs/datasets.md, cached when ``cache``."""
    steps = check_int("steps", steps, minimum=2)
    settings = {
        "system": flow.system, **flow.constants,
        "steps": steps,
        "test_steps": steps if test_steps is None else check_int("test_steps", test_steps, minimum=2),
        "dt": check_positive_float("dt", dt),
        "transient": check_int("transient", transient, minimum=0),
        "seed": check_int("seed", seed, minimum=0),
        "noise": check_noise(noise),
        **SOLVER, "scipy": scipy.__version__,
    }
    if not isinstance(cache, bool):
        raise TypeError(f"`cache` must be True or False; got {cache!r}")
    rng = np.random.default_rng(settings["seed"])
    starts = flow.initial_state(rng), flow.initial_state(rng)
    raw = _raw_series(flow, settings, starts, cache)
    mean, std = raw["train"].mean(axis=0), raw["train"].std(axis=0)
    train = (raw["train"] - mean) / std
    if settings["noise"] > 0:
        train += rng.normal(0.0, settings["noise"], size=train.shape)
    return Dataset(flow.system, train=train, test=(raw["test"] - mean) / std, dt=settings["dt"],
                   mean=mean, std=std, settings=settings)


def check_noise(noise: object) -> float:
    """The standard deviation of the observation noise: a finite float >= 0."""
    value = unwrap_scalar(noise)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`noise` must be a real number (a standard deviation); got {noise!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`noise` must be a finite number >= 0 (a standard deviation); got {noise!r}")
    return float(value)


def _raw_series(flow: Flow, settings: dict, starts: tuple, cache: bool) -> dict[str, np.ndarray]:
    """The un-standardised train and test trajectories, from the cache or integrated (and cached)."""
    # The noise is not part of the key: it is drawn after the integration, so every noise level
    # reuses the same file.
    key = {k: v for k, v in settings.items() if k != "noise"} | {"recipe": _RECIPE_VERSION}
    path = cache_path(flow.system, key) if cache else None
    stored = read_cached(path, key) if cache else None
    if stored is not None:
        return stored
    raw = {part: _integrate(flow, start, settings[length], settings)
           for part, start, length in (("train", starts[0], "steps"), ("test", starts[1], "test_steps"))}
    if cache:
        write_cached(path, key, raw)
    return raw


def _integrate(flow: Flow, start: np.ndarray, steps: int, settings: dict) -> np.ndarray:
    """Shape (steps, N): the solution at t_k = k dt for k = transient, ..., transient + steps - 1."""
    t = np.arange(settings["transient"] + steps) * settings["dt"]
    solution = solve_ivp(flow.rhs, (0.0, t[-1]), start, method=SOLVER["solver"], t_eval=t,
                         rtol=SOLVER["rtol"], atol=SOLVER["atol"])
    if not solution.success or not np.all(np.isfinite(solution.y)):
        raise RuntimeError(f"integrating {flow.system} from {start.tolist()} failed: {solution.message}")
    return np.ascontiguousarray(solution.y.T[settings["transient"]:])
