"""The continuation of ``bifurcation_diagram`` against a dense brute-force grid, in both directions.

Where the truth comes from (STYLE.md, point 9):

- (c) an independent oracle: ``find_cycles(path.model_at(v), K, finder=Exhaustive())`` at every grid
  value v. It solves every region sequence of the true model at v (complete for these small
  models, which each test re-checks through ``OrderStats.complete``) and shares nothing with the
  continuation but the model. At every grid point the diagram must hold exactly the oracle's
  cycles: the same points up to rotation, the same stability, nothing missed, nothing extra.
- Conservation along the path: a cycle cannot appear, vanish or change stability between two grid
  points without an event there. The change of the oracle's multiset of (order, stable) between
  consecutive grid points must equal the net change the diagram's events in that interval claim
  (births add, deaths remove, stability changes swap), which gives both directions at once: no
  change without an event, no born/dies/stability event without the change.
- (b) invariants of each event on the true model at ``event.value``: a border collision has a cycle
  point on a switching plane (a margin 0) and is a cycle of the true map there; a degenerate
  transcritical / flip / Neimark-Sacker event has a monodromy multiplier at +1 / -1 / a complex
  pair on the unit circle (computed from the model's own ``affine_map``, not from the
  continuation's interpolated pieces). Just before and just after the event the exhaustive search
  finds the cycle exactly on the sides the event's ``outcome`` says, with the stability its
  ``stability_before`` / ``stability_after`` labels say.
- (d) a closed form: the skew tent map's 2-cycle ends in a border collision at w = -1 - a.

The draws are seeded random models of every class; each sweeps one entry over an interval of
width 3 around its drawn value, or runs along the line between two random models. The diagrams
use the default ``seeds``. A cycle that lives only between two seed searches, away from every
event of a followed branch, is the documented blind spot of seeding: three draws that show it are
tested for missing nothing else, and again with a search at every grid point; that the default
seeds find every cycle there is the correct behaviour, expected to fail (xfail, strict) until the
blind spot is fixed.

One library bug was found and fixed (``POLE_DRAWS``); the draws and the closed-form case that
showed it stay as regression cases.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from bifwatch import (
    ALRNN,
    EVENT_TYPES,
    PLRNN,
    Exhaustive,
    ModelPath,
    ParameterPath,
    ShPLRNN,
    bifurcation_diagram,
    find_cycles,
)

#: Two points are the same when they differ by at most this times 1 + |z| (times the cycle's
#: condition number over 1e8 where that is larger: both sides solve (I - P) z = q in rounding).
POINT_TOL = 1e-7
#: A margin of a cycle point is zero at a border collision to this, relative to the plane's scale.
MARGIN_TOL = 1e-9
#: A multiplier is on the unit circle (at +1, -1, or |m| = 1) to this, relative to 1 + |P|.
MULTIPLIER_TOL = 1e-7
#: Events are tested at value -+ SIDE * (hi - lo) for the sides the cycle exists on.
SIDE = 1e-6


# --------------------------------------------------------------------------------------------
# The draws
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """A seeded random path: ``kind`` picks the model class (and which entry is swept)."""

    kind: str
    seed: int
    K: int = 4
    resolution: int = 150
    seeds: int | None = None  # None: bifurcation_diagram's default

    @property
    def id(self) -> str:
        more = "" if self.seeds is None else f"-seeds{self.seeds}"
        return f"{self.kind}-s{self.seed}-K{self.K}-R{self.resolution}{more}"


KINDS = ("plrnn2", "plrnn3", "shplrnn", "alrnn", "modelpath")


def _random_plrnn(rng: np.random.Generator, M: int, full: bool) -> PLRNN:
    A = rng.uniform(-0.9, 0.9, (M, M) if full else M)
    return PLRNN(A=A, W=rng.normal(0.0, 1.2, (M, M)), h=rng.normal(size=M))


def build(draw: Draw) -> ParameterPath | ModelPath:
    """The path of ``draw``, from ``np.random.default_rng([draw.seed, KINDS.index(draw.kind)])``."""
    rng = np.random.default_rng([draw.seed, KINDS.index(draw.kind)])
    if draw.kind == "modelpath":
        return ModelPath(_random_plrnn(rng, 2, True), _random_plrnn(rng, 2, True))
    if draw.kind == "plrnn2":
        model = _random_plrnn(rng, 2, True)
        array = ("W", "A", "h")[rng.integers(3)]
    elif draw.kind == "plrnn3":
        model, array = _random_plrnn(rng, 3, False), "W"
    elif draw.kind == "shplrnn":
        L = int(rng.integers(3, 5))
        model = ShPLRNN(
            A=rng.uniform(-0.9, 0.9, 2), W1=rng.normal(0.0, 1.2, (2, L)), W2=rng.normal(size=(L, 2)),
            h1=rng.normal(size=2), h2=rng.normal(size=L),
        )
        array = ("W1", "W2", "h2")[rng.integers(3)]
    elif draw.kind == "alrnn":
        model = ALRNN(A=rng.uniform(-0.9, 0.9, 3), W=rng.normal(0.0, 1.2, (3, 3)), h=rng.normal(size=3), P=2)
        array = "W"
    else:
        raise ValueError(draw.kind)
    values = np.asarray(model.parameters()[array])
    index = tuple(int(rng.integers(n)) for n in values.shape)
    name = f"{array}[{','.join(map(str, index))}]"
    return ParameterPath(model, name, float(values[index]) - 1.5, float(values[index]) + 1.5)


# Seeds picked among the first 100 draws of each kind for having many events of several types
# (every type is covered; test_the_draws_are_not_vacuous re-checks it).
DRAWS = [
    *(Draw("plrnn2", s) for s in (3, 24, 52, 55, 70, 99)),
    *(Draw("plrnn3", s, K=3) for s in (6, 34, 36, 46)),
    *(Draw("shplrnn", s, K=3, resolution=100) for s in (7, 14, 52)),
    *(Draw("alrnn", s) for s in (56, 84)),
    *(Draw("modelpath", s) for s in (50, 99)),
]

#: Regression draws for the one library bug these tests found (12 of 500 draws showed it): a
#: border collision between the last good grid point and a pole of the region sequence's system
#: (det(I - P) = 0) was missed, because the margins were read one ulp before the pole, where the
#: system is past cond_max and the points are NaN. The event came out as a degenerate
#: transcritical at the pole, and a re-seeded continuation could then duplicate the branch.
POLE_DRAWS = [Draw("plrnn2", 42), Draw("modelpath", 93)]

#: Draws where the default seeds miss cycles that live only between two seed searches (the
#: documented blind spot, 3 of 500 draws). With a search at every grid point (EVERYWHERE, the slow
#: part of this file) nothing is missed; two of them also showed the pole bug.
BLIND_SPOT = [Draw("plrnn3", 86, K=3), Draw("shplrnn", 62, K=3, resolution=100), Draw("modelpath", 48)]
EVERYWHERE = [dataclasses.replace(d, seeds=d.resolution + 1) for d in BLIND_SPOT]

def cases(test: str) -> list:
    """The draws for ``test``, the slow ones (a search at every grid point) marked slow."""
    out = []
    for draw in DRAWS + POLE_DRAWS + EVERYWHERE:
        marks = [pytest.mark.slow] if draw.seeds is not None else []
        out.append(pytest.param(draw, id=draw.id, marks=marks))
    return out


@functools.cache
def diagram(draw: Draw):
    more = {} if draw.seeds is None else {"seeds": draw.seeds}
    return bifurcation_diagram(build(draw), max_order=draw.K, resolution=draw.resolution, **more)


def oracle(draw: Draw) -> list:
    """The exhaustive search's cycles at every grid value (a list of tuples of Cycle)."""
    return _oracle(dataclasses.replace(draw, seeds=None))


@functools.cache
def _oracle(draw: Draw) -> list:
    path = build(draw)
    out = []
    for v in np.linspace(path.lo, path.hi, draw.resolution + 1):
        result = find_cycles(path.model_at(float(v)), draw.K, finder=Exhaustive())
        assert all(s.complete for s in result.stats), "the oracle must be an exhaustive, exact search"
        out.append(result.cycles)
    return out


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def rotation(a: np.ndarray, b: np.ndarray, tol: float) -> int | None:
    """The r with roll(a, -r) == b within ``tol`` (same cycle in another phase), or None."""
    if a.shape != b.shape:
        return None
    for r in range(a.shape[0]):
        if np.max(np.abs(np.roll(a, -r, axis=0) - b)) <= tol:
            return r
    return None


def same_sequence(a: np.ndarray | None, b: np.ndarray) -> bool:
    """Whether two region sequences (k, n_bits) are equal up to rotation."""
    return a is not None and a.shape == b.shape and any(
        np.array_equal(np.roll(a, -r, axis=0), b) for r in range(a.shape[0])
    )


def branch_cycles(d, index: int) -> list[tuple[int, np.ndarray, bool]]:
    """(order, points, stable) of every branch sample at grid point ``index``."""
    out = []
    for branch in d.branches:
        row = branch.at_grid(index)
        if row is not None:
            out.append((branch.order, branch.points[row], bool(branch.stable[row])))
    return out


def stable_of(label: str | None) -> tuple[bool, ...]:
    """The possible values of ``stable`` for a classification label: both when non-hyperbolic."""
    if label is None:
        return ()
    kind = label.split()[0]
    return (True, False) if kind == "non-hyperbolic" else (kind == "stable",)


def claimed_changes(event) -> list[collections.Counter]:
    """The possible changes of the multiset of (order, stable) that ``event`` claims (a list:
    one per reading of a non-hyperbolic label)."""
    k = event.order
    options = []
    before = stable_of(event.stability_before) if event.outcome != "born" else (None,)
    after = stable_of(event.stability_after) if event.outcome != "dies" else (None,)
    for b, a in itertools.product(before, after):
        change = collections.Counter()
        if b is not None:
            change[(k, b)] -= 1
        if a is not None:
            change[(k, a)] += 1
        options.append(_clean(change))
    return options


def _clean(counter: collections.Counter) -> collections.Counter:
    return collections.Counter({key: n for key, n in counter.items() if n != 0})


def multiset(cycles) -> collections.Counter:
    return collections.Counter((c.order, bool(c.stable)) for c in cycles)


def monodromy(model, regions: np.ndarray) -> np.ndarray:
    """P = J(d_k) ... J(d_1) of the true model along ``regions``."""
    J, _ = model.affine_map(regions)
    P = np.eye(model.M)
    for Jj in J:
        P = Jj @ P
    return P


# --------------------------------------------------------------------------------------------
# 1. Grid -> branches: the diagram holds exactly the oracle's cycles at every grid point
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", cases("grid"))
def test_grid_cycles_match_oracle(draw):
    d, truth = diagram(draw), oracle(draw)
    np.testing.assert_array_equal(d.grid, np.linspace(d.path.lo, d.path.hi, draw.resolution + 1))
    n_cycles, n_stable = d.counts()
    for i, cycles in enumerate(truth):
        mine = branch_cycles(d, i)
        for k in range(1, draw.K + 1):
            assert n_cycles[i, k - 1] == sum(c.order == k for c in cycles), (i, k, d.grid[i])
            assert n_stable[i, k - 1] == sum(c.order == k and c.stable for c in cycles), (i, k, d.grid[i])
        unmatched = list(range(len(mine)))
        for c in cycles:
            tol = POINT_TOL * (1.0 + np.abs(c.points).max()) * max(1.0, 1e-8 * c.condition)
            same = [j for j in unmatched if mine[j][0] == c.order]
            hits = [j for j in same if rotation(mine[j][1], c.points, tol) is not None]
            assert len(hits) == 1, f"oracle {c.order}-cycle at grid {i}, v={d.grid[i]}: {len(hits)} branches"
            assert mine[hits[0]][2] == bool(c.stable), f"stability differs at grid {i}"
            unmatched.remove(hits[0])
        assert not unmatched, f"branch cycles at grid {i} the oracle does not have: {unmatched}"


# --------------------------------------------------------------------------------------------
# 2. Every change between two grid points is an event there, and every event is a change
# --------------------------------------------------------------------------------------------


def interval_of(grid: np.ndarray, value: float) -> tuple[int, ...]:
    """Intervals [grid[i], grid[i+1]] an event at ``value`` may belong to: one, or the two
    next to a grid point the event sits on (to rounding)."""
    span = grid[-1] - grid[0]
    i = int(np.clip(np.searchsorted(grid, value) - 1, 0, len(grid) - 2))
    near = [j for j in (i, i + 1) if abs(grid[j] - value) <= 1e-12 * span]
    if not near:
        return (i,)
    return tuple(j for j in (near[0] - 1, near[0]) if 0 <= j < len(grid) - 1)


@pytest.mark.parametrize("draw", cases("changes"))
def test_grid_changes_are_explained_by_events(draw):
    d, truth = diagram(draw), oracle(draw)
    sets = [multiset(cycles) for cycles in truth]
    fixed = collections.defaultdict(list)  # interval -> events surely inside
    floating = []  # events on a grid point: in the interval before or after it
    for e in d.events:
        where = interval_of(d.grid, e.value)
        assert d.grid[0] <= e.value <= d.grid[-1], f"event outside the path: {e}"
        if len(where) == 1:
            fixed[where[0]].append(e)
        else:
            floating.append((e, where))
    observed = {i: difference(sets[i + 1], sets[i]) for i in range(len(d.grid) - 1)}
    # Grid -> events: the literal statement, for the report of a failure.
    for i, change in observed.items():
        if change:
            lo, hi = d.grid[i], d.grid[i + 1]
            assert any(lo <= e.value <= hi for e in d.events), (
                f"the oracle's cycles change on [{lo}, {hi}] by {dict(change)} with no event there"
            )
    # Both directions, net: an assignment of the floating events, and a reading of every
    # non-hyperbolic label, must make the events' claims add up to the observed change everywhere.
    choices = [tuple((j, c) for j in where for c in claimed_changes(e)) for e, where in floating]
    for assignment in itertools.product(*choices):
        claimed = collections.defaultdict(collections.Counter)
        for j, change in assignment:
            claimed[j].update(change)
        if all(_matches(observed[i], fixed.get(i, []), claimed[i]) for i in observed):
            return
    bad = [i for i in observed if not _matches(observed[i], fixed.get(i, []), collections.Counter())]
    i = bad[0] if bad else 0
    claims = [(e.type, e.order, e.outcome, e.stability_before, e.stability_after) for e in fixed[i]]
    raise AssertionError(
        f"on [{d.grid[i]}, {d.grid[i + 1]}] the oracle's cycles change by {dict(observed[i])}, the events "
        f"there claim {claims}"
    )


def difference(after: collections.Counter, before: collections.Counter) -> collections.Counter:
    """after - before, keeping negative counts (Counter's own ``-`` drops them)."""
    keys = after.keys() | before.keys()
    return _clean(collections.Counter({key: after[key] - before[key] for key in keys}))


def _matches(observed: collections.Counter, events: list, extra: collections.Counter) -> bool:
    """Whether some reading of ``events`` plus ``extra`` adds up to ``observed``."""
    for parts in itertools.product(*(claimed_changes(e) for e in events)):
        total = collections.Counter(extra)
        for part in parts:
            total.update(part)
        if _clean(total) == observed:
            return True
    return False


# --------------------------------------------------------------------------------------------
# 3. Events are exact, and the cycle exists on the sides the outcome says
# --------------------------------------------------------------------------------------------


def check_event_condition(path, event) -> None:
    """The scalar condition of ``event``'s type holds on the true model at ``event.value``."""
    model = path.model_at(event.value)
    regions = event.regions_before if event.regions_before is not None else event.regions_after
    assert regions is not None and regions.shape[0] == event.order
    if event.points is not None:  # a true cycle of the model there (the maps are continuous)
        z = event.points
        scale = (1.0 + np.abs(z).max()) * (1.0 + np.abs(monodromy(model, regions)).max())
        assert np.abs(model.step(z) - np.roll(z, -1, axis=0)).max() <= 1e-8 * scale, f"{event}: not a cycle"
    if event.type == "border-collision":
        assert event.points is not None, "a border collision happens at a finite cycle"
        N, o = model.switching_planes()
        scale = (1.0 + np.abs(event.points).max()) * (1.0 + np.abs(N).max() + np.abs(o).max())
        margin = np.abs(model.margins(event.points)).min()
        assert margin <= MARGIN_TOL * scale, f"{event}: smallest margin {margin:.3g}"
        return
    P = monodromy(model, regions)
    tol = MULTIPLIER_TOL * (1.0 + np.abs(P).max())
    for m in (np.linalg.eigvals(P), np.asarray(event.multipliers)):
        if event.type == "degenerate-transcritical":
            assert np.abs(m - 1.0).min() <= tol, f"{event}: multipliers {m}"
        elif event.type == "degenerate-flip":
            assert np.abs(m + 1.0).min() <= tol, f"{event}: multipliers {m}"
        else:
            assert event.type == "degenerate-neimark-sacker", event.type
            pair = m[np.abs(m.imag) > 1e-8]
            assert len(pair) >= 2 and np.abs(np.abs(pair) - 1.0).min() <= tol, f"{event}: multipliers {m}"


def cycle_near(path, value: float, event, regions: np.ndarray | None):
    """The cycle of the event's order that the exhaustive search finds at ``value`` on ``regions``
    (up to rotation), else one near the event's points; None when there is neither."""
    cycles = find_cycles(path.model_at(value), orders=[event.order], finder=Exhaustive()).cycles
    on = [c for c in cycles if regions is not None and same_sequence(regions, c.regions)]
    if on or event.points is None:
        return on[0] if on else None
    near = 1e-3 * (1.0 + np.abs(event.points).max())
    close = [c for c in cycles if rotation(c.points, event.points, near) is not None]
    return close[0] if close else None


def check_event_sides(path, event) -> None:
    """Just before and after the event the cycle exists where the outcome says, with the
    stability its labels say (where they are hyperbolic)."""
    delta = SIDE * (path.hi - path.lo)
    sides = (
        (-delta, "before", event.outcome in ("persists", "dies"), event.regions_before, event.regions_after,
         event.stability_before),
        (+delta, "after", event.outcome in ("persists", "born"), event.regions_after, event.regions_before,
         event.stability_after),
    )
    for shift, side, exists, own, other, label in sides:
        if not path.lo <= event.value + shift <= path.hi:
            continue
        found = cycle_near(path, event.value + shift, event, own if exists else other)
        what = "is missing" if exists else "exists"
        assert (found is not None) == exists, f"{event}: just {side} it the cycle {what}"
        if found is not None and len(stable_of(label)) == 1:
            truth = found.classification
            assert stable_of(label) == (bool(found.stable),), f"{event}: {label!r} {side}; {truth}"


@pytest.mark.parametrize("draw", cases("exact"))
def test_events_are_exact(draw):
    path, d = build(draw), diagram(draw)
    for event in d.events:
        assert event.outcome in ("persists", "born", "dies")
        assert (event.stability_before is None) == (event.outcome == "born"), event
        assert (event.stability_after is None) == (event.outcome == "dies"), event
        check_event_condition(path, event)


@pytest.mark.parametrize("draw", cases("sides"))
def test_events_sides(draw):
    path, d = build(draw), diagram(draw)
    for event in d.events:
        check_event_sides(path, event)


def test_the_draws_are_not_vacuous():
    """The draws together see every event type and every outcome, and events of every order."""
    events = [e for draw in DRAWS for e in diagram(draw).events]
    assert {e.type for e in events} == set(EVENT_TYPES)
    assert {e.outcome for e in events} == {"persists", "born", "dies"}
    assert {e.order for e in events} == {1, 2, 3, 4}
    assert {(e.type, e.outcome) for e in events} >= {
        ("border-collision", "born"), ("border-collision", "dies"), ("border-collision", "persists"),
        ("degenerate-transcritical", "born"), ("degenerate-transcritical", "dies"),
    }
    assert len(events) >= 120


def _missing(draw: Draw) -> np.ndarray:
    """Cycles of each order the oracle has and the default-seeds diagram lacks, per grid point."""
    d, truth = diagram(draw), oracle(draw)
    orders = range(1, draw.K + 1)
    expected = np.array([[sum(c.order == k for c in cycles) for k in orders] for cycles in truth])
    return expected - d.counts()[0]


@pytest.mark.parametrize("draw", BLIND_SPOT, ids=[d.id for d in BLIND_SPOT])
def test_default_seeds_miss_only_cycles_between_seed_searches(draw):
    """What the default seeds miss on these draws (their runs of the full search are in
    EVERYWHERE and match the oracle) must be the documented blind spot: never an extra cycle, and
    every missed cycle lives on a run of grid points none of which was searched."""
    d, missing = diagram(draw), _missing(draw)
    assert (missing >= 0).all(), "the diagram has cycles the oracle does not"
    rows = np.flatnonzero(missing.any(axis=1))
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if len(rows) else []
    for run in runs:
        assert not set(run.tolist()) & set(d.seed_indices.tolist()), f"missed at searched grid points {run}"
        assert len(run) < draw.resolution / 8, "a missed run this long would hold a seed point"


BLIND_SPOT_REASON = ("known blind spot of seeding: the default seeds miss cycles that live only between two "
                     "seed searches, away from every event of a followed branch; an XPASS means the blind "
                     "spot is fixed: drop this mark and the draw from BLIND_SPOT")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=BLIND_SPOT_REASON)
@pytest.mark.parametrize("draw", BLIND_SPOT, ids=[d.id for d in BLIND_SPOT])
def test_default_seeds_find_every_cycle(draw):
    """The correct behaviour: with the default seeds the diagram has every cycle the oracle has."""
    missing = _missing(draw)
    assert not missing.any(), f"missed cycles at grid points {np.flatnonzero(missing.any(axis=1)).tolist()}"


# --------------------------------------------------------------------------------------------
# A closed form: the skew tent map's 2-cycle ends in a border collision at w = -1 - a
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resolution",
    [
        2,  # the collision lies between the first grid point and a pole of the 2-cycle's system
        4,
        200,
    ],
)
def test_tent_two_cycle_dies_in_a_border_collision(resolution):
    """z' = a z + w relu(z) + 1 with a = 0.2. The 2-cycle on (on, off) is
    z1 = (1 + a) / (1 - a (a + w)), z2 = (1 + a + w) / (1 - a (a + w)): real for w <= -1 - a, where
    z2 <= 0, and it ends at w = -1 - a = -1.2 when z2 reaches 0 (merging into the fixed point, whose
    flip is there). Its sequence's system is singular only at the pole w = 1/a - a = 4.8, far beyond.
    The grid (-1.3, 5.35, 12) of resolution 2 puts the border collision and the pole in one
    interval."""
    a = 0.2
    tent = PLRNN(A=[a], W=[[0.0]], h=[1.0])
    d = bifurcation_diagram(tent, "W[0,0]", (-1.3, 12.0), max_order=2, resolution=resolution)
    (event,) = [e for e in d.events if e.order == 2]
    assert (event.type, event.outcome) == ("border-collision", "dies")
    assert event.value == pytest.approx(-1.0 - a, abs=1e-12)
    flip, runaway = [e for e in d.events if e.order == 1]  # the fixed point 1 / (1 - a - w) on "on"
    assert (flip.type, flip.value) == ("degenerate-flip", pytest.approx(-1.0 - a, abs=1e-12))
    assert (runaway.type, runaway.value) == ("degenerate-transcritical", pytest.approx(1.0 - a, abs=1e-12))
