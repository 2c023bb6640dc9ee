"""The 3D solve on built packages (issue 17): the box model rules against 1-D analytic networks where 1-D holds,
the ranked behaviour of the claimed variants, mesh refinement on a real design, and ``pkgcad thermal``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geometry import api
from geometry.cli import main
from geometry.core.models import ThermalChoices
from geometry.flows import load_design
from geometry.flows.cavity import thermal as cavity_thermal
from geometry.flows.flip_chip import thermal as fc_thermal
from geometry.output.report import content
from geometry.output.tables import report_tables
from geometry.sweep.worker import run_variant
from geometry.thermal.fem import solve
from geometry.thermal.grid import build_mesh
from geometry.thermal.jedec import (
    BOARD_LEVELS,
    BOARD_POINT,
    EDGE_GRADING,
    PACKAGE_MESH,
    UPPER_LEVELS,
    Settings,
    board_solve,
    case_solve,
    near_board,
)
from geometry.thermal.model import Box, Isothermal, bottom, top
from geometry.thermal.network import series, slab
from geometry.thermal.package import ANISOTROPY, junction_box, laminate_k, z_graded, z_size
from tests.conftest import RECIPES, small_cavity, small_recipe, write_recipe

COARSE = Settings(mesh=1.0)


def built(path):
    return api.run(api.load(RECIPES / path))


def test_full_footprint_stack_matches_the_first_order_network() -> None:
    """Where 1-D holds (every layer covers the whole footprint, heat in from the top face, out at the bottom),
    the 3D solve equals the network's series of slabs t / (k A)."""
    layers = [("chip", "Si", 0.3), ("die_adhesive", "die_attach", 0.025), ("heat_slug", "Cu", 0.15),
              ("substrate", "BT", 0.36)]
    boxes, z = [], 0.0
    for name, mat, t in reversed(layers):
        boxes.append(Box(name, mat, (0.0, 0.0, z), (4.0, 3.0, z + t), slab("x", name, mat, t, 1.0).k))
        z += t
    boxes.append(Box("junction", "Si", (0.0, 0.0, z - 1e-3), (4.0, 3.0, z), boxes[-1].k, power=1.0))
    sol = solve(boxes, [Isothermal("board", bottom())], max_size=0.5)
    network = series([slab("board", n, m, t, 12.0) for n, m, t in layers])
    assert sol.theta("junction", "board", "mean") == pytest.approx(network, rel=2e-3)
    assert sol.balance_error() < 1e-9


def test_laminate_with_planes_matches_explicit_planes() -> None:
    """laminate_k's parallel (in-plane) and series (through) rules against the planes meshed one by one."""
    t, tc, kl = 0.56, 0.018, 0.4
    kxy, _, kz = laminate_k(kl, t, 2, tc, 398.0)
    z = [0.0, 0.18, 0.18 + tc, 0.38 - tc, 0.38, t]
    explicit = [Box("lam", "BT", (0, 0, 0), (10, 1, t), kl), Box("cu", "Cu", (0, 0, z[1]), (10, 1, z[2]), 398.0),
                Box("cu", "Cu", (0, 0, z[3]), (10, 1, z[4]), 398.0)]
    lateral = [Isothermal("hot", lambda f: f.normal[:, 0] == -1, 1.0), Isothermal("cold", lambda f: f.normal[:, 0] == 1)]
    q = solve(explicit, lateral, max_size=0.5).heat_out["cold"]
    q_h = solve([Box("lam", "BT", (0, 0, 0), (10, 1, t), (kxy, kxy, kz))], lateral, max_size=0.5).heat_out["cold"]
    assert q_h == pytest.approx(q, rel=1e-6)
    through = [Isothermal("hot", top(), 1.0), Isothermal("cold", bottom())]
    assert solve([Box("lam", "BT", (0, 0, 0), (10, 1, t), (kxy, kxy, kz))], through, max_size=0.5).heat_out["cold"] \
        == pytest.approx(solve(explicit, through, max_size=0.5).heat_out["cold"], rel=1e-6)
    with pytest.raises(ValueError, match="do not fit"):
        laminate_k(kl, 0.03, 2, tc, 398.0)


def test_flip_chip_model_keeps_members_and_power() -> None:
    b = api.run(load_design(small_recipe()))
    m = fc_thermal.box_model(b)
    names = [x.name for x in m.boxes]
    assert names.count("solder_balls") == b.stack["solder_balls"].count == len(m.lands)
    assert sum(x.power for x in m.boxes) == pytest.approx(1.0)
    bumps = next(x for x in m.boxes if x.name == "bumps")
    kxy, _, kz = bumps.kxyz
    assert kxy < kz
    balls = [x for x in m.boxes if x.name == "solder_balls"]
    conductance = sum(x.kxyz[2] * (x.hi[0] - x.lo[0]) ** 2 for x in balls)
    s = b.stack["solder_balls"]
    bb = s.bounds()
    assert conductance == pytest.approx(s.material.conductivity * s.volume() / (bb[5] - bb[2]), rel=1e-9)


def test_exposed_back_and_heat_sink_lower_theta_jc() -> None:
    """Claims 7 and 8 against claim 6: the exposed chip back and the heat sink lower theta_jc."""
    basic, exposed, sink = (case_solve(fc_thermal.box_model(built(f"flip-chip/fc-{v}.toml")), COARSE)[0]
                            for v in ("basic", "exposed", "heat-sink"))
    assert exposed < sink < basic
    assert exposed < 0.1 * basic


def test_etched_slug_lowers_theta_jb_against_a_plain_substrate() -> None:
    b = api.run(load_design(small_cavity()))
    slug = board_solve(cavity_thermal.box_model(b), COARSE)[0]
    plain = board_solve(cavity_thermal.box_model(b, plain=True), COARSE)[0]
    assert slug < 0.8 * plain


def test_standoff_choice_orders_theta_jb() -> None:
    """Air, paste and solder under the slug: the better the fill, the lower theta_jb."""
    values = [board_solve(cavity_thermal.box_model(api.run(load_design(small_cavity(thermal={"standoff": f})))),
                          COARSE)[0] for f in ("air", "paste", "solder")]
    assert values[0] > values[1] > values[2]


def test_junction_layer_sits_at_the_active_face() -> None:
    b = api.run(load_design(small_cavity()))
    die = b.stack["die"].bounds()
    j = junction_box(b.stack["die"], "top", 2.0)
    assert j.hi[2] == pytest.approx(die[5]) and j.lo[2] > die[2] and j.power == 2.0


def test_orthotropic_boxes_get_z_elements_scaled_to_their_anisotropy() -> None:
    """An orthotropic laminate (kz << kxy) is meshed in z at ANISOTROPY size sqrt(kz / kxy); an isotropic box,
    or one conducting better in z (a bump layer), at the x-y size."""
    assert z_size(0.2, (25.0, 25.0, 0.25)) == pytest.approx(0.2 * ANISOTROPY * 0.1, rel=1e-12)
    assert z_size(0.2, (25.0, 16.0, 0.16)) == pytest.approx(0.2 * ANISOTROPY * 0.1, rel=1e-12)
    assert z_size(0.2, (148.0, 148.0, 148.0)) == 0.2 and z_size(0.2, (0.9, 0.9, 12.0)) == 0.2
    model = fc_thermal.box_model(built("flip-chip/fc-basic.toml")).with_mesh(0.2)
    substrate = next(b for b in model.boxes if b.name == "substrate")
    assert substrate.sizes[2] == pytest.approx(z_size(0.2, substrate.kxyz)) and substrate.sizes[2] < 0.06


def test_laminates_are_graded_in_z_and_the_package_in_x_y() -> None:
    """Boxes conducting worse through than in-plane (the substrate laminate, the board's FR-4) get z lines
    graded towards their faces; every package box grades x and y; the mold and the chip are not graded in z."""
    assert z_graded((25.0, 25.0, 0.4)) == (2,) and z_graded((148.0, 148.0, 148.0)) == ()
    assert z_graded((0.9, 0.9, 12.0)) == ()
    model = fc_thermal.box_model(built("flip-chip/fc-basic.toml")).with_mesh(0.2)
    graded = {b.name: b.graded for b in model.boxes}
    assert graded["substrate"] == (0, 1, 2) and graded["chip"] == (0, 1) and graded["second_encapsulant"] == (0, 1)
    moved = model.moved(-model.centre[0], -model.centre[1], 0.0)
    board = near_board(moved, Settings(mesh=0.2))[0]
    assert board.graded == (2,)
    z = build_mesh(near_board(moved, Settings(mesh=0.2)), 5.0).z
    under = Settings().board.layers()["plane_1"][1]
    upper = np.diff(z[z >= under - 1e-9])
    lower = np.diff(z[z <= under + 1e-9])
    step = Settings().board.thickness / BOARD_LEVELS
    assert len(upper) >= UPPER_LEVELS * (z[-1] - under) / step and len(lower) >= under / step
    for dz in (upper, lower):
        assert dz[0] == pytest.approx(dz[-1]) and dz[0] < 0.5 * dz[len(dz) // 2]


def test_board_is_graded_from_the_package_edge_to_the_ring_gap() -> None:
    """Between the package edge and the T_B point the board's x-y elements are at most EDGE_GRADING times the
    package mesh, farther out in the ring gap at most max(2 mesh, 1) mm."""
    model = fc_thermal.box_model(built("flip-chip/fc-basic.toml"))
    s = Settings(mesh=0.2)
    x0 = model.outline[0] - model.centre[0]
    moved = model.moved(-model.centre[0], -model.centre[1], 0.0)
    x = build_mesh(near_board(moved, s), 5.0).x
    reach, times = EDGE_GRADING[0]
    near = np.diff(x[(x >= x0 - reach - 1e-9) & (x <= x0 + 1e-9)])
    assert reach >= BOARD_POINT and len(near) >= 2 and near.max() <= times * s.mesh + 1e-9
    ring = np.diff(x[(x >= x0 - s.ring_gap - 1e-9) & (x <= x0 - reach + 1e-9)])
    assert 0.5 * max(2 * s.mesh, 1.0) < ring.max() <= max(2 * s.mesh, 1.0) + 1e-9


def test_refinement_converges_on_a_real_design() -> None:
    """theta_jc of cavity-equal changes under 2 % over the last refinement."""
    model = cavity_thermal.box_model(built("cavity/cavity-equal.toml"))
    values = [case_solve(model, Settings(mesh=0.5, refine=r))[0] for r in (1, 2, 3)]
    assert abs(values[2] - values[1]) / values[2] < 0.02
    assert abs(values[2] - values[1]) < abs(values[1] - values[0]) + 1e-9


def test_the_recipe_default_mesh_is_the_solver_default() -> None:
    """thermal.mesh's default (the recipe model, kept in core) is jedec.PACKAGE_MESH (the measured choice)."""
    assert ThermalChoices().mesh == Settings().mesh == PACKAGE_MESH


def test_thermal_command_writes_figures(tmp_path, capsys) -> None:
    recipe = write_recipe(tmp_path / "small-cavity.toml", small_cavity(thermal={"mesh": 1.0}))
    out = tmp_path / "out"
    assert main(["thermal", str(recipe), "-o", str(out)]) == 0  # the mesh the recipe gives
    data = json.loads((out / "small-cavity" / "thermal.json").read_text())
    for key in ("theta_jc_KW", "theta_jb_KW", "theta_ja_KW", "psi_jt_KW"):
        assert np.isfinite(data[key]) and data[key] > 0
    assert data["theta_jc_KW"] < data["theta_ja_KW"] and data["theta_jb_KW"] < data["theta_ja_KW"]
    assert data["board"]["standard"].startswith("JESD51-7")
    assert data["mesh"]["package_mm"] == 1.0 and data["solves"]["ja"]["nodes"] > 0
    assert all(s["balance_error"] < 1e-6 for s in data["solves"].values())
    assert (out / "small-cavity" / "section.png").stat().st_size > 1000
    assert (out / "small-cavity" / "top.png").stat().st_size > 1000
    assert "theta_jc" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--mesh", "0"], ["--refine", "9"], ["--h", "-1"]])
def test_thermal_command_refuses_bad_options(tmp_path, option) -> None:
    recipe = write_recipe(tmp_path / "small-cavity.toml", small_cavity())
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        main(["thermal", str(recipe), "-o", str(out), *option])
    assert e.value.code == 2
    assert not out.exists()


def test_bad_thermal_key_is_refused_on_load() -> None:
    with pytest.raises(Exception, match="standoff"):
        load_design(small_cavity(thermal={"standoff": "water"}))


def test_sweep_row_and_report_carry_the_3d_figures_when_asked() -> None:
    """thermal.solve = true: the sweep row's metrics and the report table hold theta_jc/jb/ja and psi_jt
    (:mod:`geometry.thermal.jedec`); without it the metrics are None and the network states no split."""
    coarse = {"solve": True, "mesh": 1.0}  # the plumbing, not the figures' accuracy, is under test
    m = run_variant(small_cavity(thermal=coarse))["metrics"]
    for key in ("theta_jc_KW", "theta_jb_KW", "theta_ja_KW", "psi_jt_KW"):
        assert m[key] is not None and m[key] > 0
    assert 0 < m["heat_top_share"] < 1
    assert m["theta_jb_KW"] < m["theta_ja_KW"]
    plain = run_variant(small_cavity())["metrics"]
    assert plain["theta_jc_KW"] is None and plain["heat_top_share"] is None
    b = api.run(load_design(small_cavity(thermal=coarse)))
    c = content(b, with_pictures=False)
    tables = {t[0]: t for t in report_tables(c)}
    rows = dict(tuple(r) for r in tables["3D thermal resistances (JEDEC-style)"][3] if r[0].endswith("_KW"))
    assert float(rows["theta_jc_KW"]) == pytest.approx(c["metrics"]["theta_jc_KW"], rel=1e-3)
    assert c["thermal"].solved["mesh"]["package_mm"] == 1.0  # the recipe's thermal.mesh
    assert "dominates" not in tables["Thermal estimate (first-order)"][1]
