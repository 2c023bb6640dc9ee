"""The cavity flow's first-order thermal network (geometry/flows/cavity/thermal.py): hand-computed values for the
small design, and the adhesive fill of a die over the opening as the slug path."""

from __future__ import annotations

import math

import pytest

from geometry import api
from geometry.core import occ
from geometry.core.stack import Body
from geometry.flows import load_design
from geometry.thermal.network import AIR_CONDUCTIVITY
from tests.conftest import RECIPES, THERMAL_K, series_r, small_cavity, with_stack


def estimate(build):
    """The first-order thermal network of ``build``'s finished package, by its flow."""
    return build.flow.thermal(build)


def test_cavity_small_stack_by_hand():
    """The small cavity design: die 2 x 2 x 0.25 on 0.025 of die attach on a 0.15 copper slice, slice adhesive
    0.03, substrate 0.36, mold 0.6 over the substrate top; slug 4 x 4 (the 3 x 3 opening grown by 0.5)."""
    build = api.run(load_design(small_cavity()))
    th = estimate(build)
    die_top = -0.03 + 0.025 + 0.25
    assert th.theta_jtop == pytest.approx(series_r(0.36 + 0.6 - die_top, THERMAL_K["EMC"], 4.0), rel=1e-9)
    by = {e.name: e for e in th.elements}
    assert by["die"].r == pytest.approx(series_r(0.25, THERMAL_K["Si"], 4.0), rel=1e-9)
    assert by["die_adhesive"].r == pytest.approx(series_r(0.025, THERMAL_K["die_attach"], 4.0), rel=1e-9)
    assert by["heat_slug"].r == pytest.approx(series_r(0.15, THERMAL_K["Cu"], 16.0), rel=1e-9)
    seat = -0.015 - build.design.solder_balls.height
    gap = series_r(-0.03 - 0.15 - seat, AIR_CONDUCTIVITY, 16.0)
    assert by["standoff under slug (air)"].r == pytest.approx(gap, rel=1e-9)
    branch_b = sum(e.r for e in th.elements if e.note.startswith("branch B"))
    serial = by["die"].r + by["die_adhesive"].r + by["heat_slug"].r
    assert th.theta_jboard == pytest.approx(serial + 1 / (1 / gap + 1 / branch_b), rel=1e-12)


def test_standoff_choice_lowers_theta_jboard():
    """The recipe's standoff under the slug: paste and solder conduct better than still air."""
    values = [estimate(api.run(load_design(small_cavity(thermal={"standoff": f})))).theta_jboard
              for f in ("air", "paste", "solder")]
    assert values[0] > values[1] > values[2]


def test_die_over_opening_connects_through_the_adhesive_fill():
    """cavity-over (claims 7-8): the adhesive filling the opening joins die and slug with a hand-checkable
    resistance; the same stack with the fill cut away above the substrate top has no slug path."""
    build = api.run(api.load(RECIPES / "cavity" / "cavity-over.toml"))
    d = build.design
    th = estimate(build)
    o = d.opening
    a_open = o.width * o.length - (4 - math.pi) * o.corner_radius**2
    fill = series_r(d.z_top - d.z_floor, THERMAL_K["die_attach"], a_open) + series_r(d.die_adhesive.thickness, THERMAL_K["die_attach"],
                                                                d.die.width * d.die.length)
    assert next(e for e in th.elements if e.name == "die_adhesive").r == pytest.approx(fill, rel=1e-6)
    assert math.isfinite(th.theta_jboard)
    s = build.stack
    glue = s["die_adhesive"]
    b = glue.bounds()
    layer = occ.common(glue.parts[0].shape, [occ.box(b[0], b[1], d.z_top, b[3], b[4], b[5])])
    cut = Body(glue.name, glue.material_name, (glue.parts[0].with_shape(layer),))
    unfilled = estimate(with_stack(build, s.replace(cut)))
    assert math.isinf(unfilled.theta_jboard)
    assert th.theta_jboard < unfilled.theta_jboard
