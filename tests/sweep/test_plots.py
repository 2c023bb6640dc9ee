"""Sweep plots (geometry/sweep/plots.py) of sampled and categorical axes, from made-up rows (no kernel work),
and the summary text of the same rows."""

from __future__ import annotations

import pytest

from geometry import sweep
from geometry.sweep.plots import draw
from geometry.sweep.results import flat_row, summary
from geometry.sweep.worker import margin
from tests.conftest import make_spec


def _fake_row(i: int, status: str = "ok") -> dict:
    value = 0.01 * (i % 7)
    check = {"name": "gap", "claim": "claim 1", "unit": "mm", "value": value, "limit": 0.05,
             "passed": value <= 0.05, "margin": margin(value, 0.05, value <= 0.05), "where": ""}
    return {"status": status, "reason": "" if status == "ok" else "x 1 must be y", "passed": check["passed"]
            if status == "ok" else None, "checks": [check] if status == "ok" else None,
            "bodies": None, "totals": None, "exported": None, "elapsed_s": 0.1}


@pytest.mark.parametrize("changes", [
    {"axes": {"chip.thickness": {"low": 0.25, "high": 0.35}, "chip.offset_x": {"low": -0.1, "high": 0.1}},
     "sample": {"method": "lhs", "count": 40}},
    {"axes": {"second_encapsulant.chip_back": ["encapsulated", "exposed"], "chip.thickness": [0.3, 0.4]}},
])
def test_plots_of_sampled_and_categorical_axes(tmp_path, changes):
    plan = sweep.expand(make_spec(tolerances={}, **changes))
    rows = [flat_row(plan, v, _fake_row(v.index, "invalid" if v.index % 3 == 2 else "ok"), False)
            for v in plan.variants]
    paths = draw(plan, rows, tmp_path)
    assert {p.name.split("-")[0] for p in paths} == {"map", "yield", "metric"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    text = summary(plan, rows, built=len(rows), cached=0, elapsed_s=1.0, workers="test", interrupted=False)
    assert "gap" in text and "not built:" in text and "invalid: x 1 must be y" in text


def test_units_grouping_one_denominator_and_bands(tmp_path):
    """Axis units come from the model's descriptions; a yield plot grouped by a second axis draws one line (with
    its Wilson band) per group value; a variant not built fails each check as it fails "all checks"."""
    from geometry.sweep import plots

    assert plots.unit_of("flip-chip", "first_encapsulant.polish_plane") == "mm"
    assert plots.unit_of("flip-chip", "solder_balls.count_x") == "count"
    assert plots.unit_of("flip-chip", "second_encapsulant.chip_back") == ""
    assert plots.unit_of("no-such-flow", "chip.thickness") == ""
    bad = {"status": "invalid", "passed": None}
    assert plots._passes(bad, "all") is False and plots._passes(bad, "gap") is False
    assert plots._passes({"status": "ok", "passed": True}, "gap") is None  # built, the check does not apply
    plan = sweep.expand(make_spec(tolerances={}, axes={"chip.thickness": [0.3, 0.35, 0.4],
                                                       "chip.offset_x": [-0.1, 0.0, 0.1]}))
    rows = [flat_row(plan, v, _fake_row(v.index, "invalid" if v.index % 4 == 3 else "ok"), False)
            for v in plan.variants]
    assert rows[0]["check.gap.unit"] == "mm"  # a check's unit rides in the table, so its value axis names it
    assert plots._metric_label(rows, "check.gap.value") == "check.gap.value (mm)"
    path = plots.plot_yield(plan, rows, "chip.thickness", tmp_path / "g.png", "gap", group="chip.offset_x")
    assert path.read_bytes()[:4] == b"\x89PNG"
    from geometry.sweep.spec import Plot

    assert Plot(kind="yield", x="a", group="b").group == "b"
    with pytest.raises(ValueError, match="group is only read"):
        Plot(kind="map", x="a", y="b", group="c")
