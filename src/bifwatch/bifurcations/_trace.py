"""Follow one cycle along a path, piece by piece, and locate where it changes by root finding.

A piece is a stretch of parameter over which the cycle keeps its region sequence and its
stability signature. It is evaluated on the path's sample grid (all at once); at the first
sample where it fails, the failure is bracketed by the last good sample and located exactly:

- a gap (signed margin of a cycle point) changes sign: border collision (``brentq`` on the gap);
- det(I - P) changes sign: a multiplier crossed +1, degenerate transcritical;
- det(I + P) changes sign: a multiplier crossed -1, degenerate flip;
- the number of multipliers inside the unit circle changes otherwise: a complex pair crossed
  it, degenerate Neimark-Sacker (bisection on the count).

After a border collision the offending bits are flipped; if the flipped sequence is real just
beyond the event, the cycle persists on it and the next piece starts there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..search import classify
from ._events import BORDER_COLLISION, FLIP, NEIMARK_SACKER, TRANSCRITICAL, BifurcationEvent
from ._pieces import PathPieces, State

_MAX_EVENTS = 1000
_RTOL = 4 * np.finfo(float).eps


@dataclass
class Run:
    """Samples and events of one direction of one branch."""

    t: list = field(default_factory=list)
    points: list = field(default_factory=list)
    multipliers: list = field(default_factory=list)
    grid_index: list = field(default_factory=list)
    regions: list = field(default_factory=list)
    events: list = field(default_factory=list)
    partners: list = field(default_factory=list)  # (t, regions) of cycles met at a border collision

    def add(self, state: State, rows, grid_index, sequence) -> None:
        for r, g in zip(rows, grid_index, strict=True):
            self.t.append(float(state.t[r]))
            self.points.append(state.points[r])
            self.multipliers.append(state.multipliers[r])
            self.grid_index.append(int(g))
            self.regions.append(sequence)


def trace(pieces: PathPieces, sequence: np.ndarray, grid: np.ndarray, start: int, direction: int) -> Run:
    """Follow the cycle of ``sequence``, real at ``grid[start]``, towards ``direction`` (+1 or -1)."""
    span = pieces.path.hi - pieces.path.lo
    eps = 1e-9 * span
    run = Run()
    t0 = float(grid[start])
    ref = pieces.evaluate(sequence, [t0])
    index = start + direction
    for _ in range(_MAX_EVENTS):
        ahead = np.arange(index, len(grid) if direction > 0 else -1, direction)
        if len(ahead) == 0:
            return run
        state = pieces.evaluate(sequence, grid[ahead])
        bad = ~state.consistent | (state.inside != ref.inside[0])
        if bad[0] and grid[ahead[0]] == t0 and run.events:  # the grid point of the event itself
            index += direction
            continue
        stop = int(np.argmax(bad)) if bad.any() else len(ahead)
        run.add(state, range(stop), ahead[:stop], sequence)
        if stop == len(ahead):
            return run
        a = float(state.t[stop - 1]) if stop > 0 else t0
        at_a = pieces.evaluate(sequence, [a])
        event, sequence, t0, partner = _resolve(
            pieces, sequence, a, float(state.t[stop]), at_a, ref, direction, eps
        )
        run.events.append(event)
        if partner is not None:
            run.partners.append((t0, partner))
        if sequence is None:
            return run
        ref = pieces.evaluate(sequence, [t0 + direction * eps])
        index = int(ahead[stop])
    return run


def _resolve(pieces, sequence, a, b, at_a, ref, direction, eps):
    """Locate the event in (a, b] and decide how the branch goes on.

    Returns (event, next sequence or None, event value, partner sequence or None), the partner
    being the cycle this one collides with at a border collision where both end.
    """
    t_star, kind, flips = _locate(pieces, sequence, a, b, at_a, ref)
    new = sequence
    if kind == BORDER_COLLISION:
        new = sequence.copy()
        for j, bit in flips:
            new[j, bit] = ~new[j, bit]
    beyond = pieces.evaluate(new, [t_star + direction * eps])
    # stability before: halfway from a, which may itself be the previous event (a multiplier
    # on the unit circle there), to this one; no event lies in between
    before = pieces.evaluate(sequence, [0.5 * (a + t_star)])
    if not before.consistent[0] or a == t_star:
        before = pieces.evaluate(sequence, [t_star - direction * eps])
    after = pieces.evaluate(new, [b])
    after = after if after.consistent[0] and b != t_star else beyond
    persists = bool(beyond.consistent[0]) and sequence_period(new) == sequence.shape[0]
    note = _note(pieces, kind, new, beyond, persists, t_star, direction, eps)
    at = pieces.evaluate(sequence, [t_star])
    points = at.points[0] if np.isfinite(at.points[0]).all() else None
    # labels from the bracket's samples: right at the event a multiplier is on the unit circle
    sides = [(sequence, _label(before)), (new, _label(after)) if persists else (None, None)]
    if direction < 0:
        sides.reverse()
    outcome = "persists" if persists else ("dies" if direction > 0 else "born")
    event = BifurcationEvent(
        value=t_star, type=kind, order=sequence.shape[0], points=points,
        multipliers=at.multipliers[0], stability_before=sides[0][1], stability_after=sides[1][1],
        outcome=outcome, regions_before=sides[0][0], regions_after=sides[1][0], note=note,
    )
    partner = new if note.startswith("collides") else None
    return event, (new if persists else None), t_star, partner


def _label(state: State) -> str | None:
    if not state.consistent[0]:
        return None
    return classify(state.multipliers[0])


def sequence_period(sequence: np.ndarray) -> int:
    """Least j with d_{i+j} = d_i for all i (indices mod k).

    A k-cycle's sequence has least period k: on a sequence of least period j < k the system's
    unique solution is the j-cycle (wherever I - P_j is invertible), so no k-cycle lives there.
    """
    k = sequence.shape[0]
    for j in range(1, k):
        if k % j == 0 and np.array_equal(np.roll(sequence, -j, axis=0), sequence):
            return j
    return k


def _note(pieces, kind, new, beyond, persists, t_star, direction, eps) -> str:
    if kind != BORDER_COLLISION:
        return "" if persists or kind != TRANSCRITICAL else "the cycle runs off to infinity"
    if persists:
        return "continues on the neighbouring region sequence"
    if beyond.consistent[0]:
        return f"merges into the cycle of order {sequence_period(new)}"
    partner = pieces.evaluate(new, [t_star - direction * eps])
    if partner.consistent[0] and sequence_period(new) == new.shape[0]:
        return "collides with the cycle on the neighbouring region sequence (both end)"
    return "no cycle continues on the neighbouring region sequence"


def _locate(pieces, sequence, a, b, at_a: State, ref: State):
    """Earliest event in (a, b]: (t, type, flipped (step, bit) pairs)."""
    at_b = pieces.evaluate(sequence, [b])
    found = []  # (distance from a, priority, t, type)
    for kind, field_ in ((TRANSCRITICAL, "det_minus"), (FLIP, "det_plus")):
        fa, fb = getattr(at_a, field_)[0], getattr(at_b, field_)[0]
        if np.sign(fa) != np.sign(fb) or fb == 0:
            t = _root(_scalar(pieces, sequence, lambda s, f=field_: getattr(s, f)[0]), a, b, fa, fb)
            found.append((abs(t - a), 0 if kind == TRANSCRITICAL else 2, t, kind))
    if not found and not np.isfinite(at_b.points[0]).all() and np.isfinite(at_b.det_minus[0]):
        found.append(_degenerate_at(a, b, at_a, at_b))
    pole = [f[2] for f in found if f[3] == TRANSCRITICAL]
    if pole:  # margins are only followed up to the pole, where the cycle leaves through infinity
        b, at_b = _last_solved(pieces, sequence, a, pole[0], at_a)
    roots = _margin_roots(pieces, sequence, a, b, at_a, at_b)
    if roots:
        t = min(roots.values(), key=lambda r: abs(r - a))
        found.append((abs(t - a), 1, t, BORDER_COLLISION))
    if not found or (at_b.inside[0] != ref.inside[0] and all(f[3] == BORDER_COLLISION for f in found)):
        t = _bisect(lambda s: pieces.evaluate(sequence, [s]).inside[0] == ref.inside[0], a, b)
        found.append((abs(t - a), 3, t, _by_multipliers(pieces.evaluate(sequence, [t]).multipliers[0])))
    tol = 8 * _RTOL * max(abs(a), abs(b), pieces.path.hi - pieces.path.lo)
    nearest = min(f[0] for f in found)
    _, _, t_star, kind = min(f for f in found if f[0] <= nearest + tol)
    flips = [key for key, t in roots.items() if abs(t - t_star) <= tol]
    if kind == BORDER_COLLISION and not flips:
        kind = TRANSCRITICAL
    return t_star, kind, flips


def _margin_roots(pieces, sequence, a, b, at_a: State, at_b: State) -> dict:
    """Where each gap that is wrong at b crosses zero in [a, b]: {(step, bit): t}."""
    gaps_b = at_b.gaps[0]
    fails = ~np.where(sequence, gaps_b > 0, gaps_b >= 0) & np.isfinite(gaps_b)
    roots = {}
    for j, bit in zip(*np.nonzero(fails), strict=True):
        f = _scalar(pieces, sequence, lambda s, j=j, bit=bit: s.gaps[0, j, bit])
        roots[(int(j), int(bit))] = _root(f, a, b, at_a.gaps[0, j, bit], gaps_b[j, bit])
    return roots


def _last_solved(pieces, sequence, a: float, pole: float, at_a: State):
    """The last parameter between a and the pole where the cycle is still solved, and its state.

    Right at the pole I - P is singular, and within about |pole - t| < |pole - a| / cond_max
    of it the system is rejected as ill-conditioned (points NaN), so the margins must be read
    where the points are finite. A margin root between that point and the pole lies within
    rounding of the pole and is the transcritical itself.
    """
    if not np.isfinite(at_a.points[0]).all():
        return a, at_a
    last, state = a, at_a
    lo, hi = a, pole
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        at_mid = pieces.evaluate(sequence, [mid])
        if np.isfinite(at_mid.points[0]).all():
            lo, last, state = mid, mid, at_mid
        else:
            hi = mid
    return last, state


def _degenerate_at(a: float, b: float, at_a: State, at_b: State):
    """The system is ill-conditioned at b, a multiplier within rounding of +1 or -1 there, but
    the determinant has not changed sign yet: one secant step on it from b gives the root."""
    options = (
        (TRANSCRITICAL, 0, at_a.det_minus[0], at_b.det_minus[0]),
        (FLIP, 2, at_a.det_plus[0], at_b.det_plus[0]),
    )
    which = min(options, key=lambda c: abs(c[3]) / max(abs(c[2]), 1e-300))
    kind, priority, fa, fb = which
    t = b - fb * (b - a) / (fb - fa) if fb != fa else b
    lo, hi = sorted((a, b + (b - a)))
    t = float(min(max(t, lo), hi))
    return (abs(t - a), priority, t, kind)


def _by_multipliers(multipliers: np.ndarray) -> str:
    """Type of a stability change from the multiplier nearest the unit circle."""
    m = multipliers[np.argmin(np.abs(np.abs(multipliers) - 1.0))]
    if abs(m.imag) > 1e-8:
        return NEIMARK_SACKER
    return TRANSCRITICAL if m.real > 0 else FLIP


def _scalar(pieces, sequence, pick):
    return lambda t: float(pick(pieces.evaluate(sequence, [t])))


def _root(f, a: float, b: float, fa: float, fb: float) -> float:
    """Root of f in [a, b] (exactly a or b when f vanishes there)."""
    if fa == 0:
        return a
    if fb == 0:
        return b
    if not (np.isfinite(fa) and np.isfinite(fb)) or np.sign(fa) == np.sign(fb):
        return _bisect(lambda t: np.sign(f(t)) == np.sign(fa) if np.isfinite(fa) else True, a, b)
    from scipy.optimize import brentq  # here: importing scipy.optimize costs 0.5 s

    lo, hi = (a, b) if a < b else (b, a)
    try:
        return float(brentq(f, lo, hi, xtol=1e-300, rtol=_RTOL, maxiter=200))
    except ValueError:  # a non-finite value inside the bracket: fall back on the sign
        return _bisect(lambda t: np.sign(f(t)) == np.sign(fa), a, b)


def _bisect(good, a: float, b: float) -> float:
    """The point between a (good) and b (bad) where ``good`` stops holding, to rounding."""
    for _ in range(200):
        mid = 0.5 * (a + b)
        if mid in (a, b):
            break
        if good(mid):
            a = mid
        else:
            b = mid
    return b
