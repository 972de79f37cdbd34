"""Parameter paths: one entry of a model swept over an interval, or the line between two models."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from ..models import AbstractPLRNN

_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$")
#: Model fields that are structure, not parameters (cannot be swept).
_FIXED = {"P"}


def parse_parameter(model: AbstractPLRNN, name: str) -> tuple[str, tuple[int, ...]]:
    """Split ``"W[0,1]"`` into ``("W", (0, 1))`` and check it addresses one entry of ``model``.

    Raises
    ------
    ValueError
        Malformed name, unknown array, wrong number of indices, index out of range.

    Examples
    --------
    >>> from bifwatch import PLRNN
    >>> parse_parameter(PLRNN(A=[0.2], W=[[1.0]], h=[1.0]), "W[0,0]")
    ('W', (0, 0))
    """
    if not isinstance(name, str):
        raise TypeError(f"parameter name must be a string like 'W[0,1]'; got {name!r}")
    match = _NAME.match(name)
    arrays = {k: v for k, v in model.parameters().items() if k not in _FIXED}
    if "slope" in {f.name for f in dataclasses.fields(model)}:
        arrays.setdefault("slope", np.array(model.slope))
    known = ", ".join(_describe(k, np.shape(v)) for k, v in arrays.items())
    if match is None:
        raise ValueError(
            f"parameter {name!r}: expected a name like 'W[0,1]' or 'h[0]'; {model.kind} has {known}"
        )
    array, text = match.group(1), match.group(2)
    if array in _FIXED and array in model.parameters():
        raise ValueError(
            f"`{array}` of a {model.kind} model is structure (an integer count), not a parameter; "
            "it cannot be swept"
        )
    if array not in arrays:
        raise ValueError(f"unknown parameter {array!r} for a {model.kind} model; it has {known}")
    shape = np.shape(arrays[array])
    try:
        index = tuple(int(i) for i in text.split(",")) if text and text.strip() else ()
    except ValueError:
        example = _describe(array, shape)
        raise ValueError(f"parameter {name!r}: indices must be integers, e.g. {example}") from None
    if len(index) != len(shape):
        raise ValueError(
            f"parameter {name!r}: {array} has shape {shape}, so it needs {len(shape)} "
            f"ind{'ex' if len(shape) == 1 else 'ices'}, e.g. {_describe(array, shape)}; got {len(index)}"
        )
    for axis, (i, n) in enumerate(zip(index, shape, strict=True)):
        if not 0 <= i < n:
            raise ValueError(f"parameter {name!r}: index {i} on axis {axis} is out of range 0..{n - 1}")
    return array, index


def _describe(array: str, shape: tuple[int, ...]) -> str:
    if not shape:
        return array
    return f"{array}[{','.join('0' for _ in shape)}] (shape {shape})"


def check_range(name: str, value: object) -> tuple[float, float]:
    """Validate a (lo, hi) pair of finite floats with lo < hi."""
    try:
        lo, hi = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be two numbers (lo, hi); got {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"`{name}` must be finite; got ({lo}, {hi})")
    if not lo < hi:
        kind = "an empty" if lo == hi else "a reversed"
        raise ValueError(f"`{name}` must have lo < hi; got {kind} range ({lo}, {hi})")
    return lo, hi


#: Largest |z| of an orbit a path may reach (beyond it a square overflows float64).
MAX_STATE = 1e150


def check_finite_map(path, *, steps: int = 4) -> None:
    """Refuse a path whose models, at either end, leave the float64 range within ``steps`` steps.

    From the points 0, ±1 and ±s (s the model's largest |entry|, at least 1) in every
    coordinate, F is iterated ``steps`` times; a coordinate beyond ``MAX_STATE`` (or NaN) means
    the cycle systems along the path (products of k Jacobians, squared norms) overflow.
    """
    for value in (path.lo, path.hi):
        model = path.model_at(value)
        scale = max([1.0] + [float(np.max(np.abs(v))) for v in model.parameters().values() if np.size(v)])
        z = np.array([0.0, 1.0, -1.0, scale, -scale])[:, None] * np.ones(model.M)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                z = model.step(z)
                finite = bool(np.all(np.abs(z) <= MAX_STATE))  # False for inf and NaN too
                if not finite:
                    break
        if not finite:
            raise ValueError(
                f"the model is not finite along `range`: at {path.label} = {value:g} its orbits pass "
                f"|z| = {MAX_STATE:g} within {steps} steps, where float64 arithmetic overflows; choose a "
                "smaller range"
            )


def with_entry(model: AbstractPLRNN, array: str, index: tuple[int, ...], value: float) -> AbstractPLRNN:
    """A copy of ``model`` with ``array[index] = value``."""
    if array == "slope":
        return dataclasses.replace(model, slope=float(value))
    new = np.array(getattr(model, array), dtype=np.float64, copy=True)
    new[index] = value
    return dataclasses.replace(model, **{array: new})


@dataclass(frozen=True, eq=False)
class ParameterPath:
    """One parameter entry of ``model`` swept from ``lo`` to ``hi``; everything else fixed.

    Parameters
    ----------
    model : AbstractPLRNN
        The base model (its value of the swept entry is ignored).
    name : str
        The entry, addressed by array name and index as in the model's equation: ``"W[0,1]"``,
        ``"A[1]"`` (A as a vector) or ``"A[1,1]"`` (A as a matrix), ``"h[0]"``, ``"W1[2,0]"``,
        ``"slope"``.
    lo, hi : float
        The interval, lo < hi.

    Examples
    --------
    >>> from bifwatch import PLRNN
    >>> path = ParameterPath(PLRNN(A=[0.2], W=[[0.0]], h=[1.0]), "W[0,0]", -2.2, 1.8)
    >>> path.model_at(-1.7).W.tolist()
    [[-1.7]]
    """

    model: AbstractPLRNN
    name: str
    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not isinstance(self.model, AbstractPLRNN):
            raise TypeError(f"`model` must be a bifwatch model; got {type(self.model).__name__}")
        lo, hi = check_range("range", (self.lo, self.hi))
        array, index = parse_parameter(self.model, self.name)
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)
        object.__setattr__(self, "_entry", (array, index))
        check_finite_map(self)

    @property
    def label(self) -> str:
        return self.name.replace(" ", "")

    def model_at(self, value: float) -> AbstractPLRNN:
        """The model with the swept entry set to ``value``."""
        array, index = self._entry
        return with_entry(self.model, array, index, value)

    def spec(self) -> dict:
        """Everything that defines the path, as JSON-ready values: entry, range, model class and arrays.

        The one written form of a path: :meth:`to_dict` adds its kind; a diagram's or map's sweep
        store keeps it (a resumed store must match it); ``bifwatch`` hashes it into the name of
        its default store.
        """
        return {"name": self.label, "range": [self.lo, self.hi], **_model_spec(self.model)}

    def to_dict(self) -> dict:
        """JSON-ready dict: ``kind`` ("parameter") and the :meth:`spec`."""
        return {"kind": "parameter", **self.spec()}


@dataclass(frozen=True, eq=False)
class ModelPath:
    """The straight line (1 - s) * start + s * end between two models of the same class and shape.

    The path parameter s runs over [0, 1] (or the sub-interval ``lo``..``hi``); s = 0 is ``start``.
    Every array is interpolated (integer structure such as the ALRNN's ``P`` must agree).

    Examples
    --------
    >>> from bifwatch import PLRNN
    >>> a = PLRNN(A=[0.2], W=[[0.0]], h=[1.0]); b = PLRNN(A=[0.2], W=[[-2.0]], h=[1.0])
    >>> ModelPath(a, b).model_at(0.25).W.tolist()
    [[-0.5]]
    """

    start: AbstractPLRNN
    end: AbstractPLRNN
    lo: float = 0.0
    hi: float = 1.0

    def __post_init__(self) -> None:
        for which in ("start", "end"):
            given = getattr(self, which)
            if not isinstance(given, AbstractPLRNN):
                raise TypeError(f"`{which}` must be a bifwatch model; got {type(given).__name__}")
        if type(self.start) is not type(self.end):
            raise ValueError(
                f"models of a path must be of one class; got {type(self.start).__name__} "
                f"and {type(self.end).__name__}"
            )
        a, b = self.start.parameters(), self.end.parameters()
        if a.keys() != b.keys():
            raise ValueError(f"models of a path must have the same arrays; got {sorted(a)} and {sorted(b)}")
        for key in a:
            if np.shape(a[key]) != np.shape(b[key]):
                raise ValueError(
                    f"models of a path must have the same shapes; `{key}` is {np.shape(a[key])} "
                    f"in `start` and {np.shape(b[key])} in `end`"
                )
            if key in _FIXED and not np.array_equal(a[key], b[key]):
                raise ValueError(f"models of a path must share `{key}`; got {a[key]} and {b[key]}")
        lo, hi = check_range("range", (self.lo, self.hi))
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)
        check_finite_map(self)

    @property
    def label(self) -> str:
        return "s"

    def model_at(self, value: float) -> AbstractPLRNN:
        """The model at path parameter s = ``value``."""
        a, b = self.start.parameters(), self.end.parameters()
        fields = {f.name for f in dataclasses.fields(self.start)}
        new = {
            key: (1.0 - value) * np.asarray(a[key], float) + value * np.asarray(b[key], float)
            for key in a
            if key not in _FIXED and key in fields
        }
        if "slope" in new:
            new["slope"] = float(new["slope"])
        return dataclasses.replace(self.start, **new)

    def spec(self) -> dict:
        """Everything that defines the path, as JSON-ready values: range, class, both models' arrays.

        ``model`` holds the arrays of ``start``, ``end`` those of ``end``; see
        :meth:`ParameterPath.spec` for where it is used.
        """
        return {"range": [self.lo, self.hi], **_model_spec(self.start), "end": _model_spec(self.end)["model"]}

    def to_dict(self) -> dict:
        """JSON-ready dict: ``kind`` ("models"), ``name`` ("s") and the :meth:`spec`."""
        return {"kind": "models", "name": self.label, **self.spec()}


def _model_spec(model: AbstractPLRNN) -> dict:
    """``{"class": ..., "model": {array name: nested lists}}``: a model as JSON-ready values."""
    arrays = {key: np.asarray(value).tolist() for key, value in model.parameters().items()}
    return {"class": type(model).__name__, "model": arrays}


Path = ParameterPath | ModelPath
