"""``train``: BPTT with teacher forcing for the PLRNN family, seeded, recorded, resumable."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...models.nn import build_model
from .._history import read_history
from .._loop import run_epochs
from ._data import RunData, Windows, data_hash, load_run_data
from ._forcing import jacobian_norm_estimate, optimal_alpha, unroll, update_alpha
from ._run import History, RunFolder
from ._settings import TrainSettings, read_settings, write_settings
from ._state import Progress, load_state, save_checkpoint_file, save_state

#: |g(z)| beyond this (data are z-scored) is a state blow-up: training stops.
BLOWUP = 1e6


@dataclass(frozen=True)
class TrainResult:
    """How a run ended: ``status`` "finished" or "diverged" (with ``reason``), at ``epoch``."""

    run: Path
    status: str
    epoch: int
    epochs: int
    loss: float
    alpha: float
    elapsed: float
    reason: str | None = None

    def summary(self) -> str:
        """The one line ``bifwatch train`` ends with."""
        saved = len(RunFolder(self.run).saved_epochs())
        head = (f"trained {self.epoch} epochs" if self.status == "finished"
                else f"diverged at epoch {self.epoch} of {self.epochs}: {self.reason}")
        return (f"{head}; final loss {self.loss:.4g}, alpha {self.alpha:.3g}, {self.elapsed:.1f} s; "
                f"{saved} checkpoints in {self.run / 'checkpoints'}")


class Diverged(Exception):
    """The loss or the state left the finite range; training stops with this reason."""


def train(settings: TrainSettings, out: str | os.PathLike, *, resume: bool = False,
          progress: bool = False, on_checkpoint: Callable[[int, Path], None] | None = None) -> TrainResult:
    """Train a reconstruction model as ``settings`` say, into the run folder ``out``.

    Parameters
    ----------
    settings : TrainSettings
    out : path
        The run folder (created). See :mod:`bifwatch.training.dsr` for what it holds.
    resume : bool, default False
        Continue the run in ``out`` (interrupted by Ctrl-C, SIGTERM or kill -9): it ends exactly
        where the uninterrupted run ends. A folder without a run starts afresh.
    progress : bool, default False
        A bar with the loss and alpha, on a terminal only.
    on_checkpoint : callable, optional
        ``on_checkpoint(epoch, path)`` after each checkpoint file is written (on resume, first
        for each one already there), e.g. to hand it to a :class:`bifwatch.Monitor`.

    Returns
    -------
    TrainResult
        ``status`` "finished", or "diverged" when the loss became NaN/Inf or the state blew up
        (the record up to then is kept, the last finite parameters are the last checkpoint).

    Raises
    ------
    FileExistsError
        ``out`` holds a run and ``resume`` is False, or holds other files.
    ValueError
        Bad data, settings that do not fit the data, or ``resume`` with other settings.
    KeyboardInterrupt
        On Ctrl-C, after saving what resuming needs.
    """
    settings = settings.replace(data_hash=data_hash(settings))
    folder = RunFolder(out)
    fresh = _check_folder(folder, settings, resume)
    data = load_run_data(settings)
    trainer = _Trainer(settings, data, folder, on_checkpoint)
    if fresh:
        trainer.start()
    else:
        trainer.restore()
        if on_checkpoint is not None:
            for epoch in folder.saved_epochs():
                on_checkpoint(epoch, folder.checkpoint(epoch))
        done = folder.read_status()
        if done.get("status") in ("finished", "diverged"):
            return trainer.result(done["status"], done.get("reason"))
    return trainer.run(progress)


def _start_from(model, path: str, kind: str) -> None:
    """Copy the parameters of the model file ``path`` into ``model.latent`` (same kind and sizes)."""
    from ...models import load_model

    try:
        start = load_model(path)
    except (OSError, ValueError, TypeError) as err:
        raise ValueError(f"--init {path!r} is not a readable model file: {err}") from None
    if start.kind != kind:
        raise ValueError(f"--init {path!r} holds a {start.kind}; the run trains a {kind}")
    ours = model.latent.to_analysis().parameters()
    theirs = start.parameters()
    shapes = {k: np.shape(v) for k, v in ours.items()}
    if {k: np.shape(v) for k, v in theirs.items()} != shapes:
        raise ValueError(f"--init {path!r}: its parameters have the shapes "
                         f"{ {k: np.shape(v) for k, v in theirs.items()} }; the run's model needs {shapes}")
    latent = type(model.latent).from_analysis(start, dtype=next(model.parameters()).dtype,
                                              device=next(model.parameters()).device)
    model.latent.load_state_dict(latent.state_dict())


def _check_folder(folder: RunFolder, settings: TrainSettings, resume: bool) -> bool:
    """True for a fresh start; refuses a folder that holds something else or another run."""
    if folder.root.exists() and not folder.root.is_dir():
        raise FileExistsError(f"--out {str(folder.root)!r} is a file, not a folder")
    if folder.config.exists():
        if not resume:
            raise FileExistsError(f"{str(folder.root)!r} already holds a training run: add --resume to "
                                  "continue it, or choose another --out")
        saved = read_settings(folder.config)
        differ = saved.differences(settings)
        if differ:
            words = ", ".join(f"{n} ({getattr(saved, n)!r} there, {getattr(settings, n)!r} now)"
                              for n in differ)
            raise ValueError(f"--resume: the run in {str(folder.root)!r} has other settings: {words}; "
                             "resume with its own settings (--config RUN/config.toml) or choose another "
                             "--out")
        return not folder.state.exists()
    if folder.root.is_dir() and any(folder.root.iterdir()):
        raise FileExistsError(f"--out {str(folder.root)!r} is not empty and holds no training run; "
                              "choose a new or empty folder")
    return True


class _Trainer:
    def __init__(self, settings: TrainSettings, data: RunData, folder: RunFolder,
                 on_checkpoint: Callable[[int, Path], None] | None = None) -> None:
        self.settings, self.data, self.folder = settings, data, folder
        self.on_checkpoint = on_checkpoint
        dtype = getattr(torch, settings.dtype)
        device = _device(settings.device)
        N = data.N
        M = settings.latent if settings.latent is not None else N
        if settings.observation == "identity" and M < N:
            raise ValueError(f"the data have N = {N} observed dimensions, more than --latent {M}: the "
                             f"identity observation needs latent >= N (or use --observation affine)")
        shallow = settings.model in ("shplrnn", "clipped-shplrnn")
        if settings.model == "alrnn" and settings.P > M:
            raise ValueError(f"--P {settings.P} is more than the latent dimension {M}")
        self.model = build_model(settings.model, N=N, M=M, L=settings.hidden if shallow else None,
                                 P=settings.P if settings.model == "alrnn" else None,
                                 observation=settings.observation, seed=settings.seed, dtype=dtype,
                                 device=device)
        if settings.init is not None:
            _start_from(self.model, settings.init, settings.model)
        optimiser = torch.optim.RAdam if settings.optimizer == "radam" else torch.optim.SGD
        self.optimiser = optimiser(self.model.parameters(), lr=settings.lr[0])
        self.generator = torch.Generator().manual_seed(settings.seed + 7919)  # not the init's stream
        self.windows = Windows(data.trials, settings.seq_len + 1, dtype=dtype, device=device)
        self.names = [name.split(".", 1)[1] for name, _ in self.model.named_parameters()]
        columns = ["epoch", "loss", "grad_norm", "grad_norm_max", *(f"grad_norm/{n}" for n in self.names),
                   "lr", "alpha", "wall_time", "epoch_time"]
        self.history = History(folder.history, columns)
        alpha = {"agtf": settings.alpha0, "gtf": settings.alpha}.get(settings.forcing, 0.0)
        self.progress = Progress(alpha=alpha)
        self.last_loss = math.nan

    # -- life of the folder --------------------------------------------------------------

    def start(self) -> None:
        self.folder.create()
        write_settings(self.settings, self.folder.config)
        self.history.start(keep_through=None)
        self._checkpoint(0)
        save_state(self.folder, self.model, self.optimiser, self.generator, self.progress)
        self.folder.write_status("running", epoch=0)

    def restore(self) -> None:
        self.progress = load_state(self.folder, self.model, self.optimiser, self.generator)
        self.history.start(keep_through=self.progress.epoch)
        for epoch in self.folder.saved_epochs():  # written after the resume state: rewritten identically
            if epoch > self.progress.epoch:
                self.folder.checkpoint(epoch).unlink()
        losses = read_history(self.folder.history)["loss"]
        self.last_loss = float(losses[-1]) if losses.size else math.nan

    def run(self, progress: bool) -> TrainResult:
        s, p = self.settings, self.progress

        def save() -> None:
            save_state(self.folder, self.model, self.optimiser, self.generator, p)
            self.folder.write_status("running", epoch=p.epoch)  # the epoch a resume starts from

        def describe() -> dict:
            return {"loss": f"{self.last_loss:.4g}", "alpha": f"{p.alpha:.3g}"}

        try:
            run_epochs(self._epoch, start=p.epoch, epochs=s.epochs, save=save, every=s.checkpoint_every,
                       progress=progress, describe=describe)
        except Diverged as err:
            self._checkpoint(p.epoch)
            save()
            self.folder.write_status("diverged", epoch=p.epoch, reason=str(err))
            return self.result("diverged", str(err))
        except KeyboardInterrupt:
            self.folder.write_status("interrupted", epoch=p.epoch)
            raise
        if s.epochs % s.checkpoint_every:
            self._checkpoint(s.epochs)
            save()
        self.folder.write_status("finished", epoch=p.epoch)
        return self.result("finished", None)

    def _checkpoint(self, epoch: int) -> None:
        save_checkpoint_file(self.folder, self.model, epoch)
        if self.on_checkpoint is not None:
            self.on_checkpoint(epoch, self.folder.checkpoint(epoch))

    def result(self, status: str, reason: str | None) -> TrainResult:
        p = self.progress
        return TrainResult(run=self.folder.root, status=status, epoch=p.epoch, epochs=self.settings.epochs,
                           loss=self.last_loss, alpha=p.alpha, elapsed=p.elapsed, reason=reason)

    # -- one epoch -------------------------------------------------------------------------

    def _epoch(self, e: int) -> None:
        s, p = self.settings, self.progress
        began = time.perf_counter()
        lr = s.lr[0] * (s.lr[1] / s.lr[0]) ** (e / s.epochs)
        for group in self.optimiser.param_groups:
            group["lr"] = lr
        losses, norms, parts = [], [], []
        try:
            for _ in range(s.batches_per_epoch):
                loss, norm, part = self._step()
                losses.append(loss)
                norms.append(norm)
                parts.append(part)
        except Diverged:
            self._record(e + 1, [math.nan], norms or [math.nan], parts, lr, began)
            p.epoch = e + 1
            raise
        self._record(e + 1, losses, norms, parts, lr, began)
        p.epoch = e + 1
        if p.epoch % s.checkpoint_every == 0:
            self._checkpoint(p.epoch)

    def _step(self) -> tuple[float, float, torch.Tensor]:
        s, p, model = self.settings, self.progress, self.model
        batch = self.windows.draw(s.batch_size, self.generator, s.batch_noise)
        inputs, targets = batch[:, :-1], batch[:, 1:]
        if s.forcing == "agtf" and p.step % s.alpha_every == 0:
            estimate = optimal_alpha(jacobian_norm_estimate(model, batch[:, 1:], s.alpha_method))
            p.alpha = update_alpha(p.alpha, estimate, s.alpha_decay)
        predictions = unroll(model, inputs, forcing=s.forcing, alpha=p.alpha, tau=s.tau)
        mse = (predictions - targets).square().mean()
        value = float(mse.detach())
        if not math.isfinite(value):
            raise Diverged(f"the loss became {value} at optimiser step {p.step}")
        peak = float(predictions.detach().abs().max())
        if peak > BLOWUP:
            raise Diverged(f"state blow-up: a prediction reached |x| = {peak:.3g} at optimiser step {p.step}")
        loss = mse + s.regularisation * model.latent.regularisation() if s.regularisation else mse
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        part = torch.stack([q.grad.detach().norm() if q.grad is not None else q.new_zeros(())
                            for q in model.parameters()])
        norm = float(part.norm())
        if not math.isfinite(norm):
            raise Diverged(f"the gradient norm became {norm} at optimiser step {p.step}")
        before = [q.detach().clone() for q in model.parameters()]
        self.optimiser.step()
        if not bool(torch.stack([q.isfinite().all() for q in model.parameters()]).all()):
            with torch.no_grad():
                for q, old in zip(model.parameters(), before, strict=True):
                    q.copy_(old)
            raise Diverged(f"a parameter overflowed in optimiser step {p.step}")
        p.step += 1
        self.last_loss = value
        return value, norm, part

    def _record(self, epoch: int, losses, norms, parts, lr: float, began: float) -> None:
        p = self.progress
        took = time.perf_counter() - began
        p.elapsed += took
        mean_parts = torch.stack(parts).mean(0).tolist() if parts else [math.nan] * len(self.names)
        loss = sum(losses) / len(losses)
        self.last_loss = loss
        row = {"epoch": epoch, "loss": loss, "grad_norm": sum(norms) / len(norms),
               "grad_norm_max": max(norms), "lr": lr, "alpha": p.alpha, "wall_time": round(p.elapsed, 4),
               "epoch_time": round(took, 4)}
        row.update({f"grad_norm/{n}": v for n, v in zip(self.names, mean_parts, strict=True)})
        self.history.append(row)


def _device(name: str) -> torch.device:
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine (torch "
                         f"{torch.__version__}); use --device cpu")
    return torch.device(name)


def train_task(task: tuple[dict, str, bool]) -> dict:
    """One run of a sweep (``bifwatch train --seeds``): (settings as a dict, folder, resume) -> summary.

    Module-level so worker processes and Dask can pickle it. A run folder left by an interrupted
    sweep is continued (its own resume state), so a resumed sweep ends as an uninterrupted one.
    """
    values, out, resume = task
    values = {**values, "lr": tuple(values["lr"])}
    result = train(TrainSettings(**values), out, resume=resume or RunFolder(out).config.exists())
    return {"status": result.status, "epoch": result.epoch, "loss": result.loss, "summary": result.summary()}
