"""Shared test setup: float64, seeded generators, deterministic torch, headless matplotlib."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test draws the same numbers on every run."""
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _deterministic_torch():
    """float64 and deterministic algorithms in torch, where torch is installed."""
    try:
        import torch
    except ImportError:
        yield
        return
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.use_deterministic_algorithms(True)
    yield
    torch.set_default_dtype(dtype)
