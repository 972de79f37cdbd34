"""Loss-jump detection on a training curve: abrupt drops of the running minimum."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_positive_float, to_numpy


def loss_drops(loss: np.ndarray, *, factor: float = 2.5, window: int | None = None) -> np.ndarray:
    """Epochs at which a loss curve drops abruptly.

    The running minimum r_e = min(loss_0..loss_e) is scanned for stretches where it falls by at
    least ``factor`` within ``window`` epochs; each stretch gives the epoch of its steepest
    one-epoch fall of log r. Oscillations (the loss bouncing back up) do not count.

    Parameters
    ----------
    loss : array, shape (E,)
    factor : float, default 2.5
        Least fall of the running minimum. Not larger: the running minimum already holds the lows
        of an oscillating plateau, so the rank-one network's second drop falls by only about 2.9.
    window : int, optional
        Default max(10, E // 100): a fall within 1 % of the run counts as abrupt.

    Examples
    --------
    >>> curve = np.r_[np.full(500, 1.0), np.full(500, 0.1), np.full(500, 1e-3)]
    >>> loss_drops(curve).tolist()
    [500, 1000]
    """
    loss = to_numpy("loss", loss)
    if loss.ndim != 1:
        raise ValueError(f"`loss` must have shape (E,); got shape {loss.shape}")
    factor = check_positive_float("factor", factor)
    E = loss.size
    window = max(10, E // 100) if window is None else check_int("window", window, minimum=1)
    if E < 2 or factor <= 1:
        return np.zeros(0, dtype=int)
    log_min = np.log(np.maximum(np.minimum.accumulate(loss), 1e-300))
    ahead = log_min[np.minimum(np.arange(E) + window, E - 1)]
    falling = log_min - ahead >= np.log(factor)
    fall = np.r_[0.0, log_min[:-1] - log_min[1:]]
    drops, e = [], 0
    while e < E:
        if not falling[e]:
            e += 1
            continue
        end = e
        while end + 1 < E and falling[end + 1]:
            end += 1
        stop = min(end + window, E - 1)
        drops.append(e + int(np.argmax(fall[e:stop + 1])))
        e = stop + 1
    return np.array(drops, dtype=int)
