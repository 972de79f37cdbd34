"""Exact slow points of piecewise-linear models: one convex least-squares problem per region."""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import check_int, check_positive_float
from ..models import AbstractPLRNN
from ..search import RegionPool, region_pool
from ._exact_qp import (
    active_set_lsq,
    flat_minimisers,
    has_flat_direction,
    interior_point,
    kkt_residual,
)
from ._slow_points import SlowPoints

_ACCEPTED = "PLRNN, ALRNN, ShPLRNN, ClippedShPLRNN, ReLURNN"
#: At most this many flips of the switching bits through one point are checked (2^16).
_MAX_ACTIVE_BITS = 16


def exact_slow_points(
    model: AbstractPLRNN,
    *,
    q_fixed: float = 1e-20,
    tol: float = 1e-9,
    atol: float = 1e-8,
    pool: RegionPool | None = None,
    max_regions: int = 2**16,
) -> SlowPoints:
    """Every fixed point and slow point (local minimum of the speed q) of a piecewise-linear map.

    Parameters
    ----------
    model : AbstractPLRNN
        A bifwatch model (PLRNN, ALRNN, ShPLRNN, ClippedShPLRNN, ReLURNN).
    q_fixed : float, default 1e-20
        Points with q <= q_fixed are fixed points (``kind == "fixed"``); the others are slow
        points. The exact solutions have q ~ 1e-30 at fixed points.
    tol : float, default 1e-9
        A point is on switching plane i when its distance to it is <= tol * (1 + |z|); the same
        relative tolerance decides the KKT (local-minimum) conditions.
    atol : float, default 1e-8
        Points closer than atol * (1 + |z|) are the same point (found from adjacent regions).
    pool : RegionPool, optional
        The regions to search; by default ``region_pool(model)`` (every region, exactly).
    max_regions : int, default 65536
        Refuse pools larger than this (each region costs about 2 ms).

    Returns
    -------
    SlowPoints
        ``time="discrete"``, sorted by q, with ``regions`` (see Notes) and a ``message`` that
        says how many regions were solved and lists points that are not isolated.

    Raises
    ------
    TypeError
        ``model`` is not a piecewise-linear bifwatch model (a smooth model needs the PyTorch
        slow-point finder :func:`bifwatch.find_slow_points`); ``pool`` is not a RegionPool.
    ValueError
        Non-positive tolerances; a pool of the wrong code length or larger than ``max_regions``.

    Notes
    -----
    The speed q(z) = 1/2 |F(z) - z|^2 is continuous and, in region d (where F(z) = J z + c),
    the convex quadratic q_d(z) = 1/2 |(J - I) z + c|^2. On the closed region
    P_d = {z : N_i z + o_i >= 0 for bits on, <= 0 for bits off} each q_d is minimised exactly
    (active-set least squares, polished on the final face). A local minimum of q is a minimiser
    of every q_d whose region touches it, so every local minimum is found; a candidate is kept
    only if the KKT conditions, B^T (B z + c) in the cone of the tight constraint normals
    (B = J - I), hold in every region obtained by flipping the bits of the planes through it.
    Fixed points (q = 0) always pass. Generic slow points lie on switching planes (a kink of
    F): inside a region they need an eigenvalue of J equal to 1.

    Where J - I is singular, q_d can be minimal on a whole segment, line or plane S (a line
    attractor, or q constant along a direction). Then each region reports one point of S: the
    one of least norm |z| if it is a local minimum of q, else (q drops behind the boundary that
    point sits on) the least-norm point of S well inside the region, when there is one. The
    message lists these points as not isolated.

    The reported region of a point on a switching plane follows ``model.region``: the bits
    whose plane passes through it are off. Its Jacobian J (and the eigenvalues) is that
    region's, i.e. one one-sided Jacobian of F at a kink.

    Performance notes: one small least-squares problem per region of the pool, 2^n_bits for an
    orthant model (PLRNN: 2^M), about sum_{i<=M} C(L, i) for a shallow PLRNN, plus up to
    2^(planes through it) KKT checks per candidate. Measured: about 2 ms per region.

    References
    ----------
    D. Sussillo, O. Barak, "Opening the black box: low-dimensional dynamics in high-dimensional
    recurrent neural networks", Neural Computation 25(3), 2013 (slow points as minima of q).

    Examples
    --------
    >>> from bifwatch import PLRNN, exact_slow_points
    >>> ghost = PLRNN(A=[0.5], W=[[1.0]], h=[0.1])   # F(z) - z = 0.1 + 0.5 |z| > 0: no fixed point
    >>> sp = exact_slow_points(ghost)
    >>> sp.kind.tolist(), sp.points.ravel().tolist(), round(float(sp.q[0]), 6)
    (['slow'], [0.0], 0.005)
    """
    pool, q_fixed, tol, atol = _check_inputs(model, q_fixed, tol, atol, pool, max_regions)
    planes = _Planes.of(model)
    found = [_region_minimisers(model, planes, code) for code in _codes(pool)]
    unsolved = sum(f is None for f in found)
    found = [f for f in found if f]
    points, flat, too_many = _local_minima(model, planes, found, tol, atol)
    message = _message(pool, len(found), points, flat, unsolved, too_many)
    return _result(model, planes, np.array(points).reshape(-1, model.M), q_fixed, tol, message)


def _check_inputs(model, q_fixed, tol, atol, pool, max_regions):
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(
            f"`model` must be a piecewise-linear bifwatch model ({_ACCEPTED}); got {type(model).__name__}. "
            "For a smooth model (e.g. a torch tanh RNN or a GRU) use the PyTorch slow-point finder "
            "bifwatch.find_slow_points; a torch ReLU nn.RNN converts with bifwatch.from_torch_rnn."
        )
    q_fixed, tol, atol = (check_positive_float(n, v) for n, v in (("q_fixed", q_fixed), ("tol", tol),
                                                                  ("atol", atol)))
    max_regions = check_int("max_regions", max_regions, minimum=1)
    if pool is None:
        pool = region_pool(model)
    elif not isinstance(pool, RegionPool):
        raise TypeError(f"`pool` must be a RegionPool (see bifwatch.region_pool); got {type(pool).__name__}")
    if pool.n_bits != model.n_bits:
        raise ValueError(f"`pool` must have codes of length n_bits = {model.n_bits}; got {pool.n_bits}")
    if pool.size > max_regions:
        raise ValueError(
            f"the model has {pool.size} regions to search, more than `max_regions` = {max_regions}; "
            "raise `max_regions` (CLI: --max-regions; about 2 ms per region) "
            "or use the PyTorch slow-point finder bifwatch.find_slow_points"
        )
    return pool, q_fixed, tol, atol


class _Planes:
    """Switching planes with unit normals: margin_i(z) = |N_i| (n_i . z + b_i)."""

    def __init__(self, n: np.ndarray, b: np.ndarray, live: np.ndarray) -> None:
        self.n, self.b, self.live = n, b, live

    @classmethod
    def of(cls, model: AbstractPLRNN) -> _Planes:
        N, o = model.switching_planes()
        norms = np.linalg.norm(N, axis=1)
        live = norms > 0
        scale = np.where(live, norms, 1.0)
        return cls(N / scale[:, None], o / scale, live)

    def distances(self, z: np.ndarray) -> np.ndarray:
        """Signed distances of z to the planes (constant bits: their offset)."""
        return self.n @ z + self.b

    def constraints(self, code: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """(G, h, feasible): region ``code`` closed is {G z >= h}; constant bits must agree."""
        s = np.where(code, 1.0, -1.0)
        feasible = bool(np.all(s[~self.live] * self.b[~self.live] >= 0))
        return (s * self.n.T).T[self.live], -(s * self.b)[self.live], feasible


def _codes(pool: RegionPool):
    """The pool's codes, in blocks (a full pool is never materialised at once)."""
    block = 4096
    for start in range(0, pool.size, block):
        yield from pool.decode(np.arange(start, min(start + block, pool.size)))


def _region_minimisers(model, planes: _Planes, code: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The minimiser of q over closed region ``code``; for a flat set of minimisers, its point of
    least norm and possibly one away from the boundaries. Empty for an empty region, None if the
    active-set method did not converge."""
    G, h, feasible = planes.constraints(code)
    z0 = interior_point(G, h) if feasible else None
    if z0 is None:
        return ()
    J, c = model.affine_map(code)
    B = J - np.eye(model.M)
    budget = 50 + 10 * (model.M + len(h))
    z, _, converged = active_set_lsq(B, c, G, h, z0, max_iter=budget)
    if not converged:
        return None
    return flat_minimisers(B, c, G, h, z, max_iter=budget)


def _groups(points: list[np.ndarray], atol: float) -> list[list[int]]:
    """Indices of points grouped as the same point: within atol * (1 + |z|) of the group's first
    (in order; candidate pairs from a k-d tree, so this stays fast for many regions)."""
    from scipy.spatial import cKDTree

    if not points:
        return []
    X = np.array(points)
    norms = np.linalg.norm(X, axis=1)
    near: dict[int, list[int]] = {}
    for i, j in cKDTree(X).query_pairs(atol * (1.0 + norms.max()), output_type="ndarray"):
        a, b = min(i, j), max(i, j)
        if np.linalg.norm(X[a] - X[b]) <= atol * (1.0 + norms[b]):
            near.setdefault(int(b), []).append(int(a))
    group_of: dict[int, int] = {}
    groups: list[list[int]] = []
    for i in range(len(X)):
        firsts = [j for j in near.get(i, []) if j in group_of and groups[group_of[j]][0] == j]
        if firsts:
            j = min(firsts, key=lambda j: np.linalg.norm(X[j] - X[i]))
            groups[group_of[j]].append(i)
        else:
            group_of[i] = len(groups)
            groups.append([i])
    return groups


def _local_minima(model, planes: _Planes, found: list[tuple], tol: float, atol: float):
    """The distinct region minimisers that are local minima of q: (points, flat flags, number of
    points too degenerate to check). Of a group of regions sharing a first point, that point is
    tried, else (flat minima) their points away from the boundaries."""
    points, flat, too_many = [], [], 0
    for group in _groups([f[0] for f in found], atol):
        for z in [found[group[0]][0]] + [z for i in group for z in found[i][1:]]:
            verdict = _local_minimum(model, planes, z, tol)
            too_many += verdict is None
            if verdict:
                points.append(z)
                flat.append(verdict == "flat")
                break
    keep = [group[0] for group in _groups(points, atol)]  # a backup may repeat another point
    return [points[i] for i in keep], [flat[i] for i in keep], too_many


def _local_minimum(model, planes: _Planes, z: np.ndarray, tol: float):
    """True / "flat" (a non-isolated minimum) if z minimises q in every region around it, else
    False; None when too many planes pass through z to check."""
    dist = planes.distances(z)
    active = planes.live & (np.abs(dist) <= tol * (1.0 + np.linalg.norm(z)))
    idx = np.flatnonzero(active)
    if len(idx) > _MAX_ACTIVE_BITS:
        return None
    base = dist > 0
    flat = False
    for bits in itertools.product((False, True), repeat=len(idx)):
        code = base.copy()
        code[idx] = bits
        J, c = model.affine_map(code)
        B = J - np.eye(model.M)
        Ga = np.where(code[idx], 1.0, -1.0)[:, None] * planes.n[idx]
        if kkt_residual(B, c, Ga, z) > tol * _kkt_scale(B, c, z):
            return False
        flat = flat or has_flat_direction(B, Ga)
    return "flat" if flat else True


def _kkt_scale(B: np.ndarray, c: np.ndarray, z: np.ndarray) -> float:
    """Size of the gradient's rounding and boundary-tolerance errors:
    (1 + |B|) (|r| + (1 + |B|)(1 + |z|) + |c|) with r = B z + c."""
    nB = np.linalg.norm(B, 2)
    r, zc = np.linalg.norm(B @ z + c), (1.0 + nB) * (1.0 + np.linalg.norm(z)) + np.linalg.norm(c)
    return (1.0 + nB) * (r + zc)


def _result(model, planes: _Planes, points: np.ndarray, q_fixed: float, tol: float,
            message: str) -> SlowPoints:
    """Attach q (from model.step), regions (boundary bits off) and Jacobians."""
    scale = tol * (1.0 + np.linalg.norm(points, axis=1, keepdims=True))
    regions = (points @ planes.n.T + planes.b) > scale
    jacobians, _ = model.affine_map(regions)
    q = 0.5 * np.sum((model.step(points) - points) ** 2, axis=1)
    return SlowPoints.build(points, q=q, jacobians=jacobians, time="discrete", q_fixed=q_fixed,
                            regions=regions, message=message)


def _message(pool, n_candidates, points, flat, unsolved, too_many) -> str:
    parts = [f"exact search: {pool.size} regions ({pool.method}), {n_candidates} region minima, "
             f"{len(points)} local minima of q"]
    if not pool.exact:
        parts.append("the region pool is sampled, not exact: points may be missing")
    if unsolved:
        parts.append(f"{unsolved} regions did not converge (degenerate active set) and were skipped")
    if too_many:
        parts.append(f"{too_many} candidates lie on more than {_MAX_ACTIVE_BITS} planes and were not checked")
    flats = [z for z, f in zip(points, flat, strict=True) if f]
    if flats:
        shown = "; ".join(np.array2string(z, precision=4, threshold=8) for z in flats[:5])
        more = f" (and {len(flats) - 5} more)" if len(flats) > 5 else ""
        parts.append(
            f"{len(flats)} not isolated (q is constant along a line or plane through them; one point "
            f"per region is reported): {shown}{more}"
        )
    return "; ".join(parts)
