"""The state-space figure of a cycle search (``CycleSearchResult.plot``, ``plotting.plot_cycles``)."""

from __future__ import annotations

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.plotting import plot_cycles

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def cycle6():
    return bw.find_cycles(bw.load_model("example:cycle6"), max_order=6, seed=0)


def test_the_figure_draws_what_it_is_given(cycle6):
    orbits = cycle6.sample_orbits(7, steps=30, seed=2)
    assert orbits.shape == (7, 31, 2)
    ax = plot_cycles(cycle6, trajectories=orbits)
    dots = ax.collections[0].get_offsets()
    assert len(dots) == np.isfinite(orbits).all(axis=-1).sum()  # every finite iterate, nothing else
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["7 orbits from random starts (light: early, dark: late)", "unstable fixed point",
                      "stable 6-cycle", "unstable 6-cycle", "region borders"]
    assert ax.get_title() == "3 cycles up to order 6: 1 stable (filled), 2 unstable (open)"


def test_the_same_seed_draws_the_same_orbits(cycle6):
    np.testing.assert_array_equal(cycle6.sample_orbits(3, seed=5), cycle6.sample_orbits(3, seed=5))


def test_one_dimensional_figure_keeps_its_frame():
    """M = 1: no orbits on the orbit-index axis, and the view stays on the cycles."""
    result = bw.find_cycles(bw.load_model("example:tent"), max_order=3, seed=0)
    plain, with_orbits = result.plot(), result.plot(trajectories=20)
    assert with_orbits.get_xlim() == plain.get_xlim()
    assert len(with_orbits.collections) == len(plain.collections) == 0


@pytest.mark.parametrize("orbits", [np.zeros((3, 5)), np.zeros((3, 5, 3))], ids=["2-d", "wrong-M"])
def test_orbits_of_the_wrong_shape(cycle6, orbits):
    with pytest.raises(ValueError, match=r"`trajectories` must have shape \(n, T, M\) with M = 2"):
        plot_cycles(cycle6, trajectories=orbits)


@pytest.mark.parametrize(("n", "error"), [(-1, ValueError), (2.5, TypeError)])
def test_sample_orbits_bad_count(cycle6, n, error):
    with pytest.raises(error, match="`n`"):
        cycle6.sample_orbits(n)
