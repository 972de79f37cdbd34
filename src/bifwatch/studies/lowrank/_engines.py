"""The two ways to take an SGD step on the DA task: closed-kappa numpy (rank one) and torch autograd."""

from __future__ import annotations

import numpy as np

from ._bptt import DAGradient, rank_one_gradient
from ._bptt_lowrank import lowrank_gradient
from ._lowrank import LowRankRNN
from ._lowrank_torch import _module_class
from ._task import DATask


def make_engine(backend: str, arrays: dict, template: LowRankRNN, task: DATask):
    """An engine over stacked parameter ``arrays`` (the layout of ``stack_models``).

    Engines have ``gradient() -> DAGradient`` (at the current parameters), ``update(grad, lr)``
    (p <- p - lr_s dL/dp for network s), ``arrays()`` (a copy of the parameters) and
    ``rank_one()`` (m, n, b as (S, N) arrays, for the latent records).
    """
    cls = {"closed": ClosedEngine, "numpy": NumpyEngine, "autograd": AutogradEngine}[backend]
    return cls(arrays, template, task)


class ClosedEngine:
    """Rank one, latent readout: :func:`rank_one_gradient` on (S, N) arrays."""

    def __init__(self, arrays: dict, template: LowRankRNN, task: DATask) -> None:
        self.m = np.array(arrays["m"][..., 0], dtype=np.float64)
        self.n = np.array(arrays["n"][..., 0], dtype=np.float64)
        self.b = np.array(arrays["b"], dtype=np.float64)
        self.c = np.array(arrays["confidence"], dtype=np.float64)
        self.alpha, self.x0, self.task = template.alpha, template.x0, task

    def gradient(self) -> DAGradient:
        return rank_one_gradient(self.m, self.n, self.b, self.c, task=self.task, alpha=self.alpha, x0=self.x0)

    def update(self, grad: DAGradient, lr: np.ndarray) -> None:
        step = lr[:, None]
        self.m, self.n, self.b = (self.m - step * grad.grads["m"], self.n - step * grad.grads["n"],
                                  self.b - step * grad.grads["b"])

    def arrays(self) -> dict:
        return {"m": self.m[..., None].copy(), "n": self.n[..., None].copy(), "b": self.b.copy(),
                "confidence": self.c.copy()}

    def rank_one(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.m, self.n, self.b


class NumpyEngine:
    """Any rank and readout: the hand-written BPTT :func:`lowrank_gradient` on stacked arrays."""

    def __init__(self, arrays: dict, template: LowRankRNN, task: DATask) -> None:
        self.params = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
        self.alpha, self.x0, self.task = template.alpha, template.x0, task

    def gradient(self) -> DAGradient:
        return lowrank_gradient(self.params, task=self.task, alpha=self.alpha, x0=self.x0)

    def update(self, grad: DAGradient, lr: np.ndarray) -> None:
        new = dict(self.params)
        for name, g in grad.grads.items():
            new[name] = self.params[name] - lr.reshape(-1, *([1] * (g.ndim - 1))) * g
        self.params = new

    def arrays(self) -> dict:
        return {k: v.copy() for k, v in self.params.items()}

    def rank_one(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.params["m"][..., 0], self.params["n"][..., 0], self.params["b"]


class AutogradEngine:
    """Any rank and readout: the batched torch module and ``torch.autograd.grad``."""

    def __init__(self, arrays: dict, template: LowRankRNN, task: DATask) -> None:
        import torch

        self.module = _module_class()(arrays, alpha=template.alpha, x0=template.x0)
        self.targets = torch.tensor(task.targets, dtype=torch.float64)
        self.task = task
        self._grads = None

    def gradient(self) -> DAGradient:
        import torch

        outputs = self.module(self.task.steps)
        loss = ((outputs - self.targets) ** 2).sum(dim=1) / self.task.delay
        params = dict(self.module.named_parameters())
        self._grads = dict(zip(params, torch.autograd.grad(loss.sum(), list(params.values())), strict=True))
        return DAGradient(loss=loss.detach().numpy().copy(), outputs=outputs.detach().numpy().copy(),
                          grads={k: g.numpy() for k, g in self._grads.items()})

    def update(self, grad: DAGradient, lr: np.ndarray) -> None:
        import torch

        rate = torch.tensor(lr, dtype=torch.float64)
        with torch.no_grad():
            for name, p in self.module.named_parameters():
                p -= rate.view(-1, *([1] * (p.dim() - 1))) * self._grads[name]
        self._grads = None

    def arrays(self) -> dict:
        return self.module.arrays()

    def rank_one(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = self.module.arrays()
        return a["m"][..., 0], a["n"][..., 0], a["b"]
