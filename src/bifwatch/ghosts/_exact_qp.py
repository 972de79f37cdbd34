"""Least squares over a polyhedron, exactly: min 1/2 |B z + c|^2 subject to G z >= h.

The building block of the exact slow-point search: inside one closed linear region of a
piecewise-linear map the speed q is such a convex problem (B = J - I). The solver is a primal
active-set method written on SVD least squares, so each iterate is the exact minimiser on a face
and the result satisfies its KKT conditions to rounding. Rows of G are expected to have unit
norm (then slacks are Euclidean distances to the planes).

Singular B (an eigenvalue of J equal to 1) is handled: steps are minimum-norm least-squares
solutions, and :func:`flat_minimisers` picks representatives out of a flat set of minimisers.
"""

from __future__ import annotations

import numpy as np

#: Singular values below RANK_RTOL * max(1, sigma_max) count as zero (J is O(1), so the floor
#: makes J - I with all singular values ~1e-14 singular, as it should be).
RANK_RTOL = 1e-12


def lstsq(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minimum-norm least-squares solution of A x = b with the RANK_RTOL rank cut-off."""
    if A.size == 0:
        return np.zeros(A.shape[1])
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > RANK_RTOL * max(1.0, s[0])
    return Vt[keep].T @ ((U[:, keep].T @ b) / s[keep])


def null_basis(A: np.ndarray, M: int) -> np.ndarray:
    """Orthonormal basis (M, k) of the null space of A (shape (m, M); m may be 0)."""
    if A.shape[0] == 0:
        return np.eye(M)
    _, s, Vt = np.linalg.svd(A, full_matrices=True)
    rank = int(np.sum(s > RANK_RTOL * max(1.0, s[0])))
    return Vt[rank:].T


def interior_point(G: np.ndarray, h: np.ndarray) -> np.ndarray | None:
    """A point of {z : G z >= h} at distance > 0 from every plane, or None (no interior).

    First try the least-squares solution of G z = h + 1 (exact, every slack 1, when G has full
    row rank; often still interior otherwise, e.g. between two parallel planes). Failing that,
    the Chebyshev-like linear programme max t s.t. G z >= h + t, t <= 1 (HiGHS) gives one.
    """
    M = G.shape[1]
    if G.shape[0] == 0:
        return np.zeros(M)
    z = lstsq(G, h + 1.0)
    if np.min(G @ z - h) > 1e-9:
        return z
    from scipy.optimize import linprog

    lhs = np.hstack([-G, np.ones((G.shape[0], 1))])
    res = linprog(np.r_[np.zeros(M), -1.0], A_ub=lhs, b_ub=-h, bounds=[(None, None)] * M + [(None, 1.0)],
                  method="highs")
    if res.status != 0 or -res.fun <= 1e-10:
        return None
    return res.x[:M]


def active_set_lsq(B, c, G, h, z0, *, max_iter: int) -> tuple[np.ndarray, list[int], bool]:
    """min 1/2 |B z + c|^2 s.t. G z >= h from the feasible ``z0``: (z, working set, converged).

    Each pass steps to the minimiser on the current working face (minimum-norm step, so a
    singular B never sends it to infinity), stops at the first blocking plane, and at a face
    minimiser drops the constraint with the most negative multiplier. The working rows stay
    linearly independent (a plane dependent on them cannot block), so multipliers are unique.
    """
    z, work = np.array(z0, dtype=np.float64), []
    free = np.ones(len(h), dtype=bool)  # not in the working set
    for _ in range(max_iter):
        r = B @ z + c
        Z = null_basis(G[work], z.size)
        p = Z @ lstsq(B @ Z, -r)
        Gp = G @ p
        blocking = free & (Gp < -1e-12 * np.linalg.norm(p))
        alpha, hit = 1.0, -1
        if blocking.any():
            ratios = np.maximum(G[blocking] @ z - h[blocking], 0.0) / -Gp[blocking]
            j = int(np.argmin(ratios))
            if ratios[j] < 1.0:
                alpha, hit = float(ratios[j]), int(np.flatnonzero(blocking)[j])
        z = z + alpha * p
        if hit >= 0:
            work.append(hit)
            free[hit] = False
            continue
        lam = multipliers(B, c, G[work], z)
        if not work or lam.min() >= -1e-11 * (1.0 + np.linalg.norm(B)) * np.linalg.norm(B @ z + c):
            return polish(B, c, G, h, z, work), work, True
        free[work.pop(int(np.argmin(lam)))] = True
    return z, work, False


def multipliers(B: np.ndarray, c: np.ndarray, Gw: np.ndarray, z: np.ndarray) -> np.ndarray:
    """KKT multipliers lambda of the working rows: B^T (B z + c) = Gw^T lambda."""
    return lstsq(Gw.T, B.T @ (B @ z + c)) if len(Gw) else np.zeros(0)


def polish(B, c, G, h, z, work: list[int]) -> np.ndarray:
    """Re-solve the face problem exactly: put z on the working planes (minimum-norm correction),
    then minimise over the face (minimum-norm step). Returns z unchanged if that leaves the region."""
    Gw = G[work]
    new = z - lstsq(Gw, Gw @ z - h[work]) if work else z.copy()
    Z = null_basis(Gw, z.size)
    new = new + Z @ lstsq(B @ Z, -(B @ new + c))
    slack = G @ new - h
    ok = slack.size == 0 or slack.min() >= -1e-12 * (1.0 + np.linalg.norm(new))
    return new if ok else z


def flat_minimisers(B, c, G, h, z, *, max_iter: int) -> tuple[np.ndarray, ...]:
    """Representatives of the minimisers of 1/2 |B z + c|^2 over {G z >= h} (z is one of them).

    All minimisers share the residual B z + c, so they form the polyhedron S = {z + V y feasible}
    with V a basis of null(B). Returns (z,) when null(B) = 0; else the point of S of least norm,
    followed, when S reaches into the open region, by the least-norm point of S at distance
    >= t/2 from every plane S can leave (t: the largest such distance, capped at 1). That second
    point has a whole neighbourhood in the region, so it is a local minimum of q even when the
    first one sits on a boundary behind which q drops.
    """
    V = null_basis(B, z.size)
    if V.shape[1] == 0:
        return (z,)
    GV, slack = G @ V, G @ z - h
    norms = np.linalg.norm(GV, axis=1)
    live = norms > RANK_RTOL  # planes S can leave; the others keep their slack on all of S
    Gy = GV[live] / norms[live, None]
    hy = -slack[live] / norms[live]
    first = _least_norm(V, z, Gy, np.minimum(hy, 0.0), np.zeros(V.shape[1]), max_iter)
    if np.any(slack[~live] <= 1e-9 * (1.0 + np.linalg.norm(z))):
        return (first,)  # S lies in a switching plane: it never reaches into the open region
    y_inner, t = _deepest(Gy, hy, V.shape[1])
    if y_inner is None or t <= 1e-9:
        return (first,)
    return first, _least_norm(V, z, Gy, hy + t / 2, y_inner, max_iter)


def _least_norm(V, z, Gy, hy, y0, max_iter: int) -> np.ndarray:
    """argmin |z + V y| over {Gy y >= hy}, from the feasible y0 (z itself if that fails)."""
    y, _, converged = active_set_lsq(V, z, Gy, hy, y0, max_iter=max_iter)
    return z + V @ y if converged else z


def _deepest(Gy: np.ndarray, hy: np.ndarray, k: int) -> tuple[np.ndarray | None, float]:
    """max t <= 1 s.t. Gy y >= hy + t (a linear programme): (y, t), or (None, 0) if infeasible."""
    if len(Gy) == 0:
        return np.zeros(k), 1.0
    from scipy.optimize import linprog

    lhs = np.hstack([-Gy, np.ones((len(Gy), 1))])
    res = linprog(np.r_[np.zeros(k), -1.0], A_ub=lhs, b_ub=-hy, bounds=[(None, None)] * k + [(None, 1.0)],
                  method="highs")
    return (res.x[:k], float(-res.fun)) if res.status == 0 else (None, 0.0)


def kkt_residual(B: np.ndarray, c: np.ndarray, Ga: np.ndarray, z: np.ndarray) -> float:
    """Distance of the gradient B^T (B z + c) from the cone spanned by the tight rows Ga:
    zero exactly when z minimises 1/2 |B z + c|^2 over {Ga z >= Ga z} near z (KKT)."""
    g = B.T @ (B @ z + c)
    if len(Ga) == 0:
        return float(np.linalg.norm(g))
    from scipy.optimize import nnls

    return float(nnls(Ga.T, g)[1])


def has_flat_direction(B: np.ndarray, Ga: np.ndarray) -> bool:
    """Whether some u != 0 with B u = 0 and Ga u >= 0 exists (q constant along a feasible ray).

    With V a basis of null(B) and K = Ga V: yes if K has a null space, or if the linear
    programme max sum(K y) s.t. K y >= 0, |y|_inf <= 1 has a positive optimum.
    """
    V = null_basis(B, B.shape[1])
    if V.shape[1] == 0:
        return False
    K = Ga @ V
    if len(K) == 0 or null_basis(K, V.shape[1]).shape[1] > 0:
        return True
    from scipy.optimize import linprog

    res = linprog(-K.sum(axis=0), A_ub=-K, b_ub=np.zeros(len(K)), bounds=[(-1.0, 1.0)] * V.shape[1],
                  method="highs")
    return res.status == 0 and -res.fun > 1e-9
