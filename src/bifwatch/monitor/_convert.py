"""The analysis model of whatever the user trains: a bifwatch module, a ReLU ``nn.RNN``, or any
module with a function that returns its piecewise-linear model."""

from __future__ import annotations

import copy
from collections.abc import Callable

from ..models import AbstractPLRNN


def analysis_model(model, analysis: Callable | None = None, *, input=None) -> AbstractPLRNN:
    """``model`` as a float64 :class:`AbstractPLRNN` (a copy: later training does not change it).

    Parameters
    ----------
    model
        A bifwatch analysis model, a bifwatch PyTorch module (``bifwatch.models.nn``, or a
        ``DSRModel``), or a one-layer ReLU ``torch.nn.RNN`` (driven by the constant ``input``).
    analysis : callable, optional
        For any other module: ``analysis(model)`` returns its analysis model.

    Raises
    ------
    TypeError
        A model none of these covers, or an ``analysis`` that does not return a bifwatch model.
    """
    if analysis is not None:
        out = analysis(model)
        if not isinstance(out, AbstractPLRNN):
            raise TypeError(f"`analysis(model)` must return a bifwatch model (PLRNN, ShPLRNN, ...); got "
                            f"{type(out).__name__}")
        return _copy(out)
    if isinstance(model, AbstractPLRNN):
        return _copy(model)
    to_analysis = getattr(model, "to_analysis", None)
    if callable(to_analysis):
        out = to_analysis()
        out = out[0] if isinstance(out, tuple) else out
        if isinstance(out, AbstractPLRNN):
            return out
    if type(model).__name__ == "RNN" and type(model).__module__.startswith("torch.nn"):
        from ..models import from_torch_rnn

        return from_torch_rnn(model, input=input)
    raise TypeError(f"`model` must be a bifwatch model or module, or a one-layer ReLU torch.nn.RNN; got "
                    f"{type(model).__name__}. For another module pass `analysis=` (a function returning its "
                    "piecewise-linear bifwatch model)")


def _copy(model: AbstractPLRNN) -> AbstractPLRNN:
    return copy.deepcopy(model)
