"""Yield answers (geometry.sweep.yields): spec validation, the bisection against a brute-force scan of the same
points, and summary.json written and read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geometry.core.params import ParameterError
from geometry.sweep import yields as y
from tests.conftest import small_recipe

ROOT = Path(__file__).resolve().parents[2]


def spec(**changes) -> y.YieldSpec:
    data = {"name": "t", "base": "x.toml", "target": 0.95, "draws": 400, "seed": 2,
            "tolerances": {"polish_plane": 0.001},
            "per": {"key": "tolerances.bump_height", "values": [0.001, 0.003]},
            "find": {"key": "first_encapsulant.polish_plane", "low": 0.09, "high": 0.105, "resolution": 0.0005}}
    data.update(changes)
    return y.YieldSpec.model_validate(data)


RECIPE = small_recipe(first_encapsulant={"thickness": 0.12, "polish": True, "polish_plane": 0.1})


def test_bisection_agrees_with_a_scan():
    s = spec()
    for v in s.per.values:
        r = y.find_limit(s, RECIPE, v)
        assert r["limit"] is not None and r["at_limit"]["reaches"]
        # every point above the limit by more than the resolution fails, the limit itself reaches the target
        above = [p for p in r["points"] if p["values"][s.find.key] > r["limit"]]
        assert above and not any(p["reaches"] for p in above)
        assert min(p["values"][s.find.key] for p in above) - r["limit"] <= s.find.resolution
        scan = [y.evaluate(s, RECIPE, {s.per.key: v, s.find.key: float(x)})["reaches"]
                for x in np.arange(s.find.low, r["limit"], 0.002)]
        assert all(scan)  # monotone below the limit
    lo, hi = (y.find_limit(s, RECIPE, v)["limit"] for v in s.per.values)
    assert lo > hi  # a wider height spread needs a lower plane


def test_unreachable_target_and_refused_values():
    s = spec(find={"key": "first_encapsulant.polish_plane", "low": 0.104, "high": 0.2, "resolution": 0.001})
    r = y.find_limit(s, RECIPE, 0.003)
    assert r["limit"] is None and len(r["points"]) == 1
    p = y.evaluate(s, RECIPE, {"first_encapsulant.polish_plane": 0.2})
    assert not p["reaches"] and "polish_plane" in p["refused"]


def test_spec_refusals():
    with pytest.raises(ValueError, match="tolerance 'warp'"):
        spec(per={"key": "tolerances.warp", "values": [1.0]})
    with pytest.raises(ValueError, match="below find.high"):
        spec(find={"key": "a", "low": 1.0, "high": 0.5, "resolution": 0.1})
    with pytest.raises(ValueError):
        spec(target=1.0)


def test_shipped_spec_answers_and_writes_summary(tmp_path):
    s, recipe = y.load_spec(ROOT / "builds/sweeps/yields/polish-plane-for-spread.toml")
    s = s.model_copy(update={"draws": 400, "target": 0.95, "per": y.PerAxis(key=s.per.key, values=[0.002])})
    summary = y.run(s, recipe)
    path = y.write(summary, tmp_path / "out")
    back = json.loads(path.read_text())
    row = back["rows"][0]
    assert row["per"] == 0.002 and 0.08 < row["limit"] < 0.105
    assert row["at_limit"]["lower_bound"] >= 0.95 and row["at_limit"]["draws"] == 400
    assert "0.002" in y.table(summary) and not list(tmp_path.glob("out/.*"))


def test_load_spec_checks_the_flow_tolerances_and_check(tmp_path):
    (tmp_path / "c.toml").write_text('name = "c"\nflow = "cavity"\n')
    (tmp_path / "t.toml").write_text('name = "t"\nflow = "toy"\n')
    body = '[per]\nkey = "a"\nvalues = [1.0]\n[find]\nkey = "b"\nlow = 0.0\nhigh = 1.0\nresolution = 0.1\n'
    head = 'name = "s"\ntarget = 0.9\n'
    cases = [('base = "t.toml"\n', "fast paths exist for the flip-chip and cavity flows"),
             ('base = "c.toml"\n[tolerances]\npolish_plane = 0.001\n', "not one of the cavity fast path's"),
             ('base = "c.toml"\ncheck = "exposure"\n', "check 'exposure' is not 'all' or one of slug")]
    for extra, message in cases:
        (tmp_path / "s.toml").write_text(head + extra + body)
        with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
            y.load_spec(tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text(head + 'base = "c.toml"\ncheck = "slug"\n[recipe]\n"metal_slice.thickness" = '
                                     '0.2\n' + body)
    s, recipe = y.load_spec(tmp_path / "s.toml")
    assert s.check == "slug" and recipe["metal_slice"] == {"thickness": 0.2}


def test_cli_yield_writes_the_summary_and_refuses_a_bad_spec(tmp_path, capsys):
    from geometry import cli

    base = ROOT / "builds/flip-chip/fc-polished.toml"
    spec_path = tmp_path / "s.toml"
    spec_path.write_text(f'name = "s"\nbase = "{base.as_posix()}"\ntarget = 0.9\ndraws = 200\n'
                         '[per]\nkey = "tolerances.bump_height"\nvalues = [0.002]\n'
                         '[find]\nkey = "first_encapsulant.polish_plane"\nlow = 0.09\nhigh = 0.105\n'
                         'resolution = 0.002\n')
    assert cli.main(["yield", str(spec_path), "-o", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rows"][0]["limit"] is not None and "tolerances.bump_height" in capsys.readouterr().out
    assert (tmp_path / "out" / "limits.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    spec_path.write_text('name = "s"\nbase = "x.toml"\ntarget = 2.0\n')
    assert cli.main(["yield", str(spec_path), "-o", str(tmp_path / "out2")]) == 2
    assert "target" in capsys.readouterr().err and not (tmp_path / "out2").exists()


SHIPPED = sorted((ROOT / "builds/sweeps/yields").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_spec_answers_with_small_draws(path, tmp_path):
    """Each shipped spec loads and answers its first value with 200 draws and a coarse resolution; the answer lies
    inside the searched range and reaches a relaxed target."""
    s, recipe = y.load_spec(path)
    f = s.find
    s = s.model_copy(update={"draws": 200, "target": 0.9, "per": y.PerAxis(key=s.per.key, values=s.per.values[:1]),
                             "find": f.model_copy(update={"resolution": (f.high - f.low) / 8})})
    summary = y.run(s, recipe)
    row = summary["rows"][0]
    assert row["limit"] is not None and f.low <= row["limit"] <= f.high
    assert row["at_limit"]["lower_bound"] >= 0.9 and row["at_limit"]["draws"] == 200
    assert summary["check"] == s.check and y.write(summary, tmp_path).exists()


def test_coplanarity_spec_allows_more_spread_at_a_coarser_pitch():
    """The JEDEC limit grows with the pitch (0.08, 0.12, 0.15 mm): so does the ball diameter spread allowed."""
    s, recipe = y.load_spec(ROOT / "builds/sweeps/yields/ball-coplanarity-for-pitch.toml")
    s = s.model_copy(update={"draws": 300, "find": s.find.model_copy(update={"resolution": 0.002})})
    limits = [r["limit"] for r in y.run(s, recipe)["rows"]]
    assert limits[0] < limits[1] < limits[2]
