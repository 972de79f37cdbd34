"""Search statistics: what was done per order, and whether the answer is complete."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrderStats:
    """How the search of one order went.

    Attributes
    ----------
    order : int
    method : str
        ``"exhaustive"`` (every region sequence was solved) or ``"heuristic"`` (SCYFI).
    complete : bool
        True only for an exhaustive search over an exact region pool: then no cycle of this
        order was missed (cycles with a singular or ill-conditioned system excepted; see
        ``rejected``).
    n_cycles : int
        Distinct cycles of least period ``order``.
    solves : int
        Linear systems solved (the paper's "linear subregions visited").
    chains : int
        Heuristic chains run (0 for exhaustive).
    rejected : dict
        Candidates turned away, by reason (``singular``, ``ill-conditioned``, ...).
    seconds : float
    message : str
        Why the search stopped, in words.
    """

    order: int
    method: str
    complete: bool
    n_cycles: int
    solves: int
    chains: int
    rejected: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "method": self.method,
            "complete": self.complete,
            "n_cycles": self.n_cycles,
            "solves": self.solves,
            "chains": self.chains,
            "rejected": dict(self.rejected),
            "seconds": self.seconds,
            "message": self.message,
        }
