"""Region pools: the exact pool equals the set of cells, checked by linear programming and by
dense sampling (every sampled code is in the pool; every pool code is a real cell)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

import bifwatch as bw


def _cell_exists(N: np.ndarray, o: np.ndarray, code: np.ndarray) -> bool:
    """LP oracle: is there z with sign(N z + o) = code strictly (with a margin)?"""
    s = np.where(code, 1.0, -1.0)
    M = N.shape[1]
    lhs = np.hstack([-(s[:, None] * N), np.ones((len(s), 1))])
    res = linprog(np.r_[np.zeros(M), -1.0], A_ub=lhs, b_ub=s * o,
                  bounds=[(None, None)] * M + [(None, 1.0)], method="highs")
    return res.status == 0 and -res.fun > 1e-9


def _shallow(kind, M, L, seed):
    rng = np.random.default_rng(seed)
    cls = bw.ShPLRNN if kind == "sh" else bw.ClippedShPLRNN
    return cls(A=rng.uniform(-0.9, 0.9, M), W1=rng.normal(size=(M, L)), W2=rng.normal(size=(L, M)),
               h1=rng.normal(size=M), h2=rng.normal(size=L))


@pytest.mark.parametrize("kind,M,L,seed", [
    ("sh", 2, 6, 0), ("sh", 3, 5, 1), ("sh", 1, 4, 2), ("sh", 4, 3, 3),
    ("clip", 2, 4, 4), ("clip", 3, 3, 5),
], ids=lambda v: str(v))
def test_vertex_pool_is_exactly_the_cells(kind, M, L, seed):
    model = _shallow(kind, M, L, seed)
    pool = bw.region_pool(model)
    assert pool.exact and pool.method == "vertices"
    N, o = model.switching_planes()
    # every pool code is a non-empty cell (nothing extra) ...
    assert all(_cell_exists(N, o, code) for code in pool.codes)
    # ... and every code met by dense sampling is in the pool (nothing missed)
    rng = np.random.default_rng(seed)
    z = np.concatenate([rng.normal(scale=s, size=(20_000, M)) for s in (0.3, 3.0, 30.0, 300.0)])
    sampled = {tuple(c) for c in model.region(z)}
    assert sampled <= {tuple(c) for c in pool.codes}


def test_cell_count_of_a_generic_arrangement_matches_the_formula():
    """L lines in general position in the plane make 1 + L + C(L, 2) cells."""
    model = _shallow("sh", 2, 7, 11)
    assert bw.region_pool(model).size == 1 + 7 + 21


def test_rank_deficient_arrangement_is_projected():
    """W2 of rank 1 in R^3: the cells are those of points on a line, L + 1 of them."""
    W2 = np.outer([1.0, -2.0, 0.5, 3.0], [1.0, 1.0, 0.0])
    model = bw.ShPLRNN(A=[0.1, 0.1, 0.1], W1=np.ones((3, 4)), W2=W2, h1=np.zeros(3),
                       h2=[1.0, 0.3, -0.2, 2.0])
    pool = bw.region_pool(model)
    assert pool.size == 5


def test_zero_rows_give_constant_bits():
    W2 = np.array([[1.0, 0.0], [0.0, 0.0]])
    model = bw.ShPLRNN(A=[0.1, 0.1], W1=np.ones((2, 2)), W2=W2, h1=np.zeros(2), h2=[0.0, 1.0])
    codes = {tuple(c) for c in bw.region_pool(model).codes}
    assert codes == {(True, True), (False, True)}


def test_orthant_models_use_all_codes():
    m = bw.PLRNN(A=[0.1] * 3, W=np.eye(3), h=np.zeros(3))
    pool = bw.region_pool(m)
    assert (pool.method, pool.size, pool.exact) == ("all", 8, True)
    assert pool.decode(np.array([5])).tolist() == [[True, False, True]]  # LSB = unit 1


def test_draws_are_seeded():
    m = _shallow("sh", 2, 6, 0)
    pool = bw.region_pool(m)
    a = pool.draw(np.random.default_rng(3), (10, 4))
    b = pool.draw(np.random.default_rng(3), (10, 4))
    assert a.shape == (10, 4, 6) and np.array_equal(a, b)
