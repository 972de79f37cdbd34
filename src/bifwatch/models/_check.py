"""One interface test for every model class (the ``check_estimator`` of bifwatch)."""

from __future__ import annotations

import numpy as np

from ._base import AbstractPLRNN


def check_model(model: AbstractPLRNN, *, n_points: int = 256, seed: int = 0) -> None:
    """Check that ``model`` keeps the promises of :class:`AbstractPLRNN`.

    Draws ``n_points`` random states and checks: shapes and dtypes of ``margins``, ``region``,
    ``step`` and ``affine_map`` (single and batched); ``region == margins > 0``;
    ``step(z) == J(d) z + c(d)`` in z's own region d; and that ``parameters()`` rebuilds an
    identical map.

    Raises
    ------
    AssertionError
        Naming the first promise that is broken.

    Examples
    --------
    >>> from bifwatch import PLRNN, check_model
    >>> check_model(PLRNN(A=[0.5, 0.1], W=[[0.0, 1.0], [-1.0, 0.0]], h=[0.1, 0.2]))
    """
    rng = np.random.default_rng(seed)
    M, n = model.M, model.n_bits
    z = rng.normal(scale=3.0, size=(n_points, M))
    margins, codes, nxt = model.margins(z), model.region(z), model.step(z)
    _expect(margins.shape == (n_points, n), f"margins(z) has shape {margins.shape}")
    _expect(codes.dtype == bool and codes.shape == (n_points, n), "region(z) must be bool (B, n_bits)")
    _expect(np.array_equal(codes, margins > 0), "region(z) must equal margins(z) > 0")
    N, o = model.switching_planes()
    _expect(N.shape == (n, M) and o.shape == (n,), "switching_planes() must give (n_bits, M), (n_bits,)")
    _expect(np.allclose(z @ N.T + o, margins, rtol=1e-12, atol=1e-12), "margins(z) != N z + o")
    _expect(nxt.shape == (n_points, M) and nxt.dtype == np.float64, f"step(z) has shape {nxt.shape}")
    J, c = model.affine_map(codes)
    _expect(J.shape == (n_points, M, M) and c.shape == (n_points, M), "affine_map shapes")
    affine = np.einsum("bij,bj->bi", J, z) + c
    scale = 1.0 + np.abs(nxt).max()
    _expect(np.allclose(affine, nxt, rtol=0, atol=1e-12 * scale), "step(z) != J(d) z + c(d) in d = region(z)")
    J1, c1 = model.affine_map(codes[0])
    _expect(np.allclose(J1, J[0]) and np.allclose(c1, c[0]), "affine_map of one code != batched")
    Jb, cb = model.affine_map(codes[:6].reshape(2, 3, n))
    _expect(Jb.shape == (2, 3, M, M) and cb.shape == (2, 3, M), "affine_map must broadcast (..., n_bits)")
    rebuilt = type(model)(**model.parameters())
    _expect(np.array_equal(rebuilt.step(z), nxt), "type(model)(**model.parameters()) is a different map")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(f"check_model: {message}")
