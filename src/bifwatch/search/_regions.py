"""Region pools: which region codes exist, exactly (vertex enumeration) or by sampling.

Every model's switching surfaces are hyperplanes, margins = N z + o, so its regions are the
cells of a hyperplane arrangement. For an orthant model (PLRNN, ALRNN) all 2^n codes exist.
Otherwise every cell of an essential arrangement has a vertex in its closure, and the cells
around a vertex are the sign flips of the hyperplanes through it: enumerating vertices gives
every region (a superset where hyperplanes are degenerate, which is harmless: a code with no
cell can never hold a self-consistent cycle point).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..models import ALRNN, PLRNN, AbstractPLRNN

#: Largest number of codes the vertex enumeration may generate, C(H, r) 2^r.
MAX_VERTEX_CODES = 2**20


@dataclass(frozen=True, eq=False)
class RegionPool:
    """The region codes a search starts from.

    Attributes
    ----------
    n_bits : int
    codes : bool array, shape (N, n_bits), or None
        Explicit codes; None means all 2^n_bits codes.
    exact : bool
        Every non-empty region's code is in the pool (so an exhaustive search over it is
        complete).
    method : str
        ``"all"``, ``"vertices"`` or ``"sampled"``.
    """

    n_bits: int
    codes: np.ndarray | None
    exact: bool
    method: str

    @property
    def size(self) -> int:
        """Number of codes N."""
        return 2**self.n_bits if self.codes is None else len(self.codes)

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """Independent uniform draws from the pool: bool array of shape (*shape, n_bits)."""
        if self.codes is None:
            return rng.random((*shape, self.n_bits)) < 0.5
        return self.codes[rng.integers(0, len(self.codes), size=shape)]

    def neighbours(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each code (shape (B, n_bits)), a random adjacent region: one bit flipped.

        Crossing one switching hyperplane flips one bit, so with an explicit pool the flip is
        drawn among the pool's codes at Hamming distance 1 (real cells only); codes not in
        the pool, or without a neighbour there, get a uniformly random bit flipped.
        """
        out = codes.copy()
        rows = np.arange(len(codes))
        bits = rng.integers(0, self.n_bits, size=len(codes))
        adjacency = self._adjacency
        if adjacency is not None:
            index, neighbours = adjacency
            for row, code in enumerate(codes):
                i = index.get(code.tobytes())
                if i is not None and len(neighbours[i]):
                    bits[row] = neighbours[i][rng.integers(0, len(neighbours[i]))]
        out[rows, bits] ^= True
        return out

    @cached_property
    def _adjacency(self):
        """(code -> pool index, per index the bits whose flip stays in the pool), small pools only."""
        if self.codes is None or len(self.codes) > 4096:
            return None
        index = {code.tobytes(): i for i, code in enumerate(self.codes)}
        flips = []
        for code in self.codes:
            flipped = np.repeat(code[None], self.n_bits, axis=0) ^ np.eye(self.n_bits, dtype=bool)
            flips.append(np.array([b for b, f in enumerate(flipped) if f.tobytes() in index], dtype=int))
        return index, flips

    def decode(self, index: np.ndarray) -> np.ndarray:
        """Codes of pool indices (for the ``None`` pool, the bits of the index, LSB = unit 1)."""
        if self.codes is None:
            return ((index[..., None] >> np.arange(self.n_bits)) & 1).astype(bool)
        return self.codes[index]


def region_pool(model: AbstractPLRNN, *, n_samples: int = 100_000, seed: int = 0) -> RegionPool:
    """The region pool of ``model``: all codes, the exact vertex pool, or a sampled pool.

    Notes
    -----
    Orthant models (PLRNN, ALRNN) get all 2^n codes. Other models get the vertex enumeration
    when C(H, r) 2^r <= ``MAX_VERTEX_CODES`` (H non-trivial hyperplanes of rank r), else all
    codes when the hyperplanes are independent (every code exists), else codes sampled from
    ``n_samples`` points: uniform in a box around simulated orbits and the orbits themselves
    (not exact; only a heuristic search can use it).
    """
    n = model.n_bits
    if isinstance(model, (PLRNN, ALRNN)) or n == 0:
        return RegionPool(n, None, True, "all")
    N, o = model.switching_planes()
    codes = vertex_codes(N, o)
    if codes is not None:
        return RegionPool(n, codes, True, "vertices")
    if np.linalg.matrix_rank(N) == n:
        return RegionPool(n, None, True, "all")
    return RegionPool(n, _sampled_codes(model, n_samples, seed), False, "sampled")


def vertex_codes(N: np.ndarray, o: np.ndarray) -> np.ndarray | None:
    """All cell codes of the arrangement {z : N z + o = 0}; None when too many to enumerate."""
    live = np.linalg.norm(N, axis=1) > 0
    fixed = o > 0
    if not live.any():
        return fixed[None].copy()
    _, s, Vt = np.linalg.svd(N[live], full_matrices=False)
    r = int(np.sum(s > s[0] * 1e-12))
    reduced = N[live] @ Vt[:r].T  # coordinates in the row space: essential arrangement
    rows = np.flatnonzero(live)
    if math.comb(len(rows), r) * 2**r > MAX_VERTEX_CODES:
        return None
    subsets = np.array(list(itertools.combinations(range(len(rows)), r)))
    lhs, rhs = reduced[subsets], -o[rows][subsets]
    det = np.abs(np.linalg.det(lhs))
    scale = np.prod(np.linalg.norm(lhs, axis=2), axis=1)
    keep = det > 1e-10 * scale
    vertices = np.linalg.solve(lhs[keep], rhs[keep][..., None])[..., 0]
    margins = vertices @ reduced.T + o[rows]
    size = np.abs(vertices).max(axis=1, keepdims=True)
    tol = 1e-9 * (1.0 + np.abs(o[rows]) + np.linalg.norm(reduced, axis=1) * size)
    active = np.abs(margins) <= tol
    simple = active.sum(axis=1) == r
    codes = [_flips(m > 0, act) for m, act in zip(margins[simple], active[simple], strict=True)]
    # a degenerate vertex is found once per r-subset of its hyperplanes: treat each once
    _, first = np.unique(np.c_[active, margins > 0][~simple], axis=0, return_index=True)
    for m, act in zip(margins[~simple][first], active[~simple][first], strict=True):
        codes.append(_cone_flips(m > 0, act, reduced))
    live_codes = np.unique(np.concatenate(codes), axis=0)
    out = np.repeat(fixed[None], len(live_codes), axis=0)
    out[:, rows] = live_codes
    return out


def _flips(base: np.ndarray, active: np.ndarray) -> np.ndarray:
    """``base`` with every on/off assignment of the ``active`` bits."""
    idx = np.flatnonzero(active)
    bits = ((np.arange(2 ** len(idx))[:, None] >> np.arange(len(idx))) & 1).astype(bool)
    out = np.repeat(base[None], len(bits), axis=0)
    out[:, idx] = bits
    return out


def _cone_flips(base: np.ndarray, active: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """At a degenerate vertex (more than r hyperplanes through it), keep only the flips that
    name a real cell: those with a direction u such that sign(n_i . u) matches for all active i
    (a small linear programme per flip)."""
    from scipy.optimize import linprog

    candidates = _flips(base, active)
    idx = np.flatnonzero(active)
    r = normals.shape[1]
    keep = np.zeros(len(candidates), dtype=bool)
    for i, code in enumerate(candidates):
        signs = np.where(code[idx], 1.0, -1.0)
        # maximise t subject to  s_i n_i . u >= t,  |u| <= 1,  t <= 1
        lhs = np.hstack([-(signs[:, None] * normals[idx]), np.ones((len(idx), 1))])
        res = linprog(
            np.r_[np.zeros(r), -1.0], A_ub=lhs, b_ub=np.zeros(len(idx)),
            bounds=[(-1, 1)] * r + [(None, 1)], method="highs",
        )
        keep[i] = res.status == 0 and -res.fun > 1e-9
    return candidates[keep]


def _sampled_codes(model: AbstractPLRNN, n_samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    starts = rng.normal(size=(64, model.M))
    with np.errstate(over="ignore", invalid="ignore"):
        orbits = model.trajectory(starts, 200).reshape(-1, model.M)
    orbits = orbits[np.isfinite(orbits).all(axis=1)]
    radius = 2.0 * max(1.0, np.abs(orbits).max() if len(orbits) else 1.0)
    radius = min(radius, 1e6)
    box = rng.uniform(-radius, radius, size=(n_samples, model.M))
    codes = model.region(np.concatenate([orbits, box]))
    return np.unique(codes, axis=0)
