"""The data of a run (a built-in system or the user's file) and batches of random windows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...datasets import Dataset, load_series, load_system
from ._settings import TrainSettings


@dataclass(frozen=True, eq=False)
class RunData:
    """Train trials (each (T_i, N)) and the test series of a run."""

    trials: tuple[np.ndarray, ...]
    test: np.ndarray
    source: Dataset

    @property
    def N(self) -> int:
        return self.test.shape[1]


def load_run_data(settings: TrainSettings) -> RunData:
    """The series ``settings`` name: generated (cached) for a system, read for a file.

    Raises
    ------
    ValueError
        A trial shorter than one window (``seq_len + 1`` steps), and the data checks of
        :func:`bifwatch.datasets.load_series` (test data of another dimension, a constant
        dimension when z-scoring, NaN/Inf, wrong rank).
    """
    if settings.system is not None:
        data = load_system(settings.system, steps=settings.steps, noise=settings.noise,
                           seed=settings.data_seed)
        trials, test = (data.train,), data.test
    else:
        data = load_series(settings.data, test=settings.test_data, zscore=settings.zscore)
        trials, test = data.trials if data.trials is not None else (data.train,), data.test
    window = settings.seq_len + 1
    for i, trial in enumerate(trials):
        if trial.shape[0] < window:
            which = "the data" if len(trials) == 1 else f"trial {i} of the data"
            raise ValueError(f"{which} has {trial.shape[0]} time steps, fewer than one window of "
                             f"`seq_len` + 1 = {window}; lower --seq-len or give a longer series")
    return RunData(trials=tuple(trials), test=test, source=data)


def data_hash(settings: TrainSettings) -> str | None:
    """sha256 of the user's data file(s), so ``--resume`` notices data that changed; None for a system."""
    if settings.data is None:
        return None
    digest = hashlib.sha256()
    for path in (settings.data, settings.test_data):
        if path is not None:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


class Windows:
    """Random windows of ``length`` steps, start points uniform over every trial's valid starts.

    All randomness comes from ``generator`` (a CPU ``torch.Generator``), so a resumed run draws
    the same windows as an uninterrupted one.
    """

    def __init__(self, trials: tuple[np.ndarray, ...], length: int, *, dtype: torch.dtype, device) -> None:
        self.length = length
        series = [torch.as_tensor(t, dtype=dtype, device=device) for t in trials]
        self.data = torch.cat(series)
        counts = torch.tensor([len(t) - length + 1 for t in trials])
        offsets = torch.tensor([0, *np.cumsum([len(t) for t in trials])[:-1]])
        # the start of the j-th valid window in the concatenated data, trial after trial
        self.starts = torch.cat([o + torch.arange(c) for o, c in zip(offsets, counts, strict=True)])
        self.steps = torch.arange(length)

    def draw(self, batch: int, generator: torch.Generator, noise: float = 0.0) -> torch.Tensor:
        """A batch, shape (batch, length, N): windows plus N(0, noise^2) where ``noise`` > 0."""
        pick = torch.randint(len(self.starts), (batch,), generator=generator)
        index = (self.starts[pick][:, None] + self.steps).to(self.data.device)
        windows = self.data[index]
        if noise > 0:
            draws = torch.randn(windows.shape, generator=generator, dtype=torch.float64)
            windows = windows + noise * draws.to(dtype=windows.dtype, device=windows.device)
        return windows
