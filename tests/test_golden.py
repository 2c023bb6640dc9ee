"""Golden data: every recipe in ``builds/`` rebuilt and compared with ``tests/golden/<recipe>.json``.

Each golden file holds what a refactor must not change: the geometry digest of the finished stack, per body its
material, count, solid and net volume (mm3) and mass (mg), and every check's name, claim, value, limit, unit,
result and worst member. Volumes and values are compared to a relative 1e-9 (absolute 1e-12 mm3 or unit): the
same kernel calls give the same numbers; anything looser would hide a changed model.

Regenerate (only when a change of the model is intended, and say which values changed and why in the commit):
``python tests/test_golden.py --write`` (every recipe) or ``--write fc-basic cavity-equal`` (the named ones, e.g.
a new recipe).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
RECIPES = sorted((ROOT / "builds").glob("*/*.toml"))
RECIPES = [p for p in RECIPES if p.parent.name != "sweeps"]
RTOL, ATOL = 1e-9, 1e-12


def record(path: Path, checked: tuple | None = None) -> dict:
    """The golden record of the recipe at ``path``, from the public API (its manifest); ``checked``: its (build,
    check results) when already made (the tests share one per session)."""
    from geometry import api

    if checked is None:
        build = api.run(api.load(path))
        checked = build, api.check(build)
    m = api.manifest(*checked)
    return {
        "name": m["name"],
        "flow": m["flow"],
        "geometry_digest": m["geometry_digest"],
        "bodies": [{k: b[k] for k in ("name", "material", "count", "volume_mm3", "net_volume_mm3", "mass_mg")}
                   for b in m["bodies"]],
        "checks": [{k: c[k] for k in ("name", "claim", "value", "limit", "unit", "passed", "where")}
                   for c in m["checks"]],
    }


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        fa, fb = float(a), float(b)
        if math.isinf(fa) or math.isinf(fb) or math.isnan(fa) or math.isnan(fb):
            return str(fa) == str(fb)
        return math.isclose(fa, fb, rel_tol=RTOL, abs_tol=ATOL)
    return a == b


def differences(got: dict, want: dict) -> list[str]:
    """Every difference between two golden records, one line each."""
    out = [f"{k}: {got[k]!r} != {want[k]!r}" for k in ("name", "flow", "geometry_digest") if got[k] != want[k]]
    for what, key in (("bodies", "name"), ("checks", "name")):
        g = [(x[key], x) for x in got[what]]
        w = [(x[key], x) for x in want[what]]
        if [k for k, _ in g] != [k for k, _ in w]:
            out.append(f"{what}: {[k for k, _ in g]} != {[k for k, _ in w]}")
            continue
        for (name, x), (_, y) in zip(g, w, strict=True):
            out += [f"{what} {name}.{f}: {x[f]!r} != {y[f]!r}" for f in y if not _close(x[f], y[f])]
    return out


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_recipe_has_golden_data() -> None:
    have = sorted(p.stem for p in GOLDEN.glob("*.json"))
    assert have == sorted(p.stem for p in RECIPES)


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_golden(path: Path) -> None:
    want = _json(GOLDEN / f"{path.stem}.json")
    from tests.conftest import checked_recipe

    diff = differences(record(path, checked_recipe(path)), want)
    assert not diff, "\n".join(diff[:20])


def test_differences_see_a_changed_value() -> None:
    want = _json(GOLDEN / "fc-basic.json")
    got = json.loads(json.dumps(want))
    got["bodies"][0]["volume_mm3"] *= 1 + 1e-7
    got["checks"][-1]["passed"] = not got["checks"][-1]["passed"]
    got["geometry_digest"] = "0" * 64
    diff = differences(got, want)
    assert len(diff) == 3 and diff[0].startswith("geometry_digest")


if __name__ == "__main__":
    if sys.argv[1:2] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write [RECIPE ...]   (rewrites tests/golden/*.json from the "
                 "code: every recipe, or the named ones)")
    wanted = set(sys.argv[2:])
    GOLDEN.mkdir(exist_ok=True)
    for p in RECIPES:
        if wanted and p.stem not in wanted:
            continue
        text = json.dumps(record(p), indent=1, sort_keys=True) + "\n"
        (GOLDEN / f"{p.stem}.json").write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN / p.stem}.json")
