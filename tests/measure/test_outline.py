"""JEDEC-style outline numbers (geometry/measure/outline.py) of the small designs, against their recipes by hand,
and where they appear: the manifest, the check table, the report."""

from __future__ import annotations

import json

import pytest

from geometry import api
from geometry.flows import load_design
from geometry.output.report import content
from geometry.output.tables import format_checks
from tests.conftest import small_cavity, small_recipe


def test_flip_chip_outline_by_hand(small_build):
    """Substrate 6 x 6 x 0.5, ball pads 0.02, balls 0.6 / 0.5 tall at 1.0 pitch (5 x 5), mold cap 0.6."""
    o = small_build.flow.outline(small_build)
    assert (o.E, o.D) == pytest.approx((6.0, 6.0))
    assert o.A1 == pytest.approx(0.52) and o.A2 == pytest.approx(0.5 + 0.6) and o.A == pytest.approx(o.A1 + o.A2)
    assert (o.e_x, o.e_y, o.b, o.balls, o.columns, o.rows, o.ccc) == (1.0, 1.0, 0.6, 25, 5, 5, 0.15)


def test_cavity_outline_by_hand():
    """Substrate 8 x 8 x 0.36, bottom pads 0.015, balls 0.38 tall at 0.7 pitch on a 10 x 10 perimeter of 2 rows,
    mold 0.6 over the substrate top."""
    build = api.run(load_design(small_cavity()))
    o = build.flow.outline(build)
    assert (o.E, o.D) == pytest.approx((8.0, 8.0))
    assert o.A1 == pytest.approx(0.015 + 0.38) and o.A2 == pytest.approx(0.36 + 0.6)
    assert o.balls == 100 - 36 and (o.columns, o.rows) == (10, 10) and o.e_x == pytest.approx(0.7)
    assert o.ccc == 0.08


def test_outline_in_manifest_check_table_and_report(small_build, tmp_path):
    results = api.check(small_build)
    folder = api.export(small_build, results, tmp_path)
    data = json.loads((folder / "manifest.json").read_text())
    assert data["outline"]["A1"] == pytest.approx(0.52) and data["outline"]["balls"] == 25
    rows, _ = api.claims(small_build, results)
    text = format_checks("small", results, rows, small_build.flow.outline(small_build))
    assert "outline (mm): E 6, D 6, A 1.62, A1 0.52, A2 1.1, e 1, b 0.6, n 25, matrix 5 x 5, ccc 0.15" in text
    c = content(small_build, results, with_pictures=False)
    assert c["outline"].balls == 25


def test_matrix_counts_columns_and_rows():
    build = api.run(load_design(small_recipe(solder_balls={"count_x": 5, "count_y": 4})))
    o = build.flow.outline(build)
    assert (o.columns, o.rows, o.balls) == (5, 4, 20)
