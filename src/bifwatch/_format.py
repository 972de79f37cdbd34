"""Numbers as text for tables: never a negative zero ("-0", "-0.0000", "[-0.  1.]")."""

from __future__ import annotations

import math

import numpy as np


def fmt(value: float, spec: str) -> str:
    """``format(value, spec)``, with a zero that rounds from below shown without its minus sign.

    Examples
    --------
    >>> fmt(-0.0, ".12g"), fmt(-1e-9, "+.4f"), fmt(-0.5, ".1f")
    ('0', '+0.0000', '-0.5')
    """
    value = float(value) + 0.0  # -0.0 + 0.0 == +0.0
    text = format(value, spec)
    if math.isfinite(value) and value < 0 and not any(d in text.split("e")[0] for d in "123456789"):
        text = format(0.0, spec)
    return text


def positive_zeros(values):
    """``values`` (a float or an array) with every -0.0 replaced by 0.0.

    Examples
    --------
    >>> np.array2string(positive_zeros(np.array([-0.0, 1.0])))
    '[0. 1.]'
    """
    return np.asarray(values) + 0.0
