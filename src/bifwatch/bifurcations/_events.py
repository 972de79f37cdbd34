"""The bifurcation event noun and the four types of piecewise-linear maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BORDER_COLLISION = "border-collision"
TRANSCRITICAL = "degenerate-transcritical"
FLIP = "degenerate-flip"
NEIMARK_SACKER = "degenerate-neimark-sacker"
#: Every event type.
EVENT_TYPES = (TRANSCRITICAL, BORDER_COLLISION, FLIP, NEIMARK_SACKER)

#: How a branch goes on through an event, read in the direction of increasing parameter.
OUTCOMES = ("persists", "born", "dies")


@dataclass(frozen=True, eq=False)
class BifurcationEvent:
    """Where a cycle branch changes: located exactly by root finding along the path.

    Attributes
    ----------
    value : float
        Parameter value of the event.
    type : str
        ``border-collision`` (a cycle point reaches a switching boundary),
        ``degenerate-transcritical`` (a multiplier reaches +1; the cycle runs off to infinity),
        ``degenerate-flip`` (a multiplier reaches -1) or ``degenerate-neimark-sacker`` (a complex
        pair reaches the unit circle).
    order : int
        Least period of the cycle.
    points : array, shape (k, M), or None
        The cycle at the event (None where it is at infinity).
    multipliers : complex array, shape (M,)
        Eigenvalues of the monodromy matrix at the event.
    stability_before, stability_after : str or None
        Classification (e.g. ``"stable node"``) just below and just above ``value``; None on a
        side where the cycle does not exist.
    outcome : str
        ``persists`` (the cycle goes on, possibly on the neighbouring region sequence),
        ``born`` (it exists only above ``value``) or ``dies`` (only below).
    regions_before, regions_after : bool arrays, shape (k, n_bits), or None
        Region sequence on each side.
    branch : int
        Index of the branch in its diagram.
    note : str
        What happened, in words (e.g. "collides with the cycle on the neighbouring regions").
    """

    value: float
    type: str
    order: int
    points: np.ndarray | None
    multipliers: np.ndarray
    stability_before: str | None
    stability_after: str | None
    outcome: str
    regions_before: np.ndarray | None = None
    regions_after: np.ndarray | None = None
    branch: int = -1
    note: str = ""

    def to_dict(self) -> dict:
        """JSON-ready dict with at least ``value``, ``type`` and ``order``."""
        return {
            "value": float(self.value),
            "type": self.type,
            "order": int(self.order),
            "outcome": self.outcome,
            "stability_before": self.stability_before,
            "stability_after": self.stability_after,
            "points": None if self.points is None else self.points.tolist(),
            "multipliers": [[float(m.real), float(m.imag)] for m in self.multipliers],
            "regions_before": _codes(self.regions_before),
            "regions_after": _codes(self.regions_after),
            "branch": int(self.branch),
            "note": self.note,
        }

    def __repr__(self) -> str:
        return (
            f"BifurcationEvent({self.type} of a {self.order}-cycle at {self.value:.12g}, {self.outcome}: "
            f"{self.stability_before} -> {self.stability_after})"
        )


def _codes(regions: np.ndarray | None) -> list[str] | None:
    if regions is None:
        return None
    return ["".join("1" if b else "0" for b in code) for code in regions]
