"""Studies: the paper-specific experiments, each its own subpackage, built on the generic floors.

- :mod:`bifwatch.studies.toy`: the saddle-node toy model dx/dt = r + x² of abrupt learning on the
  delayed-activation task (Dinc et al., arXiv 2501.02378, section 3).
- :mod:`bifwatch.studies.lowrank`: low-rank leaky tanh RNNs on the delayed-activation task, their
  latent flow, ghosts and the no-learning zone (the same paper, sections 4-5).

Import a study by name (``from bifwatch.studies import toy``); nothing here is re-exported by
``bifwatch`` itself.
"""

__all__: list[str] = []
