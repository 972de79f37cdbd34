"""The no-learning zone (NLZ): networks that learned, then fell into a flat, confidently wrong state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import check_int, check_positive_float, to_numpy


@dataclass(frozen=True, eq=False)
class NLZResult:
    """The NLZ verdict of S networks.

    Attributes
    ----------
    in_nlz : ndarray of bool, shape (S,)
        The paper's criterion: max accuracy over the last ``window`` epochs <= 0.5 and max
        accuracy before them > 0.5 (the network learned, then fell in).
    learned : ndarray of bool, shape (S,)
        Accuracy > 0.5 at some epoch.
    never_learned : ndarray of bool, shape (S,)
        Accuracy <= 0.5 at every epoch (mostly: still on the initial plateau).
    saturated : ndarray of bool, shape (S,), or None
        The diagnostic: the last outputs all on one side of 0.5 (half the steps confidently
        wrong) and the last gradient norm < ``grad_tol``. None without outputs and gradients.
    window : int
    grad_tol : float
    """

    in_nlz: np.ndarray
    learned: np.ndarray
    never_learned: np.ndarray
    saturated: np.ndarray | None
    window: int
    grad_tol: float

    @property
    def S(self) -> int:
        return self.in_nlz.shape[0]

    def counts(self) -> dict[str, int]:
        """Number of networks in each outcome (and saturated, where known)."""
        out = {"networks": self.S, "learned": int(self.learned.sum()), "nlz": int(self.in_nlz.sum()),
               "never_learned": int(self.never_learned.sum())}
        if self.saturated is not None:
            out["saturated"] = int(self.saturated.sum())
            out["nlz_and_saturated"] = int((self.saturated & self.in_nlz).sum())
        return out

    def to_dict(self) -> dict:
        out = {k: getattr(self, k).astype(int).tolist() for k in ("in_nlz", "learned", "never_learned")}
        out["saturated"] = None if self.saturated is None else self.saturated.astype(int).tolist()
        return {**out, "window": self.window, "grad_tol": self.grad_tol, "counts": self.counts()}


def no_learning_zone(
    accuracy: np.ndarray, *, window: int = 50, outputs: np.ndarray | None = None,
    grad_norm: np.ndarray | None = None, grad_tol: float = 1e-10,
) -> NLZResult:
    """Which networks are in the no-learning zone at the end of training (Dinc et al., §9.2).

    Parameters
    ----------
    accuracy : array, shape (S, E) or (E,)
        Accuracy per epoch of S networks.
    window : int, default 50
        The last ``window`` epochs are the test window (5950-5999 of a 6000-epoch run).
    outputs : array, shape (S, 2T), optional
        The last epoch's outputs, for the saturation diagnostic.
    grad_norm : array, shape (S,) or (S, E), optional
        The last epoch's gradient norm (or the whole trace, whose last column is used).
    grad_tol : float, default 1e-10

    Returns
    -------
    NLZResult

    Raises
    ------
    ValueError
        If ``window`` >= E (no epochs before the window) or the shapes disagree.

    Notes
    -----
    In the zone the loss is flat: the trajectory is trapped below the threshold by a stable
    fixed point born in a saddle-node bifurcation (F_min < 0), the output is sigma(c (kappa - 1))
    ~ 0 at every step and the gradient is ~1e-20. Lowering the confidence c makes it non-zero.

    Examples
    --------
    >>> acc = np.array([[0.5] * 60 + [0.9] * 40 + [0.5] * 50,     # learned, then fell in
    ...                 [0.5] * 150,                              # never learned
    ...                 [0.5] * 100 + [1.0] * 50])                # learned
    >>> no_learning_zone(acc).in_nlz.tolist()
    [True, False, False]
    """
    acc = to_numpy("accuracy", accuracy)
    acc = acc[None, :] if acc.ndim == 1 else acc
    if acc.ndim != 2:
        raise ValueError(f"`accuracy` must have shape (S, E) or (E,); got shape {np.shape(accuracy)}")
    window = check_int("window", window, minimum=1)
    if window >= acc.shape[1]:
        raise ValueError(f"`window` must be < the number of epochs E = {acc.shape[1]}; got {window}")
    grad_tol = check_positive_float("grad_tol", grad_tol)
    late = acc[:, -window:].max(axis=1)
    ever = acc.max(axis=1)
    saturated = None
    if outputs is not None and grad_norm is not None:
        saturated = _saturated(outputs, grad_norm, acc.shape[0], grad_tol)
    return NLZResult(in_nlz=(late <= 0.5) & (acc[:, :-window].max(axis=1) > 0.5), learned=ever > 0.5,
                     never_learned=ever <= 0.5, saturated=saturated, window=window, grad_tol=grad_tol)


def _saturated(outputs, grad_norm, S: int, grad_tol: float) -> np.ndarray:
    o = to_numpy("outputs", outputs)
    g = to_numpy("grad_norm", grad_norm)
    g = g[:, -1] if g.ndim == 2 else g
    if o.ndim != 2 or o.shape[0] != S or g.shape != (S,):
        raise ValueError(f"`outputs` must have shape (S, 2T) and `grad_norm` (S,) or (S, E) with S = {S}; "
                         f"got {o.shape} and {np.shape(grad_norm)}")
    one_side = np.all(o < 0.5, axis=1) | np.all(o > 0.5, axis=1)
    return one_side & (g < grad_tol)
