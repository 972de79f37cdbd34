"""``gradient-theorem``: the loss gradient at a degenerate transcritical bifurcation and across a BCB.

Both on 1-D PLRNNs z' = a z + w relu(z) + h, where everything has a closed form to check against:

- DTB (w = 0): the fixed point z* = h / (1 - a) runs off to infinity as a → 1⁻. For the
  stationary loss L = (z* - y)², dL/da = 2 (z* - y) h / (1 - a)² ~ 2 h² / (1 - a)³: slope -3
  on a log-log plot. A T-step trajectory from z_0 = 0 never reaches a far-off z*, so its
  gradient saturates once 1 - a < ~1/T.
- BCB (a = 0.5, w = -0.3, sweeping h through 0): z* = h / (1 - a) below, h / (1 - a - w) above;
  z* is continuous, the Jacobian jumps from a to a + w, so dL/dh jumps by a finite amount
  (-2y / (1 - a) to -2y / (1 - a - w) at the border) and dL/dw is exactly 0 while the unit is off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import finite_or_none, write_json
from ...bifurcations import bifurcation_diagram
from ...models import PLRNN
from ...search import find_cycles


def fixed_point_gradient(model: PLRNN, point, target) -> dict[str, np.ndarray]:
    r"""dL/dθ of L = |z* - y|² at a fixed point z* of ``model``, by implicit differentiation in its region.

    Parameters
    ----------
    model : PLRNN
        Diagonal A.
    point : array, shape (M,)
        The fixed point (e.g. from :func:`bifwatch.find_cycles`).
    target : array, shape (M,)

    Returns
    -------
    dict with "A" (M,), "W" (M, M), "h" (M,)

    Notes
    -----
    In the region of z*, z* = J z* + h with J = diag(a) + W D, so
    (I - J) dz* = (∂J/∂θ) z* + ∂h/∂θ. With the adjoint g = (I - J)^{-T} 2 (z* - y):
    dL/da_i = g_i z*_i, dL/dW_ij = g_i φ(z*_j), dL/dh_i = g_i. The norm grows like
    1/|1 - λ| as an eigenvalue λ of J reaches +1 (Eisenmann et al. 2023, section 3).

    Examples
    --------
    >>> g = fixed_point_gradient(PLRNN(A=[0.5], W=[[0.0]], h=[0.5]), [1.0], [0.0])
    >>> float(g["A"][0]), float(g["h"][0])   # dz*/da = z*/(1 - a) = 2, dz*/dh = 2
    (4.0, 4.0)
    """
    z = np.asarray(point, dtype=np.float64)
    J, _ = model.affine_map(model.region(z))
    g = np.linalg.solve((np.eye(model.M) - J).T, 2.0 * (z - np.asarray(target, dtype=np.float64)))
    phi = np.where(z > 0, z, model.slope * z)
    return {"A": g * z, "W": np.outer(g, phi), "h": g}


def trajectory_gradient_a(a, *, h: float, target: float, steps: int) -> np.ndarray:
    """d/da of (1/T) Σ_{t=1..T} (z_t - y)² for z' = a z + h from z_0 = 0 (forward sensitivities)."""
    a = np.asarray(a, dtype=np.float64)
    z, s, grad = np.zeros_like(a), np.zeros_like(a), np.zeros_like(a)
    for _ in range(steps):
        z, s = a * z + h, a * s + z  # s_t = dz_t/da = a s_{t-1} + z_{t-1}
        grad += 2.0 * (z - target) * s
    return grad / steps


def trajectory_gradient_h(h, *, a: float, w: float, target: float, steps: int) -> np.ndarray:
    """d/dh of (1/T) Σ (z_t - y)² for z' = a z + w relu(z) + h from z_0 = 0; shape of h."""
    h = np.asarray(h, dtype=np.float64)
    z, s, grad = np.zeros_like(h), np.zeros_like(h), np.zeros_like(h)
    for _ in range(steps):
        z, s = a * z + w * np.maximum(z, 0.0) + h, (a + w * (z > 0)) * s + 1.0
        grad += 2.0 * (z - target) * s
    return grad / steps


def log_slope(x, y, lo: float, hi: float) -> float:
    """Least-squares slope of log|y| against log x over lo <= x <= hi (NaN with fewer than 3 points there)."""
    x, y = np.asarray(x), np.abs(np.asarray(y))
    keep = (x >= lo) & (x <= hi) & (y > 0)
    if np.count_nonzero(keep) < 3:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


@dataclass(frozen=True, eq=False)
class GradientTheoremResult:
    """The two sweeps, their closed forms, fitted slopes and the exactly located events.

    Attributes
    ----------
    distance : array, shape (n,)
        1 - a of the DTB sweep (log-spaced).
    dtb_gradient, dtb_closed_form : arrays, shape (n,)
        dL/da at the fixed point (implicit differentiation on the model the search found) and 2h²/(1-a)³.
    dtb_trajectory : dict T -> array (n,)
        The T-step trajectory's dL/da.
    h_values : array, shape (m,)
        The BCB sweep.
    bcb_gradient : dict name -> array (m,)
        dL/da, dL/dw, dL/dh at the fixed point.
    bcb_trajectory : array, shape (m,)
        dL/dh of the T-step trajectory.
    bcb_limits : dict
        dL/dh at h = -1e-9 and h = +1e-9: the one-sided limits at the border.
    events : dict
        The located events: ``dtb`` (value of a), ``bcb`` (value of h), their types.
    settings : dict
    """

    distance: np.ndarray
    dtb_gradient: np.ndarray
    dtb_closed_form: np.ndarray
    dtb_trajectory: dict
    h_values: np.ndarray
    bcb_gradient: dict
    bcb_trajectory: np.ndarray
    bcb_limits: dict
    events: dict
    settings: dict

    def slopes(self) -> dict:
        """Fitted log-log slopes: the fixed point's over 1 - a ∈ [1e-4, 1e-3]; each trajectory's far from
        and below 1/T."""
        out = {"fixed_point": log_slope(self.distance, self.dtb_gradient, 1e-4, 1e-3)}
        for T, grad in self.dtb_trajectory.items():
            out[f"trajectory_T{T}_far"] = log_slope(self.distance, grad, 10.0 / T, min(100.0 / T, 0.5))
            out[f"trajectory_T{T}_below_1/T"] = log_slope(self.distance, grad, 0.01 / T, 0.1 / T)
        return out

    def bcb_jump(self) -> dict:
        """dL/dh just below and just above the border, the closed forms, and dL/dw on the off side."""
        s, h = self.settings, self.h_values
        y, a, w = s["bcb_target"], s["bcb_a"], s["bcb_w"]
        off = float(np.max(np.abs(self.bcb_gradient["W"][h < 0])))
        return {"left": self.bcb_limits["left"], "right": self.bcb_limits["right"],
                "closed_left": -2 * y / (1 - a), "closed_right": -2 * y / (1 - a - w),
                "dL_dw_max_abs_off_side": off}

    def to_dict(self) -> dict:
        return finite_or_none({
            "experiment": "gradient-theorem", "settings": self.settings, "slopes": self.slopes(),
            "events": self.events, "bcb_jump": self.bcb_jump(),
            "dtb": {"one_minus_a": self.distance.tolist(), "fixed_point_gradient": self.dtb_gradient.tolist(),
                    "closed_form": self.dtb_closed_form.tolist(),
                    "trajectory": {str(T): g.tolist() for T, g in self.dtb_trajectory.items()}},
            "bcb": {"h": self.h_values.tolist(),
                    **{f"dL_d{k.lower()}": v.tolist() for k, v in self.bcb_gradient.items()},
                    "trajectory_dL_dh": self.bcb_trajectory.tolist()},
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def summary(self) -> str:
        s, sl, j = self.settings, self.slopes(), self.bcb_jump()
        rel = np.max(np.abs(self.dtb_gradient / self.dtb_closed_form - 1)[self.distance <= 1e-3])
        lines = [
            f"DTB: z' = a z + {s['dtb_h']:g}, stationary loss (z* - {s['dtb_target']:g})²; bifwatch locates "
            f"the {self.events['dtb_type']} at a = {self.events['dtb']:.12g}",
            f"  |dL/da| grows without bound: fitted log-log slope {sl['fixed_point']:.3f} over 1 - a in "
            f"[1e-4, 1e-3] (closed form 2h²/(1-a)³: -3; largest relative gap to it there {rel:.1e})",
        ]
        for T in self.dtb_trajectory:
            lines.append(f"  T = {T} trajectory from z0 = 0: slope {sl[f'trajectory_T{T}_far']:.2f} far from "
                         f"a = 1, {sl[f'trajectory_T{T}_below_1/T']:.2f} for 1 - a < 1/T (saturates: the "
                         f"orbit never reaches z*)")
        lines += [
            f"BCB: z' = {s['bcb_a']:g} z + ({s['bcb_w']:g}) relu(z) + h, bifwatch locates the "
            f"{self.events['bcb_type']} at h = {self.events['bcb']:.3g} (the fixed point persists)",
            f"  dL/dh jumps across it, finite: {j['left']:.4f} -> {j['right']:.4f} (closed form "
            f"{j['closed_left']:.4f} -> {j['closed_right']:.4f}); dL/dw = 0 exactly while the unit is off "
            f"(max |dL/dw| for h < 0: {j['dL_dw_max_abs_off_side']:.1g}) and -> 0 at the border: no blow-up",
            "paper (Eisenmann et al. 2023, section 3): certain bifurcations send loss gradients to infinity "
            "(DTB) or to zero; border collisions change them abruptly",
        ]
        return "\n".join(lines)

    def plot(self, axes=None):
        """Both sweeps (:func:`bifwatch.plotting.plot_gradient_theorem`)."""
        from ...plotting import plot_gradient_theorem

        return plot_gradient_theorem(self, axes)


def gradient_theorem_experiment(*, h: float = 0.5, target: float = 1.0, points: int = 81,
                                steps: tuple[int, ...] = (500, 5000), bcb_a: float = 0.5, bcb_w: float = -0.3,
                                bcb_points: int = 200) -> GradientTheoremResult:
    """Sweep a → 1 at a DTB and h through a BCB; gradients from the fixed points bifwatch finds.

    Parameters
    ----------
    h, target : float
        The DTB model z' = a z + h and its stationary target y.
    points : int
        Values of 1 - a, log-spaced over [1e-5, 1e-1].
    steps : tuple of int
        Trajectory lengths T of the finite-T gradients.
    bcb_a, bcb_w, bcb_points
        The BCB model z' = a z + w relu(z) + h, h swept over [-0.5, 0.5] (an even number of
        points keeps h = 0 itself off the sweep).
    """
    distance = np.logspace(-5, -1, points)
    dtb = []
    for d in distance:
        model = PLRNN(A=[1.0 - d], W=[[0.0]], h=[h])
        (cycle,) = find_cycles(model, max_order=1).cycles
        dtb.append(fixed_point_gradient(model, cycle.points[0], [target])["A"][0])
    h_values = np.linspace(-0.5, 0.5, bcb_points)
    bcb = {"A": [], "W": [], "h": []}
    for value in h_values:
        for k, g in _fixed_point_gradient_1d(bcb_a, bcb_w, value, target).items():
            bcb[k].append(float(np.ravel(g)[0]))
    limits = {side: float(_fixed_point_gradient_1d(bcb_a, bcb_w, value, target)["h"][0])
              for side, value in (("left", -1e-9), ("right", 1e-9))}
    events = _events(h, bcb_a, bcb_w)
    settings = {"dtb_h": h, "dtb_target": target, "steps": list(steps), "bcb_a": bcb_a, "bcb_w": bcb_w,
                "bcb_target": target, "points": points, "bcb_points": bcb_points}
    return GradientTheoremResult(
        distance=distance, dtb_gradient=np.array(dtb), dtb_closed_form=2 * h**2 / distance**3,
        dtb_trajectory={T: trajectory_gradient_a(1.0 - distance, h=h, target=target, steps=T) for T in steps},
        h_values=h_values, bcb_gradient={k: np.array(v) for k, v in bcb.items()},
        bcb_trajectory=trajectory_gradient_h(h_values, a=bcb_a, w=bcb_w, target=target, steps=steps[0]),
        bcb_limits=limits, events=events, settings=settings)


def _fixed_point_gradient_1d(a: float, w: float, h: float, target: float) -> dict[str, np.ndarray]:
    """:func:`fixed_point_gradient` at the one fixed point the search finds of z' = a z + w relu(z) + h."""
    model = PLRNN(A=[a], W=[[w]], h=[h])
    (cycle,) = find_cycles(model, max_order=1).cycles
    return fixed_point_gradient(model, cycle.points[0], [target])


def _events(h: float, a: float, w: float) -> dict:
    """The DTB and the BCB as bifwatch's exact continuation places them."""
    dtb = bifurcation_diagram(PLRNN(A=[0.5], W=[[0.0]], h=[h]), "A[0]", (0.5, 1.5), max_order=1).events
    bcb = bifurcation_diagram(PLRNN(A=[a], W=[[w]], h=[-0.5]), "h[0]", (-0.5, 0.5), max_order=1).events
    return {"dtb": float(dtb[0].value), "dtb_type": dtb[0].type, "bcb": float(bcb[0].value),
            "bcb_type": bcb[0].type}
