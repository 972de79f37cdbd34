"""What ``--resume`` needs (parameters, optimiser, random generator, alpha, counters), and the
model checkpoints; each written through a temporary file in ``RUN/state/`` and ``os.replace``."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from ...models import save_model
from ...models.nn import DSRModel
from ._run import RunFolder


@dataclass
class Progress:
    """The counters of a run that are not in the modules: where it is and its current alpha."""

    epoch: int = 0      # finished epochs
    step: int = 0       # optimiser steps taken
    alpha: float = 0.0
    elapsed: float = 0.0  # seconds of training so far, over all sessions


def save_checkpoint_file(folder: RunFolder, model: DSRModel, epoch: int) -> None:
    """``checkpoints/epoch_EEEEEE.npz``: the analysis model and its observation, float64.

    Written in ``RUN/state/`` first, so the checkpoint folder never holds a partial file.
    """
    tmp = folder.state.parent / "checkpoint.tmp.npz"
    latent, observation = model.to_analysis()
    save_model(latent, tmp, observation=observation)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, folder.checkpoint(epoch))


def save_state(folder: RunFolder, model: DSRModel, optimiser, generator: torch.Generator,
               progress: Progress) -> None:
    tmp = folder.state.with_name("resume.pt.tmp")
    payload = {
        "model": model.state_dict(), "optimiser": optimiser.state_dict(),
        "generator": generator.get_state(), "progress": vars(progress).copy(),
    }
    with open(tmp, "wb") as handle:
        torch.save(payload, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder.state)


def load_state(folder: RunFolder, model: DSRModel, optimiser, generator: torch.Generator) -> Progress:
    try:
        payload = torch.load(folder.state, map_location=model.latent.A.device, weights_only=True)
        model.load_state_dict(payload["model"])
        optimiser.load_state_dict(payload["optimiser"])
        generator.set_state(payload["generator"].cpu())
        return Progress(**payload["progress"])
    except (OSError, RuntimeError, KeyError, TypeError, EOFError, ValueError) as err:
        raise ValueError(f"the resume state {str(folder.state)!r} cannot be read ({err}); "
                         "remove the run folder to start afresh") from None
