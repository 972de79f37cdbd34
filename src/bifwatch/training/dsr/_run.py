"""The folder of a training run: what each file holds (docs/training.md, "The run folder").

::

    RUN/config.toml                 every setting (TOML), so the run can be repeated
    RUN/history.csv                 one row per finished epoch, written as the run goes
    RUN/checkpoints/epoch_EEEEEE.npz  the model at epoch E (load_model reads it), nothing else
    RUN/state/resume.pt             optimiser, random generator, alpha: what --resume needs
    RUN/status.json                 running | finished | diverged | interrupted, and why
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

from ..._json import write_json

CHECKPOINT_NAME = re.compile(r"^epoch_(\d+)\.npz$")


class RunFolder:
    """Paths of a run folder and the small atomic writes into it."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.checkpoints = self.root / "checkpoints"
        self.config = self.root / "config.toml"
        self.history = self.root / "history.csv"
        self.state = self.root / "state" / "resume.pt"
        self.status = self.root / "status.json"

    def checkpoint(self, epoch: int) -> Path:
        return self.checkpoints / f"epoch_{epoch:06d}.npz"

    def saved_epochs(self) -> list[int]:
        """Epochs of the checkpoint files present, ascending."""
        if not self.checkpoints.is_dir():
            return []
        found = (CHECKPOINT_NAME.match(p.name) for p in self.checkpoints.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def create(self) -> None:
        for folder in (self.checkpoints, self.state.parent):
            folder.mkdir(parents=True, exist_ok=True)

    def write_status(self, status: str, **details) -> None:
        write_json({"status": status, **details}, self.status, indent=2)

    def read_status(self) -> dict:
        try:
            return json.loads(self.status.read_text())
        except (OSError, ValueError):
            return {}


class History:
    """``history.csv``: a header, then one row per finished epoch, flushed as each is written.

    On resume the file is cut back to the epochs the resume state has seen, so a run killed
    between a row and its resume state repeats those epochs, identically.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns

    def start(self, *, keep_through: int | None) -> None:
        """A new file (``keep_through`` None), or the existing one cut to epochs <= keep_through."""
        rows = []
        if keep_through is not None and self.path.exists():
            with open(self.path, newline="") as handle:
                reader = csv.DictReader(handle)
                if reader.fieldnames != self.columns:
                    raise ValueError(f"{str(self.path)!r} has other columns than this run writes; "
                                     "it does not belong to this run")
                rows = [r for r in reader if int(r["epoch"]) <= keep_through]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, self.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(buffer.getvalue())
        os.replace(tmp, self.path)

    def append(self, row: dict) -> None:
        with open(self.path, "a", newline="") as handle:
            csv.DictWriter(handle, self.columns, lineterminator="\n").writerow(
                {k: _cell(row[k]) for k in self.columns})
            handle.flush()
            os.fsync(handle.fileno())


def _cell(value) -> str:
    if isinstance(value, float):  # numpy floats too: their repr is "np.float64(...)"
        return repr(float(value))
    return str(value)
