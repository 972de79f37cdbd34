"""The low-rank RNNs of the DA task as one batched torch module (S networks side by side).

torch is imported inside the functions only; ``import bifwatch`` never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._lowrank import LowRankRNN

_MODULE_CLASS = None


def stack_models(models: Sequence[LowRankRNN]) -> dict[str, np.ndarray]:
    """The parameters of S networks of one architecture stacked along a first axis of length S.

    Raises ``ValueError`` if the networks differ in N, R, full rank, readout, alpha or x0.
    """
    models = list(models)
    if not models or not all(isinstance(net, LowRankRNN) for net in models):
        raise TypeError(f"`models` must be a non-empty sequence of LowRankRNN; got {models!r:.80}")
    first = models[0]
    shape = (first.N, first.R, first.full, first.readout, first.alpha, first.x0)
    for i, net in enumerate(models):
        other = (net.N, net.R, net.full, net.readout, net.alpha, net.x0)
        if other != shape:
            raise ValueError(
                "all networks must share (N, R, full, readout, alpha, x0) to be trained together; "
                f"network 0 has {shape}, network {i} has {other}"
            )
    out = {k: np.stack([net.parameters()[k] for net in models]) for k in first.parameters()}
    out["confidence"] = np.array([net.confidence for net in models])
    return out


def unstack_models(arrays: dict[str, np.ndarray], template: LowRankRNN) -> tuple[LowRankRNN, ...]:
    """Inverse of :func:`stack_models`: S snapshots with ``template``'s alpha and x0."""
    S = arrays["m"].shape[0]
    return tuple(
        LowRankRNN(
            m=arrays["m"][s], n=arrays["n"][s] if "n" in arrays else None, b=arrays["b"][s],
            confidence=float(arrays["confidence"][s]),
            w_out=arrays["w_out"][s] if "w_out" in arrays else None,
            b_out=float(arrays["b_out"][s]) if "b_out" in arrays else None,
            alpha=template.alpha, x0=template.x0,
        )
        for s in range(S)
    )


def lowrank_torch_module(models: Sequence[LowRankRNN]):
    """A float64 ``torch.nn.Module`` holding S networks; ``module(steps)`` gives outputs (S, steps).

    The trained tensors are its parameters (m, n, b and w_out, b_out where present, each with a
    leading axis S); the confidence is a buffer. ``module.arrays()`` returns them as numpy arrays
    in the layout of :func:`stack_models`.
    """
    arrays = stack_models(models)
    return _module_class()(arrays, alpha=models[0].alpha, x0=models[0].x0)


def _module_class():
    global _MODULE_CLASS
    if _MODULE_CLASS is None:
        _MODULE_CLASS = _define_module()
    return _MODULE_CLASS


def _define_module():
    import torch

    class DARNNModule(torch.nn.Module):
        """S leaky tanh RNNs x' = (1 - alpha) x + alpha tanh(m n^T x + b) with their readouts."""

        def __init__(self, arrays: dict[str, np.ndarray], *, alpha: float, x0: float) -> None:
            super().__init__()
            for name, value in arrays.items():
                tensor = torch.tensor(value, dtype=torch.float64)
                if name == "confidence":
                    self.register_buffer(name, tensor)
                else:
                    setattr(self, name, torch.nn.Parameter(tensor))
            self.alpha, self.x0 = alpha, x0
            self.full = "n" not in arrays
            self.trained_readout = "w_out" in arrays

        def latent(self, x):
            return x if self.full else torch.bmm(x.unsqueeze(1), self.n).squeeze(1)

        def forward(self, steps: int):
            S, N = self.b.shape
            x = torch.full((S, N), self.x0, dtype=self.b.dtype)
            outs = []
            for _ in range(steps):
                pre = torch.baddbmm(self.b.unsqueeze(2), self.m, self.latent(x).unsqueeze(2)).squeeze(2)
                x = (1 - self.alpha) * x + self.alpha * torch.tanh(pre)
                outs.append(self.readout(x))
            return torch.stack(outs, dim=1)

        def readout(self, x):
            if self.trained_readout:
                return torch.sigmoid(torch.bmm(x.unsqueeze(1), self.w_out.unsqueeze(2)).view(-1) + self.b_out)
            return torch.sigmoid(self.confidence * (self.latent(x)[:, 0] - 1.0))

        def arrays(self) -> dict[str, np.ndarray]:
            out = {name: p.detach().cpu().numpy().copy() for name, p in self.named_parameters()}
            out["confidence"] = self.confidence.detach().cpu().numpy().copy()
            return out

    return DARNNModule
