"""Every setting of a training run, checked once, written to ``RUN/config.toml`` and read back."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from ._forcing import ALPHA_METHODS, FORCINGS

SYSTEM_NAMES = ("lorenz63", "roessler", "lorenz96", "plrnn-cycle")
MODEL_KINDS = ("plrnn", "shplrnn", "clipped-shplrnn", "alrnn")
OBSERVATIONS = ("identity", "affine")


@dataclass(frozen=True)
class TrainSettings:
    """The settings of one training run.

    The defaults train a good Lorenz-63 model in 2-4 minutes on 2 CPU cores: the lab
    tutorial's constant GTF (alpha = 0.125, windows of 75 steps) with the GTF paper's clipped
    shPLRNN (L = 50), RAdam 1e-3 -> 1e-5 over 600 epochs of 50 steps. The note's long-budget
    recommendation (training-and-dsr.md, section 10: aGTF from alpha = 1, windows of 200 steps,
    2000-5000 epochs) is ``forcing="agtf", seq_len=200, epochs=5000, lr=(1e-3, 1e-6)``: aGTF
    relaxes alpha by 0.999 every 5 steps, so in a short run it is still forcing hard at the end.

    Data
        ``system`` (one of lorenz63, roessler, lorenz96, plrnn-cycle) or ``data`` (a .npy, .npz
        or .csv file of T x N observations; ``test_data`` optionally another for evaluation;
        both paths are made absolute). ``zscore``: each dimension of ``data`` is z-scored with
        the train statistics and ``test_data`` with the same transform (the lab's convention).
        ``steps``: length of a generated system's train and test series (default 100,000; 2,000
        for plrnn-cycle); ``noise``: sd of the Gaussian observation noise added to a generated
        train series after z-scoring (default 0.05, as the GTF data; 0 for plrnn-cycle);
        ``data_seed``: the seed of the system's initial states and noise, apart from ``seed``, so
        that runs of several seeds train on the same series.
    Model
        ``model`` kind, ``latent`` M (default N), ``hidden`` L (shallow kinds), ``P`` (ALRNN,
        default 2), ``observation`` (identity: the first N latent units are the data; affine).
        ``init``: a model file (``.npz`` readable by :func:`bifwatch.load_model`, of the same
        kind and sizes) whose parameters replace the initialisation of the latent model.
    Forcing
        ``forcing``: none, stf (every ``tau`` steps), gtf (constant ``alpha``) or agtf (alpha
        from ``alpha_method`` every ``alpha_every`` optimiser steps, starting at ``alpha0``,
        relaxing with ``alpha_decay``).
    Optimisation
        ``optimizer``: ``radam`` (the lab's) or ``sgd`` (plain gradient descent, as in the
        loss-jumps paper's experiments), learning rate decaying exponentially per epoch from
        ``lr[0]`` to ``lr[1]`` over
        ``epochs``; ``batches_per_epoch`` steps of ``batch_size`` random windows of ``seq_len``
        + 1 steps each; ``regularisation`` lambda of the latent L2 (A toward 1, the rest toward
        0); ``batch_noise``: sd of noise added to each batch; ``seed`` for everything random.
    Run
        ``checkpoint_every`` epochs (epoch 0 and the last always), ``device``, ``dtype``.
    """

    system: str | None = "lorenz63"
    data: str | None = None
    test_data: str | None = None
    zscore: bool = True
    steps: int | None = None
    noise: float | None = None
    data_seed: int = 0
    model: str = "clipped-shplrnn"
    latent: int | None = None
    hidden: int = 50
    P: int = 2
    observation: str = "identity"
    init: str | None = None
    forcing: str = "gtf"
    alpha: float = 0.125
    tau: int = 16
    alpha0: float = 1.0
    alpha_method: str = "product_upper_bound"
    alpha_every: int = 5
    alpha_decay: float = 0.999
    epochs: int = 600
    batches_per_epoch: int = 50
    batch_size: int = 16
    seq_len: int = 75
    lr: tuple[float, float] = (1e-3, 1e-5)
    optimizer: str = "radam"
    regularisation: float = 1e-5
    batch_noise: float = 0.0
    seed: int = 0
    checkpoint_every: int = 25
    device: str = "cpu"
    dtype: str = "float64"
    data_hash: str | None = field(default=None, compare=True)

    def __post_init__(self) -> None:
        _check(self)

    def replace(self, **changes) -> TrainSettings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    def differences(self, other: TrainSettings) -> list[str]:
        """Names of the settings in which ``other`` differs."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


#: The optimisers ``optimizer`` names.
OPTIMIZERS = ("radam", "sgd")


def _choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of {list(allowed)}")


def _count(name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}")


def _real(name: str, value, low: float, high: float = math.inf, *, open_low: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < low or value > high or (open_low and value == low):
        bound = f"in {'(' if open_low else '['}{low}, {high}]" if high < math.inf else \
            (f"> {low}" if open_low else f">= {low}")
        raise ValueError(f"`{name}` must be a finite number {bound}; got {value!r}")


def _check(s: TrainSettings) -> None:
    if (s.system is None) == (s.data is None):
        raise ValueError("give exactly one of `system` (a built-in system) and `data` (a file); got "
                         + ("both" if s.system is not None else "neither"))
    if s.system is not None:
        _choice("system", s.system, SYSTEM_NAMES)
        cycle = s.system == "plrnn-cycle"
        if s.steps is None:
            object.__setattr__(s, "steps", 2_000 if cycle else 100_000)
        if s.noise is None:
            object.__setattr__(s, "noise", 0.0 if cycle else 0.05)
    elif s.steps is not None or s.noise is not None:
        raise ValueError("`steps` and `noise` apply to a built-in `system`, not to `data` from a file")
    for name in ("data", "test_data", "init"):
        value = getattr(s, name)
        if value is not None and not isinstance(value, str | os.PathLike):
            raise ValueError(f"`{name}` must be a path (a string); got {value!r}")
        if value is not None:
            object.__setattr__(s, name, os.path.abspath(os.fspath(getattr(s, name))))
    if not isinstance(s.zscore, bool):
        raise ValueError(f"`zscore` must be true or false; got {s.zscore!r}")
    if s.test_data is not None and s.data is None:
        raise ValueError("`test_data` goes with `data` (a built-in system makes its own test series)")
    _choice("model", s.model, MODEL_KINDS)
    _choice("observation", s.observation, OBSERVATIONS)
    _choice("forcing", s.forcing, FORCINGS)
    _choice("alpha_method", s.alpha_method, ALPHA_METHODS)
    _choice("dtype", s.dtype, ("float32", "float64"))
    _choice("optimizer", s.optimizer, OPTIMIZERS)
    if s.steps is not None:
        _count("steps", s.steps, minimum=2)
    for name in ("hidden", "tau", "alpha_every", "epochs", "batches_per_epoch", "batch_size",
                 "seq_len", "checkpoint_every"):
        _count(name, getattr(s, name))
    _count("P", s.P, minimum=0)
    _count("seed", s.seed, minimum=0)
    _count("data_seed", s.data_seed, minimum=0)
    if s.seed >= 2**32:
        raise ValueError(f"`seed` must be below 2**32; got {s.seed}")
    if s.latent is not None:
        _count("latent", s.latent)
    for name in ("alpha", "alpha0", "alpha_decay"):
        _real(name, getattr(s, name), 0.0, 1.0)
    for name in ("regularisation", "batch_noise"):
        _real(name, getattr(s, name), 0.0)
    if s.noise is not None:
        _real("noise", s.noise, 0.0)
    if not (isinstance(s.lr, tuple | list) and len(s.lr) == 2):
        raise ValueError(f"`lr` must be two numbers (start, end); got {s.lr!r}")
    for value in s.lr:
        _real("lr", value, 0.0, open_low=True)
    object.__setattr__(s, "lr", (float(s.lr[0]), float(s.lr[1])))
    if not (isinstance(s.device, str) and re.fullmatch(r"cpu|cuda(:\d+)?", s.device)):
        raise ValueError(f"`device` must be 'cpu' or 'cuda' (or 'cuda:K'); got {s.device!r}")


# ----------------------------------------------------------------------------------------------
# RUN/config.toml

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_settings(settings: TrainSettings, path: str | os.PathLike) -> None:
    """``path`` as TOML, one ``name = value`` per setting (unset ones omitted), replaced atomically."""
    lines = ["# bifwatch train: every setting of this run; `bifwatch train --config` repeats it", ""]
    lines += [f"{k} = {_toml_value(v)}" for k, v in settings.to_dict().items() if v is not None]
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def read_settings(path: str | os.PathLike, **overrides) -> TrainSettings:
    """Settings from a TOML file (every key a :class:`TrainSettings` field), then ``overrides``.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not TOML, an unknown key, or a value that does not fit its setting.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {os.fspath(path)!r} does not exist")
    try:
        values = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"config file {os.fspath(path)!r} is not valid TOML: {err}") from None
    known = {f.name for f in fields(TrainSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"config file {os.fspath(path)!r} has unknown settings {unknown}; "
                         f"known are {sorted(known)}")
    if "data" in overrides and overrides["data"] is not None:  # a system's config pointed at a file
        for name in ("system", "steps", "noise"):
            values.pop(name, None)
    if "system" in overrides and overrides["system"] is not None:
        for name in ("data", "test_data", "data_hash"):
            values.pop(name, None)
    if "system" not in values and "data" in {**values, **overrides}:
        values["system"] = None
    if "lr" in values and isinstance(values["lr"], list):
        values["lr"] = tuple(values["lr"])
    return TrainSettings(**{**values, **overrides})
