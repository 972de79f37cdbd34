"""``bifwatch demo``: train a small model that goes through bifurcations, monitor it, report."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ...datasets import plrnn_cycle_teacher
from ...models import PLRNN, load_model, save_model
from ...monitor import Monitor, MonitorRecord
from ...training import read_history
from ..loss_jumps import initial_students, student_model


@dataclass(frozen=True)
class DemoSettings:
    """What the demo trains and how it is watched.

    The student is the teacher (:func:`bifwatch.datasets.plrnn_cycle_teacher`) with its six
    parameters (diagonal A, the two off-diagonal W, h) moved by ``init_scale`` N(0, 1) (seed
    ``seed``), trained by plain full-batch gradient descent (``lr``) with GTF (``alpha``) on the
    teacher's ``steps``-step series, the loss-jumps paper's set-up; every ``checkpoint_every``-th
    epoch goes to the monitor, which follows cycles of orders 1..``max_order``.
    """

    seed: int = 5
    init_scale: float = 0.3
    lr: float = 0.05
    alpha: float = 0.1
    steps: int = 500
    epochs: int = 400
    checkpoint_every: int = 2
    max_order: int = 8


#: The demo's settings: seed 5 is a student whose gradient descent oscillates across the
#: border collisions of its fixed point, so its loss jumps (about 50 s here).
DEMO = DemoSettings()


@dataclass(frozen=True, eq=False)
class DemoResult:
    """The monitor's record of the demo run, where its files are, and how long it took."""

    record: MonitorRecord
    out: Path
    train_seconds: float
    total_seconds: float
    status: str

    @property
    def events(self) -> Path:
        return self.out / "events.json"

    @property
    def report(self) -> Path:
        return self.out / "report.html"


def perturbed_teacher(seed: int, scale: float) -> PLRNN:
    """The 16-cycle teacher with A's diagonal, W's off-diagonal and h moved by ``scale`` N(0, 1):
    the loss-jumps study's student of seed ``seed`` (:func:`bifwatch.studies.loss_jumps.initial_students`).

    >>> perturbed_teacher(0, 0.0).h.tolist() == plrnn_cycle_teacher().h.tolist()
    True
    """
    theta, _ = initial_students(plrnn_cycle_teacher(), runs=1, seed=seed, scale=scale)
    return student_model(theta[0])


def run_demo(out: str | os.PathLike, *, settings: DemoSettings = DEMO, resume: bool = False,
             progress: bool = False) -> DemoResult:
    """Train the demo student with :func:`bifwatch.training.dsr.train` and watch it with a
    :class:`bifwatch.Monitor`: ``OUT/run`` (the training run), ``OUT/init.npz`` (the start),
    ``OUT/events.json`` and ``OUT/report.html``.

    Raises
    ------
    FileExistsError
        ``out`` holds a demo already and ``resume`` is False (or holds something else).
    KeyboardInterrupt
        On Ctrl-C, after the run saved what ``resume=True`` needs.
    """
    from ...training.dsr import TrainSettings, train

    began = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not resume:
        raise FileExistsError(f"--out {os.fspath(out)!r} is not empty: choose a new folder, or add --resume "
                              "to continue an interrupted demo there")
    out.mkdir(parents=True, exist_ok=True)
    start = out / "init.npz"
    if not start.exists():
        save_model(perturbed_teacher(settings.seed, settings.init_scale), start)
    training = TrainSettings(
        system="plrnn-cycle", steps=settings.steps, model="plrnn", latent=2, init=os.fspath(start),
        optimizer="sgd", lr=(settings.lr, settings.lr), forcing="gtf", alpha=settings.alpha,
        seq_len=settings.steps - 1, batch_size=1, batches_per_epoch=1, regularisation=0.0,
        epochs=settings.epochs, checkpoint_every=settings.checkpoint_every, seed=settings.seed)
    monitor = Monitor(out, max_order=settings.max_order, every=settings.checkpoint_every, write_files=False)

    def watch(epoch: int, path: Path) -> None:
        monitor.checkpoint(epoch, load_model(path), path=path)

    try:
        result = train(training, out / "run", resume=resume, progress=progress, on_checkpoint=watch)
    except BaseException:
        monitor.abandon()
        raise
    trained = time.perf_counter() - began
    record = monitor.finish(history=read_history(out / "run" / "history.csv"), progress=progress)
    return DemoResult(record, out, trained, time.perf_counter() - began, result.status)
