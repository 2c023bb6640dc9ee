"""Design sweeps: spec validation and expansion (pure), the per-variant job, the local pool and Dask runners end to
end on small flip-chip designs, resume from the cache, failing and hung variants, the command line."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path

import pytest
from conftest import RECIPES, small_recipe

from geometry import sweep
from geometry.params import ParameterError
from geometry.sweep.results import read_csv
from geometry.sweep.spec import Axis, design_model
from geometry.sweep.worker import margin, run_variant

SWEEPS = sorted((RECIPES / "sweeps").glob("*.toml"))
FLAKY_THICKNESS = 0.34
"""Chip thickness at which :func:`flaky_worker` makes the flow raise."""
HUNG_THICKNESS = 0.32
"""Chip thickness at which :func:`hanging_worker` hangs."""


def spec_dict(**changes) -> dict:
    """A small grid: 3 chip thicknesses x 2 bump pitches (0.1 is refused: below the bump diameter), a cap-thickness
    tolerance, on the small flip-chip design (6 variants, 3 of them built)."""
    d = {
        "name": "t-sweep",
        "base": small_recipe(),
        "seed": 5,
        "axes": {"chip.thickness": [0.30, 0.32, FLAKY_THICKNESS], "bumps.pitch": [0.2, 0.1]},
        "tolerances": {"second_encapsulant.cap_thickness": {"dist": "normal", "sigma": 0.005, "truncate": 2}},
    }
    d.update(changes)
    return d


def make_spec(**changes) -> sweep.SweepSpec:
    return sweep.parse_spec(spec_dict(**changes))


def _with_failing_step(recipe: dict, fn, **kwargs) -> dict:
    """Run ``fn`` with the flip-chip ``mount_chip`` step raising a kernel error for this recipe only."""
    from geometry.flows import flip_chip
    from geometry.occ import KernelError

    original = flip_chip.STEPS["mount_chip"]

    def boom(stack, design):
        raise KernelError("injected: the chip cannot be mounted")

    flip_chip.STEPS["mount_chip"] = dataclasses.replace(original, apply=boom)
    try:
        return fn(recipe, **kwargs)
    finally:
        flip_chip.STEPS["mount_chip"] = original


def flaky_worker(recipe: dict, **kwargs) -> dict:
    """The sweep job, with the flow raising inside ``mount_chip`` for chip thickness :data:`FLAKY_THICKNESS`."""
    if recipe["chip"]["thickness"] == FLAKY_THICKNESS:
        return _with_failing_step(recipe, run_variant, **kwargs)
    return run_variant(recipe, **kwargs)


def hanging_worker(recipe: dict, **kwargs) -> dict:
    """The sweep job, hanging (as a kernel call that never returns would) for chip thickness :data:`HUNG_THICKNESS`
    and dying (as a segfault in the kernel would) for :data:`FLAKY_THICKNESS`."""
    if recipe["chip"]["thickness"] == HUNG_THICKNESS:
        time.sleep(120)
    if recipe["chip"]["thickness"] == FLAKY_THICKNESS:
        os._exit(139)
    return run_variant(recipe, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Spec and expansion (no kernel work)


def test_ranges_values_and_intervals():
    assert Axis(start=0.4, stop=0.7, step=0.1).levels() == [0.4, 0.5, 0.6, 0.7]
    assert Axis(start=0.4, stop=0.75, step=0.1).levels() == [0.4, 0.5, 0.6, 0.7]
    assert Axis(start=0.0, stop=1.0, count=5).levels() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert Axis(start=10, stop=20, step=5).levels() == [10, 15, 20]
    assert all(isinstance(v, int) for v in Axis(start=10, stop=20, count=3).levels())
    assert Axis(values=["encapsulated", "exposed"]).levels() == ["encapsulated", "exposed"]
    ints = {Axis(low=4, high=6).pick(u) for u in (0.0, 0.34, 0.5, 0.67, 0.999)}
    assert ints == {4, 5, 6}
    assert Axis(low=0.5, high=1.0).pick(0.5) == 0.75


def test_grid_expansion_is_ordered_and_deterministic():
    spec = make_spec(sample={"replicates": 2})
    plan = sweep.expand(spec)
    assert len(plan.variants) == 3 * 2 * 2 and plan.points == 6 and plan.filtered == 0
    first = plan.variants[0]
    assert first.values == {"chip.thickness": 0.30, "bumps.pitch": 0.2}
    assert [v.values["bumps.pitch"] for v in plan.variants[:4]] == [0.2, 0.2, 0.1, 0.1]
    assert first.recipe["chip"]["thickness"] == 0.30 and first.recipe["bumps"]["pitch"] == 0.2
    assert first.recipe["chip"]["width"] == 2.0  # the rest of the base is kept
    again = sweep.expand(make_spec(sample={"replicates": 2}))
    assert [v.key for v in again.variants] == [v.key for v in plan.variants]
    assert len({v.key for v in plan.variants}) == len(plan.variants)
    assert all(v.key == sweep.variant_key(v.recipe) and v.name.startswith("t-sweep-") for v in plan.variants)


def test_tolerance_draws_are_seeded_truncated_and_stable_when_an_axis_grows():
    spec = make_spec(sample={"replicates": 20})
    plan = sweep.expand(spec)
    caps = [v.recipe["second_encapsulant"]["cap_thickness"] for v in plan.variants]
    assert all(abs(c - 0.6) <= 2 * 0.005 + 1e-12 for c in caps)
    assert len(set(caps)) == len(caps)
    assert all(v.nominal == {"second_encapsulant.cap_thickness": 0.6} for v in plan.variants)
    other = sweep.expand(make_spec(sample={"replicates": 20}, seed=6))
    assert [v.key for v in other.variants] != [v.key for v in plan.variants]
    grown = sweep.expand(make_spec(sample={"replicates": 20}, axes={
        "chip.thickness": [0.28, 0.30, 0.32, FLAKY_THICKNESS], "bumps.pitch": [0.2, 0.1]}))
    assert {v.key for v in plan.variants} <= {v.key for v in grown.variants}


def test_uniform_tolerance_on_an_axis_keeps_the_nominal():
    spec = make_spec(tolerances={"chip.thickness": {"dist": "uniform", "low": -0.01, "high": 0.01}},
                     sample={"replicates": 5})
    plan = sweep.expand(spec)
    assert plan.nominal_columns == ["chip.thickness"]
    for v in plan.variants:
        drawn, nominal = v.recipe["chip"]["thickness"], v.values["chip.thickness"]
        assert v.nominal["chip.thickness"] == nominal and abs(drawn - nominal) <= 0.01


def test_latin_hypercube_is_stratified_and_seeded():
    spec = make_spec(axes={"chip.thickness": {"low": 0.25, "high": 0.35}, "chip.offset_x": {"low": -0.1,
                                                                                           "high": 0.1}},
                     tolerances={}, sample={"method": "lhs", "count": 10})
    plan = sweep.expand(spec)
    assert len(plan.variants) == 10
    t = sorted(v.values["chip.thickness"] for v in plan.variants)
    assert [math.floor((x - 0.25) / 0.01) for x in t] == list(range(10))  # one sample per tenth of the interval
    assert [v.key for v in sweep.expand(spec).variants] == [v.key for v in plan.variants]
    rnd = sweep.expand(make_spec(axes={"chip.thickness": {"low": 0.25, "high": 0.35}}, tolerances={},
                                 sample={"method": "random", "count": 7}))
    assert len(rnd.variants) == 7 and all(0.25 <= v.values["chip.thickness"] <= 0.35 for v in rnd.variants)


def test_fixed_derived_and_filter():
    spec = make_spec(axes={"chip.thickness": [0.3, 0.35, 0.4]}, tolerances={},
                     fixed={"second_encapsulant.min_cover": 0.04},
                     derived={"second_encapsulant.cap_thickness": "chip.thickness + 0.12 + bumps.height"},
                     filter="chip.thickness < 0.39 and second_encapsulant.min_cover > 0")
    plan = sweep.expand(spec)
    assert plan.points == 3 and plan.filtered == 1 and len(plan.variants) == 2
    caps = [v.recipe["second_encapsulant"]["cap_thickness"] for v in plan.variants]
    assert caps == [0.51, 0.56]  # computed values are rounded to 12 significant digits
    assert all(v.recipe["second_encapsulant"]["min_cover"] == 0.04 for v in plan.variants)


def test_values_not_in_the_recipe_come_from_the_design_defaults():
    from geometry.sweep.spec import resolved

    r = small_recipe()
    assert resolved(r, "second_encapsulant.min_cover") == 0.05  # a section given: its class default
    assert resolved(r, "second_encapsulant.cap_thickness") == 0.6  # the recipe's own
    del r["second_encapsulant"]
    assert resolved(r, "second_encapsulant.cap_thickness") == 0.8  # a section left out: the field default
    assert resolved(r, "heat_sink.standoff") == 0.6  # an absent optional section: its class default
    assert resolved(r, "chip.nothing") is None


def test_unquoted_dotted_keys_and_toml_file(tmp_path):
    recipe = tmp_path / "base.toml"
    recipe.write_text('name = "b"\nflow = "flip-chip"\n[chip]\nthickness = 0.3\n')
    spec_file = tmp_path / "s.toml"
    spec_file.write_text('name = "s"\nbase = "base.toml"\n[axes]\nchip.thickness = [0.3, 0.4]\n'
                         '[axes.bumps]\npitch = { start = 0.2, stop = 0.3, step = 0.05 }\n')
    spec = sweep.load_spec(spec_file)
    assert list(spec.axes) == ["chip.thickness", "bumps.pitch"]
    assert spec.base["name"] == "b" and spec.base_path == str(recipe.resolve())
    assert len(sweep.expand(spec).variants) == 2 * 3


@pytest.mark.parametrize(("changes", "message"), [
    ({"axes": {"solder_balls.pich": [1.0]}},
     "axes 'solder_balls.pich' is not a parameter of the flip-chip design, did you mean 'solder_balls.pitch'?"),
    ({"axes": {"chip.thickness.x": [1.0]}}, "chip.thickness is a value, not a section"),
    ({"axes": {"chip.thickness": {"low": 0.3, "high": 0.4}}}, "a grid needs values or a range"),
    ({"axes": {"chip.thickness": {"start": 0.3, "stop": 0.4}}}, "step or count: a range needs exactly one"),
    ({"axes": {"chip.thickness": {"start": 0.5, "stop": 0.4, "step": 0.1}}}, "stop 0.4 must not be below start 0.5"),
    ({"fixed": {"chip.thickness": 0.3}}, "fixed.chip.thickness is also set in axes"),
    ({"axes": {"name": ["x"]}}, "cannot be varied"),
    ({"tolerances": {"bumps.count_x": {"dist": "normal", "sigma": 1.0}}}, "applies to a real-valued parameter"),
    ({"tolerances": {"chip.width": {"dist": "normal"}}}, "sigma is required"),
    ({"filter": "chip.thickness < __import__('os')"}, "is not allowed"),
    ({"filter": "chip.thicknes < 1"}, "filter 'chip.thicknes' is not a parameter"),
    ({"sample": {"method": "lhs"}}, "count is required"),
    ({"keep": {"step": "some"}}, "keep.step 'some' input should be 'none', 'failing' or 'all'"),
    ({"base": {"name": "x", "flow": "nope"}}, "base.flow 'nope' must be one of"),
    ({"colour": "red"}, "colour is not a known parameter"),
])
def test_spec_errors_name_the_field_the_value_and_the_rule(changes, message):
    with pytest.raises(ParameterError) as e:
        sweep.expand(make_spec(**changes))
    assert message in str(e.value), str(e.value)


def _pending(path: Path) -> list[str]:
    """Per-member spreads a spec uses that the design parameters do not have (yet)."""
    text = path.read_text()
    out = []
    for name in ("bumps.height_spread", "solder_balls.diameter_spread"):
        section, field = name.split(".")
        model = design_model("flip-chip").model_fields[section].annotation
        if name in text and field not in model.model_fields:
            out.append(name)
    return out


def test_example_specs_load_and_expand():
    for path in SWEEPS:
        if _pending(path):
            continue  # needs the per-member spreads of the design parameters
        plan = sweep.expand(sweep.load_spec(path))
        assert 50 <= len(plan.variants) <= 200, path
    assert {p.name for p in SWEEPS} >= {"ball-pitch-diameter.toml", "polish-plane-bump-spread.toml",
                                        "slice-thickness-ball-height.toml"}


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
    from geometry.sweep.results import draw, flat_row, summary

    plan = sweep.expand(make_spec(tolerances={}, **changes))
    rows = [flat_row(plan, v, _fake_row(v.index, "invalid" if v.index % 3 == 2 else "ok"), False)
            for v in plan.variants]
    paths = draw(plan, rows, tmp_path)
    assert {p.name.split("-")[0] for p in paths} == {"map", "yield", "metric"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    text = summary(plan, rows, built=len(rows), cached=0, elapsed_s=1.0, workers="test", interrupted=False)
    assert "gap" in text and "not built:" in text and "invalid: x 1 must be y" in text


# ---------------------------------------------------------------------------------------------------------------
# The per-variant job, in this process


def test_margin_takes_the_sense_from_the_result():
    assert margin(0.02, 0.15, True) == pytest.approx(0.13)  # an upper bound met
    assert margin(0.20, 0.15, False) == pytest.approx(-0.05)  # an upper bound exceeded
    assert margin(0.30, 0.05, True) == pytest.approx(0.25)  # a lower bound met
    assert margin(0.01, 0.05, False) == pytest.approx(-0.04)  # a lower bound missed
    assert margin(math.inf, 1.0, False) is None


def test_run_variant_rows_are_plain_data():
    ok = run_variant(small_recipe())
    assert ok["status"] == "ok" and ok["passed"] is True and ok["reason"] == ""
    assert ok["params"]["bumps.pitch"] == 0.2 and ok["params"]["chip.thickness"] == 0.3
    checks = {c["name"]: c for c in ok["checks"]}
    cover = checks["chip_back_encapsulated"]
    assert cover["margin"] == pytest.approx(cover["value"] - cover["limit"]) and cover["margin"] > 0
    assert {b["name"] for b in ok["bodies"]} >= {"substrate", "bumps", "chip", "solder_balls"}
    assert ok["totals"]["mass_mg"] == pytest.approx(sum(b["mass_mg"] for b in ok["bodies"]))
    json.dumps(ok, allow_nan=False)

    bad = run_variant(small_recipe(bumps={"pitch": 0.1}))
    assert bad["status"] == "invalid" and "bumps.pitch 0.1 must be larger than the diameter" in bad["reason"]

    err = _with_failing_step(small_recipe(), run_variant)
    assert err["status"] == "error" and err["passed"] is None
    assert err["reason"].startswith("KernelError: injected: the chip cannot be mounted (at ")

    late = run_variant(small_recipe(), timeout=1e-9)
    assert late["status"] == "timeout" and "before step prepare_substrate" in late["reason"]


# ---------------------------------------------------------------------------------------------------------------
# End to end on the local pool


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The small sweep on 2 local workers, with one variant raising in the flow."""
    out = tmp_path_factory.mktemp("sweep-local")
    t0 = time.monotonic()
    result = sweep.run_sweep(make_spec(), out, workers=2, progress=False, worker=flaky_worker)
    return result, time.monotonic() - t0


def test_local_pool_end_to_end(local_run):
    result, _ = local_run
    out = result.out_dir
    assert not result.interrupted and result.planned == 6 and result.built == 6 and result.cached == 0
    assert result.status == {"ok": 2, "invalid": 3, "error": 1, "timeout": 0}
    rows = {(r["chip.thickness@nominal"] if "chip.thickness@nominal" in r else r["chip.thickness"],
             r["bumps.pitch"]): r for r in result.rows}
    good = rows[(0.30, 0.2)]
    assert good["status"] == "ok" and good["passed"] is True and good["cached"] is False
    assert good["check.solder_balls_coplanarity.passed"] is True
    assert good["check.chip_back_encapsulated.margin"] > 0
    assert good["body.chip.volume_mm3"] == pytest.approx(2.0 * 2.0 * 0.30)
    assert abs(good["second_encapsulant.cap_thickness"] - 0.6) <= 0.01
    # the design report's metrics: the chip back is encapsulated (claim 6), not exposed (claim 7)
    assert good["metric.claim_6_pass"] is True and good["metric.claim_7_embodied"] is False
    assert good["metric.claims_pass"] is True
    assert 0 < good["metric.theta_jtop_KW"] < good["metric.theta_jboard_KW"] < 1000
    assert good["metric.mass_total_mg"] == pytest.approx(good["total.mass_mg"])
    csv_rows = read_csv(out / "results.csv")
    assert [r["key"] for r in csv_rows] == [r["key"] for r in result.rows]
    assert csv_rows[0]["status"] == "ok" and float(csv_rows[0]["chip.thickness"]) == 0.30
    assert float(csv_rows[0]["metric.theta_jtop_KW"]) > 0
    import pyarrow.parquet as pq

    table = pq.read_table(out / "results.parquet")
    assert table.num_rows == 6 and table.column("status").to_pylist() == [r["status"] for r in result.rows]
    text = (out / "summary.txt").read_text()
    assert "6 of 6 variants" in text and "2 ok, 3 invalid, 1 error, 0 timeout" in text
    assert "solder_balls_coplanarity" in text and "100.0% (2/2)" in text
    assert "yield, all checks passed: 33.3% (2/6)" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"]["ok"] == 2 and summary["yield_all_checks"] == pytest.approx(2 / 6)
    pngs = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert "map-chip.thickness-bumps.pitch.png" in pngs and "yield-chip.thickness.png" in pngs
    assert all((out / "plots" / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)
    assert len(list((out / "cache").glob("*.json"))) == 6


def test_failing_variants_are_rows_not_the_end_of_the_sweep(local_run):
    result, _ = local_run
    invalid = [r for r in result.rows if r["status"] == "invalid"]
    assert len(invalid) == 3 and all(r["bumps.pitch"] == 0.1 for r in invalid)
    assert all("bumps.pitch 0.1 must be larger than the diameter 0.12" in r["reason"] for r in invalid)
    (err,) = [r for r in result.rows if r["status"] == "error"]
    assert err["chip.thickness"] == FLAKY_THICKNESS and err["passed"] is None
    assert "KernelError: injected: the chip cannot be mounted" in err["reason"]
    assert "not built:" in result.summary and "injected" in result.summary


def test_hung_and_dying_workers_are_replaced_and_the_sweep_goes_on(tmp_path):
    spec = make_spec(axes={"chip.thickness": [HUNG_THICKNESS, FLAKY_THICKNESS, 0.30], "bumps.pitch": [0.2]})
    t0 = time.monotonic()
    result = sweep.run_sweep(spec, tmp_path, workers=2, timeout=5.0, grace=1.0, progress=False,
                             worker=hanging_worker, plots=False)
    assert time.monotonic() - t0 < 60
    by = {r["chip.thickness"]: r for r in result.rows}
    assert by[0.30]["status"] == "ok"
    assert by[HUNG_THICKNESS]["status"] == "timeout" and "killed after" in by[HUNG_THICKNESS]["reason"]
    assert by[FLAKY_THICKNESS]["status"] == "error"
    assert by[FLAKY_THICKNESS]["reason"] == "worker process died (exit code 139)"
    for r in (by[HUNG_THICKNESS], by[FLAKY_THICKNESS]):  # not cached: tried again next time
        assert not (tmp_path / "cache" / f"{r['key']}.json").exists()
    assert (tmp_path / "cache" / f"{by[0.30]['key']}.json").exists()


# ---------------------------------------------------------------------------------------------------------------
# Resume


def test_resume_after_a_limit_and_an_interrupt(tmp_path):
    spec = make_spec(axes={"chip.thickness": [0.30, 0.31, 0.32, 0.33], "bumps.pitch": [0.2]})
    first = sweep.run_sweep(spec, tmp_path, workers=2, limit=2, progress=False, plots=False)
    assert (first.planned, first.built, first.cached, len(first.rows)) == (2, 2, 0, 2)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cache").glob("*.json")}
    assert len(stamps) == 2

    seen = []

    def ctrl_c(row):
        seen.append(row)
        raise KeyboardInterrupt  # what Ctrl-C does in the parent, after the first new row

    second = sweep.run_sweep(spec, tmp_path, workers=2, progress=False, on_row=ctrl_c, plots=False)
    assert second.interrupted and second.cached == 2 and second.built == 1 and len(seen) == 1
    assert len(second.rows) == 3 and "INTERRUPTED" in second.summary
    assert len(read_csv(tmp_path / "results.csv")) == 3

    third = sweep.run_sweep(spec, tmp_path, workers=2, progress=False, plots=False)
    assert not third.interrupted and (third.cached, third.built) == (3, 1)
    assert "3 from cache, 1 built" in third.summary
    assert [r["cached"] for r in third.rows].count(True) == 3
    assert all(r["status"] == "ok" for r in third.rows)
    for name, stamp in stamps.items():  # the first two were not rebuilt (nor rewritten)
        assert (tmp_path / "cache" / name).stat().st_mtime_ns == stamp


# ---------------------------------------------------------------------------------------------------------------
# Dask


def test_dask_local_cluster_gives_the_same_rows(local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = make_spec()
    # one worker process: the real path (a separate process, jobs and rows pickled); measured 6.6 s against 13 s
    # for two workers, which both import CadQuery at once on this 2-core machine (threads: 0.8 s)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        result = sweep.run_sweep(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False, plots=False)
    assert result.runner.startswith("Dask at tcp://")
    local = {r["key"]: r for r in local_run[0].rows}
    assert [r["key"] for r in result.rows] == list(local)
    for r in result.rows:
        if r["chip.thickness"] == FLAKY_THICKNESS and r["bumps.pitch"] == 0.2:
            assert r["status"] == "ok"  # the plain job: nothing injected on the cluster
            continue
        assert r["status"] == local[r["key"]]["status"]
        for k, v in r.items():
            if k.startswith("check.") and v is not None:
                assert v == pytest.approx(local[r["key"]][k]), k


# ---------------------------------------------------------------------------------------------------------------
# Command line


def test_command_line(tmp_path, capsys):
    base = tmp_path / "small.toml"
    lines = ['name = "small"', 'flow = "flip-chip"']
    for section, values in small_recipe().items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    base.write_text("\n".join(lines) + "\n")
    spec = tmp_path / "s.toml"
    spec.write_text('name = "cli"\nbase = "small.toml"\n[axes]\n"chip.thickness" = [0.3, 0.35, 0.4]\n'
                    '[keep]\nstep = "all"\nparameters = "all"\n')
    out = tmp_path / "out"
    assert sweep.main([str(spec), "-o", str(out), "--workers", "1", "--limit", "1"]) == 0
    printed = capsys.readouterr().out
    assert "1 of 1 variants" in printed and f"wrote {out}" in printed
    (row,) = read_csv(out / "results.csv")
    assert row["substrate.width"] == "6.0" and row["bumps.material"] == "SnPb63"  # parameters = "all"
    design = Path(row["exported"])
    assert design.parent == out / "designs" and (design / "package.step").is_file()
    assert (design / "manifest.json").is_file()

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nbase = "small.toml"\n[axes]\n"chip.thicknes" = [0.3]\n')
    assert sweep.main([str(bad), "-o", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "'chip.thicknes' is not a parameter" in err and "did you mean 'chip.thickness'" in err
    assert not (tmp_path / "o2").exists()
