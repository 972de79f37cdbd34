"""Initialisations of the lab's code (training-and-dsr.md, section 1.8), drawn from one generator."""

from __future__ import annotations

import math

import torch


def talathi_vartak(M: int, generator: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """K = (R^T R / M + I) / max|eig|, R ~ N(0, 1)^{M x M}: symmetric, eigenvalues in (0, 1].

    A = diag(K) (entries in (0, 1]); the vanilla PLRNN also takes W = K - diag(K).
    """
    R = torch.randn(M, M, generator=generator, dtype=torch.float64)
    K = R.T @ R / M + torch.eye(M, dtype=torch.float64)
    K = K / torch.linalg.eigvalsh(K).abs().max()
    return K.to(dtype)


def uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator, dtype: torch.dtype
            ) -> torch.Tensor:
    """U(-bound, bound) entries."""
    return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1).mul(bound).to(dtype)


def glorot_uniform(shape: tuple[int, int], generator: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """U(+-sqrt(6 / (fan_in + fan_out))), as Flux's and torch's Xavier-uniform."""
    bound = math.sqrt(6.0 / (shape[0] + shape[1])) if shape[0] and shape[1] else 0.0
    return uniform(shape, bound, generator, dtype)


def kaiming_normal(shape: tuple[int, int], generator: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """N(0, 2 / fan_in) entries, fan_in = shape[1] (torch's default mode for a (out, in) weight)."""
    std = math.sqrt(2.0 / shape[1])
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * std).to(dtype)


def normal(shape: tuple[int, ...], std: float, generator: torch.Generator, dtype: torch.dtype
           ) -> torch.Tensor:
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * std).to(dtype)
