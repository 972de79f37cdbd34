"""The per-epoch record of a training run: named curves, one value per run and epoch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class EpochRecord:
    """Per-epoch curves of S runs trained side by side, kept as the run goes.

    ``curves[name]`` has shape (S, E): NaN until epoch e is recorded. A checkpoint holds the
    recorded part (:meth:`dump`), so a resumed run continues the same arrays (:meth:`load`).

    Examples
    --------
    >>> record = EpochRecord.new(("loss", "grad_norm"), runs=2, epochs=3)
    >>> record.record(0, loss=[1.0, 2.0], grad_norm=[0.1, 0.2])
    >>> record.curves["loss"].tolist()
    [[1.0, nan, nan], [2.0, nan, nan]]
    >>> sorted(record.dump(1))
    ['curve/grad_norm', 'curve/loss']
    """

    curves: dict[str, np.ndarray]

    @classmethod
    def new(cls, names: tuple[str, ...], *, runs: int, epochs: int) -> EpochRecord:
        return cls({name: np.full((runs, epochs), np.nan) for name in names})

    def record(self, epoch: int, **values) -> None:
        """Store the values of one epoch; every curve must be given (a value, or one per run)."""
        missing = self.curves.keys() - values.keys()
        unknown = values.keys() - self.curves.keys()
        if missing or unknown:
            raise ValueError(f"record takes exactly the curves {sorted(self.curves)}; "
                             f"missing {sorted(missing)}, unknown {sorted(unknown)}")
        for name, value in values.items():
            self.curves[name][:, epoch] = value

    def dump(self, epoch: int) -> dict[str, np.ndarray]:
        """The recorded part, epochs 0..epoch-1, keyed ``curve/NAME`` for a checkpoint."""
        return {f"curve/{name}": v[:, :epoch] for name, v in self.curves.items()}

    def load(self, saved: dict[str, np.ndarray], epoch: int) -> None:
        """Fill epochs 0..epoch-1 from what :meth:`dump` wrote."""
        for name, v in self.curves.items():
            v[:, :epoch] = saved[f"curve/{name}"]
