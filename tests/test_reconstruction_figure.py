"""The reconstruction figure (``plotting.plot_reconstruction``, ``Reconstruction.plot``)."""

from __future__ import annotations

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.metrics import evaluate_reconstruction, power_spectra
from bifwatch.plotting import plot_reconstruction

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _series(rng, T, N):
    t = np.arange(T) * 0.05
    return np.column_stack([np.sin((d + 1) * t + d) for d in range(N)]) + 0.01 * rng.standard_normal((T, N))


def test_three_dimensions_are_a_3d_projection_with_the_spectra(rng):
    x, y = _series(rng, 400, 4), _series(rng, 400, 4) * 1.1
    p, q = power_spectra(x, smoothing=2.0), power_spectra(y, smoothing=2.0)
    fig = plot_reconstruction(x, y, spectra_true=p, spectra_generated=q, dims=(0, 2, 3), title="run 1")
    attractor, *panels = fig.axes
    assert attractor.name == "3d" and len(panels) == 3 and fig.get_suptitle() == "run 1"
    true, generated = attractor.lines
    np.testing.assert_array_equal(np.array(true.get_data_3d()), x[:, [0, 2, 3]].T)
    np.testing.assert_array_equal(np.array(generated.get_data_3d()), y[:, [0, 2, 3]].T)
    assert attractor.get_legend_handles_labels()[1] == ["true", "generated"]
    frequency = np.arange(201) / 400
    for ax, d in zip(panels, (0, 2, 3), strict=True):
        assert ax.get_yscale() == "log" and ax.get_ylabel() == f"power, x{d + 1}"
        (f_true, s_true), (f_gen, s_gen) = (line.get_data() for line in ax.lines)
        keep = p[d] > 0
        np.testing.assert_array_equal(f_true, frequency[keep])
        np.testing.assert_array_equal(s_true, p[d][keep])
        np.testing.assert_array_equal(f_gen, frequency[q[d] > 0])
        np.testing.assert_array_equal(s_gen, q[d][q[d] > 0])
    assert panels[-1].get_xlabel() == "frequency (cycles per step)"


def test_two_dimensions_are_a_plane_and_one_a_time_series(rng):
    x = _series(rng, 300, 2)
    plane = plot_reconstruction(x, x[::-1])
    assert len(plane.axes) == 1 and plane.axes[0].name == "rectilinear"
    np.testing.assert_array_equal(plane.axes[0].lines[1].get_xydata(), x[::-1])
    series = plot_reconstruction(x[:, 1], x[:50, 1])  # a shorter generated series is drawn as it is
    ax = series.axes[0]
    assert ax.get_xlabel() == "time step" and ax.get_title() == "time series"
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), np.c_[np.arange(300), x[:, 1]])
    np.testing.assert_array_equal(ax.lines[1].get_xydata(), np.c_[np.arange(50), x[:50, 1]])


def test_non_finite_points_and_spectra_are_left_out(rng):
    x = _series(rng, 200, 2)
    y = x.copy()
    y[150:] = np.nan
    p = power_spectra(x)
    q = np.full_like(p, np.nan)
    fig = plot_reconstruction(x, y, spectra_true=p, spectra_generated=q, fig=matplotlib.figure.Figure())
    assert len(fig.axes[0].lines[1].get_xydata()) == 150
    assert all(len(ax.lines) == 1 for ax in fig.axes[1:])  # the true spectrum only
    assert fig.axes[-1].get_xlabel() == "frequency (cycles per step)"
    other = plot_reconstruction(x, y, spectra_true=p[:, :40], spectra_generated=p[:, :40])
    assert other.axes[-1].get_xlabel() == "frequency bin"  # spectra of another length: bin index


def test_the_result_plots_itself_and_saves_to_png(tmp_path):
    model = bw.load_model("example:cycle6")
    x = model.trajectory([0.1, 0.2], 3000)[400:] + 0.0
    result = evaluate_reconstruction(bw.PLRNN(A=[[0.9, -0.6], [0.7, -0.7]], W=[[-0.4, 0.2], [1.3, 1.25]],
                                              h=[0.5, -0.5]), x)
    fig = result.plot()
    assert len(fig.axes) == 3 and fig.get_suptitle().startswith("D_stsp = ")
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(),
                                  power_spectra(x)[0][power_spectra(x)[0] > 0])
    path = tmp_path / "reconstruction.png"
    fig.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(result.plot(spectra=False).axes) == 1


def test_a_diverged_result_still_draws():
    result = evaluate_reconstruction(bw.PLRNN(A=[1.5], W=[[0.0]], h=[1.0]), np.sin(0.3 * np.arange(2000)))
    fig = result.plot()
    assert fig.get_suptitle().endswith("(diverged)")
    assert len(fig.axes[1].lines) == 1  # the generated spectrum is undefined


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"generated": np.zeros((10, 3))}, "`generated` must have N = 2 columns"),
        ({"true": np.zeros((0, 2))}, r"`true` must have shape \(T, N\)"),
        ({"dims": (0, 2)}, "`dims` must be 1 to 3 distinct dimensions in 0 .. 1"),
        ({"dims": (0, 0)}, "`dims`"),
        ({"dims": ()}, "`dims`"),
        ({"dims": (0.5,)}, "`dims`"),
        ({"spectra_true": np.ones((2, 6))}, "given together"),
        ({"spectra_true": np.ones((3, 6)), "spectra_generated": np.ones((3, 6))}, r"\(N, F\) with N = 2"),
        ({"spectra_true": np.ones((2, 6)), "spectra_generated": np.ones((2, 5))}, r"shape \(N, F\)"),
    ],
    ids=["generated-N", "empty", "dims-range", "dims-repeat", "dims-empty", "dims-float", "one-spectrum",
         "spectra-N", "spectra-F"],
)
def test_bad_input(kwargs, match):
    args = {"true": np.ones((10, 2)), "generated": np.ones((10, 2)), **kwargs}
    with pytest.raises(ValueError, match=match):
        plot_reconstruction(args.pop("true"), args.pop("generated"), **args)
