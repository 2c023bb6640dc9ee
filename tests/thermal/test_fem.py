"""Validation of the 3D conduction solver (geometry.thermal.fem) against closed-form resistances, scikit-fem's
generic assembly, mesh refinement and energy balance, and of the JESD51-7/-9 2s2p board blocks."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from skfem import Basis, BilinearForm, ElementHex0, ElementHex1, MeshHex, asm

from geometry.thermal.board import Board2s2p, ball_grid, board_boxes, land_pattern
from geometry.thermal.fem import solve
from geometry.thermal.grid import build_mesh, conduction_matrix, element_conductivity, interval_lines
from geometry.thermal.model import (
    MM,
    Box,
    Convection,
    Filler,
    Isothermal,
    bottom,
    homogenised_layer,
    ring,
    top,
)

SIDE = 10.0  # mm
AREA = SIDE * SIDE * MM**2  # m2
SOURCE = 0.002  # mm, thickness of the heat-source layer on top


Layers = list[tuple[float, float | tuple[float, float, float]]]


def heated_stack(layers: Layers, power: float = 2.0) -> list[Box]:
    """A SIDE x SIDE stack of (thickness mm, k) layers from z = 0 up, with a thin heated layer on top (the
    conductivity of the top layer)."""
    boxes, z = [], 0.0
    for i, (t, k) in enumerate(layers):
        boxes.append(Box(f"layer{i}", "test", (0.0, 0.0, z), (SIDE, SIDE, z + t), k))
        z += t
    boxes.append(Box("junction", "test", (0.0, 0.0, z), (SIDE, SIDE, z + SOURCE), layers[-1][1], power=power))
    return boxes


def kz_of(k: float | tuple[float, float, float]) -> float:
    return k if isinstance(k, float) else k[2]


def one_d_resistance(layers: Layers) -> float:
    """t / (k A) summed, K/W; plus half the source layer (the peak temperature is at its adiabatic top)."""
    r = sum(t * MM / (kz_of(k) * AREA) for t, k in layers)
    return r + 0.5 * SOURCE * MM / (kz_of(layers[-1][1]) * AREA)


def test_graded_lines_are_finer_at_the_ends_and_nest_under_refinement() -> None:
    """A graded interval of 4 parts: cosine-spaced (ends finer, the middle coarser than equal parts), refine 2
    bisects each of its elements; only the boxes grading an axis change that axis's lines."""
    coarse = interval_lines(1.0, 3.0, 4, 1, graded=True)
    h = np.diff(np.concatenate(([1.0], coarse)))
    assert h.sum() == pytest.approx(2.0) and h[0] == pytest.approx(h[-1]) and h[0] < 0.5 < h[1]
    fine = interval_lines(1.0, 3.0, 4, 2, graded=True)
    np.testing.assert_allclose(fine[1::2], coarse, atol=1e-12)
    np.testing.assert_allclose(interval_lines(1.0, 3.0, 4, 2, graded=False), np.linspace(1.0, 3.0, 9)[1:])
    plain = build_mesh([Box("a", "x", (0, 0, 0), (4, 4, 4), 1.0)], max_size=1.0)
    graded = build_mesh([Box("a", "x", (0, 0, 0), (4, 4, 4), 1.0, graded=(2,))], max_size=1.0)
    np.testing.assert_array_equal(graded.x, plain.x)
    assert len(graded.z) == len(plain.z) and np.diff(graded.z)[0] < 1.0 < np.diff(graded.z)[1]
    with pytest.raises(ValueError):
        Box("a", "x", (0, 0, 0), (1, 1, 1), 1.0, graded=(3,))


def test_graded_mesh_keeps_exact_slab_resistance() -> None:
    """A graded z mesh keeps the 1-D slab resistance t / (k A) exact (to the solver's tolerance)."""
    boxes = [replace(b, graded=(0, 1, 2)) for b in heated_stack([(1.0, 2.0), (0.5, (40.0, 40.0, 0.4))])]
    sol = solve(boxes, [Isothermal("cold", bottom())], max_size=0.3)
    expected = one_d_resistance([(1.0, 2.0), (0.5, (40.0, 40.0, 0.4))])
    assert sol.theta("junction", "cold", "mean") == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("k", [2.0, (50.0, 20.0, 2.0)], ids=["isotropic", "anisotropic"])
def test_slab_resistance_is_t_over_kA(k: float | tuple[float, float, float]) -> None:
    layers = [(1.0, k)]
    sol = solve(heated_stack(layers), [Isothermal("base", bottom(), 25.0)], max_size=2.5)
    r = sol.theta("junction", "base")
    r_slab = 1.0 * MM / (2.0 * AREA)
    assert abs(r - r_slab) / r_slab < 0.01, (r, r_slab)
    # Linear elements are nodally exact for this 1-D problem: only kz enters, to round-off.
    assert r == pytest.approx(one_d_resistance(layers), rel=1e-9)
    assert sol.junction("junction").t_max == pytest.approx(25.0 + 2.0 * r, rel=1e-12)


def test_two_layers_in_series() -> None:
    layers = [(2.0, 20.0), (0.5, 1.0)]
    sol = solve(heated_stack(layers), [Isothermal("base", bottom(), 0.0)], max_size=2.5)
    r = sol.theta("junction", "base")
    r_analytic = 2.0 * MM / (20.0 * AREA) + 0.5 * MM / (1.0 * AREA)
    assert abs(r - r_analytic) / r_analytic < 0.01, (r, r_analytic)
    assert r == pytest.approx(one_d_resistance(layers), rel=1e-9)


def test_convection_adds_one_over_hA() -> None:
    layers = [(1.0, 5.0)]
    h = 200.0
    sol = solve(heated_stack(layers), [Convection("air", bottom(), h=h, ambient=20.0)], max_size=2.5)
    r = sol.theta("junction", "air")
    r_analytic = 1.0 * MM / (5.0 * AREA) + 1.0 / (h * AREA)
    assert abs(r - r_analytic) / r_analytic < 0.01, (r, r_analytic)
    assert sol.heat_out["air"] == pytest.approx(2.0, rel=1e-9)


def spreading_theta(refine: int) -> float:
    plate = Box("plate", "test", (0.0, 0.0, 0.0), (20.0, 20.0, 1.0), 20.0)
    source = Box("junction", "test", (9.0, 9.0, 1.0), (11.0, 11.0, 1.01), 20.0, power=1.0, mesh_size=0.25)
    sol = solve([plate, source], [Isothermal("base", bottom(), 0.0)], max_size=1.0, refine=refine)
    return sol.theta("junction", "base")


def test_mesh_refinement_converges_with_lateral_spreading() -> None:
    thetas = [spreading_theta(r) for r in (1, 2, 4)]
    one_d = 1.0 * MM / (20.0 * (2.0 * MM) ** 2)
    last = abs(thetas[2] - thetas[1]) / thetas[2]
    assert last < 0.02, f"theta_JB over refine 1, 2, 4: {thetas} K/W; last change {last:.2%}"
    assert abs(thetas[2] - thetas[1]) < abs(thetas[1] - thetas[0]), thetas
    # Spreading into the larger plate lowers the resistance below the 1-D column under the source.
    assert thetas[2] < one_d, (thetas, one_d)


def test_energy_balance_and_heat_split() -> None:
    boxes = [Box("plate", "test", (0.0, 0.0, 0.0), (20.0, 20.0, 1.0), (30.0, 30.0, 10.0)),
             Box("junction", "test", (8.0, 8.0, 1.0), (12.0, 12.0, 1.2), 100.0, power=3.0)]
    cold = ring(outer=(0.0, 0.0, 20.0, 20.0), inner=(4.0, 4.0, 16.0, 16.0))
    plate_top = Isothermal("top", top((8.0, 8.0, 12.0, 12.0)), 40.0)
    dirichlet = solve(boxes, [Isothermal("ring", cold, 20.0), plate_top], max_size=1.0, solver="direct")
    assert dirichlet.balance_error() < 1e-6, dirichlet.heat_out
    assert dirichlet.heat_out["ring"] > 0 and dirichlet.heat_out["top"] > 0, dirichlet.heat_out
    mixed = solve(boxes, [Convection("air", lambda f: np.ones(len(f.area), dtype=bool), h=15.0, ambient=20.0),
                          Isothermal("ring", cold, 20.0)], max_size=1.0)
    assert mixed.balance_error() < 1e-6, mixed.heat_out
    assert 0 < mixed.heat_out["air"] < mixed.power, mixed.heat_out


def test_iterative_and_direct_solvers_agree() -> None:
    boxes = [Box("plate", "test", (0.0, 0.0, 0.0), (20.0, 16.0, 1.6), (0.8, 0.8, 0.3)),
             Box("plane", "Cu", (1.0, 1.0, 0.5), (19.0, 15.0, 0.535), 398.0),
             Box("junction", "Si", (8.0, 6.0, 1.6), (12.0, 10.0, 1.9), 148.0, power=1.0)]
    conditions = [Convection("air", top(), h=10.0, ambient=25.0), Isothermal("base", bottom(), 25.0)]
    direct = solve(boxes, conditions, max_size=1.0, solver="direct")
    cg = solve(boxes, conditions, max_size=1.0, solver="cg")
    assert cg.info.method == "cg-multigrid" and cg.info.iterations > 0
    assert np.max(np.abs(cg.temperature - direct.temperature)) < 1e-7 * np.ptp(direct.temperature)


def test_assembly_equals_scikit_fem_generic_assembly() -> None:
    boxes = [Box("a", "test", (0.0, 0.0, 0.0), (3.0, 2.0, 1.0), (1.0, 2.0, 3.0)),
             Box("b", "test", (1.0, 0.5, 0.4), (2.2, 1.7, 1.5), (40.0, 5.0, 0.7), mesh_size=0.3),
             Box("c", "test", (0.0, 0.0, 1.0), (3.0, 2.0, 1.2), 0.2)]
    mesh = build_mesh(boxes, max_size=0.7)
    ours = conduction_matrix(mesh)
    sk = MeshHex(mesh.nodes.T * MM, mesh.t)
    basis = Basis(sk, ElementHex1())
    k = element_conductivity(mesh)
    fields = {f"k{a}": basis.with_element(ElementHex0()).interpolate(k[:, a]) for a in range(3)}

    @BilinearForm
    def conduction(u, v, w):
        return w.k0 * u.grad[0] * v.grad[0] + w.k1 * u.grad[1] * v.grad[1] + w.k2 * u.grad[2] * v.grad[2]

    reference = asm(conduction, basis, **fields)
    assert abs(ours - reference).max() < 1e-12 * abs(reference).max()


def test_homogenised_layer_rules() -> None:
    kx, ky, kz = homogenised_layer(58.0, 0.7, 0.2)
    assert kz == pytest.approx(0.2 * 58.0 + 0.8 * 0.7)
    assert kx == ky == pytest.approx(1.0 / (0.2 / 58.0 + 0.8 / 0.7))
    assert homogenised_layer(10.0, 10.0, 0.37) == pytest.approx((10.0, 10.0, 10.0))
    with pytest.raises(ValueError):
        homogenised_layer(58.0, 0.7, 1.5)


def test_overrides_voids_and_filler() -> None:
    base = Box("base", "test", (0.0, 0.0, 0.0), (4.0, 4.0, 1.0), 1.0)
    insert = Box("insert", "test", (1.0, 1.0, 0.0), (3.0, 3.0, 1.0), 100.0)
    pillar = Box("junction", "test", (0.0, 0.0, 1.0), (1.0, 1.0, 2.0), 1.0, power=1.0)
    void = build_mesh([base, insert, pillar], max_size=0.5)
    filled = build_mesh([base, insert, pillar], max_size=0.5, filler=Filler("air", "air", 0.026))
    volume = np.bincount(void.element_owner, weights=void.element_sizes().prod(axis=1))
    assert volume == pytest.approx([16.0 - 4.0, 4.0, 1.0])
    assert filled.nelements == void.nelements + round(15.0 / 0.5**3)
    sol = solve([base, insert, pillar], [Isothermal("base", bottom(), 0.0)], max_size=0.5)
    assert sol.junction("junction").power == 1.0
    assert sol.balance_error() < 1e-9
    with pytest.raises(ValueError, match="no isothermal or convection"):
        solve([base, Box("floating", "test", (5.0, 0.0, 0.0), (6.0, 1.0, 1.0), 1.0)],
              [Isothermal("base", bottom(within=(0.0, 0.0, 4.0, 4.0)), 0.0)], max_size=1.0)


def test_sections_and_top_surface() -> None:
    boxes = [Box("board", "test", (-5.0, -5.0, 0.0), (5.0, 5.0, 1.0), 1.0),
             Box("junction", "test", (-1.0, -1.0, 1.0), (1.0, 1.0, 1.5), 10.0, power=0.5)]
    sol = solve(boxes, [Isothermal("base", bottom(), 0.0)], max_size=0.5)
    cut = sol.section("y", 0.0)
    assert cut.axes == ("x", "z") and cut.temperature.shape == (len(sol.mesh.x), len(sol.mesh.z))
    assert np.nanmax(cut.temperature) == pytest.approx(sol.junction("junction").t_max, rel=1e-9)
    assert np.all(np.isnan(cut.temperature[np.abs(cut.u) > 1.0 + 1e-9][:, -1]))
    surface = sol.top_surface()
    centre = (np.argmin(np.abs(surface.u)), np.argmin(np.abs(surface.v)))
    assert surface.height is not None
    assert surface.height[centre] == pytest.approx(1.5) and surface.height[0, 0] == pytest.approx(1.0)
    assert surface.temperature[centre] > surface.temperature[0, 0] > 0.0
    mean, peak = sol.element_temperature()
    assert peak.max() == pytest.approx(sol.junction("junction").t_max) and np.all(mean <= peak)


def test_board_stackup_matches_jesd51_7() -> None:
    board = Board2s2p()
    layers = board.layers()
    assert board.thickness == pytest.approx(1.60)
    assert layers["top_signal"] == pytest.approx((1.53, 1.60))
    assert layers["bottom_signal"] == pytest.approx((0.0, 0.07))
    assert layers["plane_1"] == pytest.approx((1.065, 1.10))
    assert layers["plane_2"] == pytest.approx((0.50, 0.535))
    x0, y0, x1, y1 = board.outline
    assert (x1 - x0, y1 - y0) == pytest.approx((101.5, 114.5))
    assert (x0 + x1) / 2 == pytest.approx(0.0) and y1 == pytest.approx(101.5 / 2)
    boxes = {b.name: b for b in board_boxes(board)}
    plane_volume = (101.5 - 2.0) * (114.5 - 2.0) * 0.035
    for name in ("plane_1", "plane_2"):
        assert boxes[name].material == "Cu" and boxes[name].kxyz == (398.0,) * 3
        assert boxes[name].volume == pytest.approx(plane_volume)
    assert boxes["board"].kxyz == (0.81, 0.81, 0.29)
    mesh = build_mesh(board_boxes(board), max_size=10.0)
    volume = np.bincount(mesh.element_owner, weights=mesh.element_sizes().prod(axis=1))
    names = [r.name for r in mesh.regions]
    assert volume[names.index("plane_1")] == pytest.approx(plane_volume)
    assert volume.sum() == pytest.approx(101.5 * 114.5 * 1.60)


def test_land_pattern_pads_keep_the_pad_area() -> None:
    board = Board2s2p()
    balls = ball_grid(1.0, 5, 4, depopulated=[(2, 2)])
    pads = land_pattern(balls, 0.5, board)
    assert len(pads) == 19
    for pad in pads:
        (x0, y0, z0), (x1, y1, z1) = pad.lo, pad.hi
        assert (x1 - x0) * (y1 - y0) == pytest.approx(math.pi * 0.25**2)
        assert (z0, z1) == pytest.approx(board.layers()["top_signal"])
    assert np.mean([0.5 * (p.lo[0] + p.hi[0]) for p in pads]) == pytest.approx(0.0, abs=0.06)
    with pytest.raises(ValueError):
        land_pattern([(60.0, 0.0)], 0.5, board)
