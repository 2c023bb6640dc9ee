"""The one copy of every shared test helper: paths, small designs that build in well under a second and their
fixtures, recipe files, builds with a replaced stack, a hand-built stack for the output tests, the small sweep spec
and a fault-injecting flow step. Test modules import the helpers as ``from tests.conftest import small_recipe``."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import pytest

from geometry import api, sweep
from geometry.core import occ
from geometry.core.occ import KernelError
from geometry.core.results import CheckResult
from geometry.core.stack import Body, Instances, Stack
from geometry.flows import load_design
from geometry.flows.flip_chip import names, steps
from geometry.output.design import write_design
from geometry.output.manifest import manifest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "builds"
LARGE_SOLIDS = 2000
"""Recipes whose golden data counts more solids than this are read back through STEP only in the slow run (gmsh
takes 45 s to 3 min for each of the 2,500 to 11,000-solid recipes, 24 min for fc-production)."""


HEAVY_FIRST = (
    "tests/output/test_freecad.py", "tests/output/test_gmsh.py", "tests/output/test_volume_mesh.py",
    "tests/thermal/test_package.py", "tests/output/test_step.py", "tests/core/test_conformal.py", "tests/test_cli.py",
    "tests/test_architecture.py", "tests/output/test_step_instances.py", "tests/test_golden.py",
    "tests/test_lazy_kernel.py", "tests/flows/cavity/test_wires.py", "tests/measure/test_interference.py",
    "tests/thermal/test_pictures.py", "tests/output/test_step_copies.py", "notebooks/cavity.ipynb",
    "notebooks/thermal.ipynb", "tests/core/test_claims.py", "tests/test_fuzz.py",
)
"""The test files that take longest (the sums of their tests' durations in a full run, longest first: the FreeCAD
batch is one indivisible block: 130 s in a quiet CI run, 5 min on a loaded machine). They are collected first, so that pytest-xdist's ``--dist loadfile``
hands them out before the many short files and no worker is left with a long file at the end (longest
processing time first); the order of the tests inside a file is kept."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the :data:`HEAVY_FIRST` files first, in that order, then the others in their collection order."""
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(Path(item.path).resolve().relative_to(ROOT).as_posix(), len(rank)))


def recipe_files() -> list[Path]:
    """Every design recipe in builds/ (not the sweep specs), sorted."""
    return sorted(p for p in RECIPES.glob("*/*.toml") if p.parent.name != "sweeps")


def solid_count(recipe: Path) -> int:
    """Solids of ``recipe`` as its golden data counts them (tests/golden/<name>.json)."""
    import tomllib

    name = tomllib.loads(recipe.read_text())["name"]
    golden = json.loads((ROOT / "tests" / "golden" / f"{name}.json").read_text())
    return sum(b["count"] for b in golden["bodies"])


def small_recipe_files() -> list[Path]:
    """The recipes of at most :data:`LARGE_SOLIDS` solids: read back through STEP in the default run."""
    return [p for p in recipe_files() if solid_count(p) <= LARGE_SOLIDS]


def large_recipe_files() -> list[Path]:
    """The recipes of more than :data:`LARGE_SOLIDS` solids (the slow run)."""
    return [p for p in recipe_files() if solid_count(p) > LARGE_SOLIDS]


@functools.cache
def _checked(path: Path) -> tuple:
    build = api.run(api.load(path))
    return build, tuple(api.check(build))


def checked_recipe(path: Path) -> tuple:
    """(build, check results) of the recipe file ``path``. A recipe of at most :data:`LARGE_SOLIDS` solids is built
    and checked once per test session and shared: builds are frozen and no step mutates a stack, so the tests that
    read every recipe (golden data, the STEP readers) need not build it again each. Larger ones are built afresh
    (not kept in memory)."""
    path = Path(path).resolve()
    if (ROOT / "tests" / "golden" / f"{path.stem}.json").exists() and solid_count(path) <= LARGE_SOLIDS:
        return _checked(path)
    build = api.run(api.load(path))
    return build, tuple(api.check(build))


@pytest.fixture(scope="session")
def exported_recipe(tmp_path_factory: pytest.TempPathFactory):
    """A function: recipe file -> its design folder as ``pkgcad build`` writes it (``api.export`` of
    :func:`checked_recipe`), written once per test run and shared read-only. Under pytest-xdist the folders live
    in the run's temporary root that every worker shares, and a lock file per recipe makes the first worker to
    ask export it while the others wait and read it (the exports are byte-identical from process to process,
    ``tests/test_output_faults.py``), so the STEP, gmsh and FreeCAD readers on different workers build and export
    each recipe once in all."""
    import fcntl
    import os

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "exports-shared"
    root.mkdir(exist_ok=True)
    folders: dict[Path, Path] = {}

    def folder(path: Path) -> Path:
        key = Path(path).resolve()
        if key not in folders:
            mine = root / key.stem
            with open(root / f"{key.stem}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                done = root / f"{key.stem}.folder"
                if not done.exists():
                    build, results = checked_recipe(key)
                    written = api.export(build, list(results), mine)
                    done.write_text(written.name)
                folders[key] = mine / done.read_text()
        return folders[key]

    return folder

SMALL = {
    "name": "small",
    "flow": "flip-chip",
    "substrate": {"width": 6.0, "length": 6.0, "thickness": 0.5},
    "chip_area": {"width": 3.0, "length": 3.0},
    "bump_pads": {"diameter": 0.11, "thickness": 0.015},
    "bumps": {"pitch": 0.2, "count_x": 6, "count_y": 5, "diameter": 0.12, "height": 0.09},
    "chip": {"width": 2.0, "length": 2.0, "thickness": 0.3},
    "second_encapsulant": {"cap_thickness": 0.6},
    "solder_balls": {"pitch": 1.0, "count_x": 5, "count_y": 5},
}


def _updated(base: dict, changes: dict) -> dict:
    """A copy of ``base`` with sections updated by ``changes`` (section -> dict, or top-level key -> value; None
    removes the key)."""
    d = copy.deepcopy(base)
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k].update(v)
        elif v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def small_recipe(**changes) -> dict:
    """The small flip-chip design, updated as in :func:`_updated`."""
    return _updated(SMALL, changes)


@pytest.fixture
def small():
    """The small flip-chip design, validated."""
    return load_design(small_recipe())


SMALL_CAVITY = {
    "name": "small-cavity",
    "flow": "cavity",
    "substrate": {"width": 8.0, "length": 8.0, "thickness": 0.36},
    "opening": {"width": 3.0, "length": 3.0},
    "die": {"width": 2.0, "length": 2.0, "thickness": 0.25, "pads_per_side": 6, "pad_pitch": 0.15},
    "bond_fingers": {"pitch": 0.2, "gap": 0.3},
    "solder_balls": {"pitch": 0.7, "count_x": 10, "count_y": 10, "layout": "perimeter", "rows": 2},
}


def small_cavity(**changes) -> dict:
    """The small cavity design (builds in about half a second), updated as in :func:`_updated`."""
    return _updated(SMALL_CAVITY, changes)


@pytest.fixture(scope="module")
def small_build():
    """The small flip-chip design, built (once per module)."""
    return api.run(load_design(small_recipe()))


def many_bumps_recipe() -> dict:
    """The small flip-chip design with 12 x 10 bumps (120 bumps, substrate pads and chip pads, so 120 hole copies in
    its first encapsulant) and 25 balls: arrays above and below the STEP writer's text thresholds (``LEAST`` of
    :mod:`geometry.core.occ_step_copies` and :mod:`geometry.core.occ_step_instances`)."""
    return small_recipe(name="many", bumps={"count_x": 12, "count_y": 10, "pitch": 0.15, "diameter": 0.09,
                                            "height": 0.07}, bump_pads={"diameter": 0.08})


@pytest.fixture(scope="module")
def many_build():
    """:func:`many_bumps_recipe`, built (once per module)."""
    return api.run(load_design(many_bumps_recipe()))


# ------------------------------------------------------------------------------------------------ recipes as files


def write_recipe(path: Path, recipe: dict) -> Path:
    """``recipe`` (one level of sections) written as a TOML file at ``path``."""
    def toml_value(v):
        return json.dumps(v) if not isinstance(v, bool) else str(v).lower()

    lines = [f"{k} = {toml_value(v)}" for k, v in recipe.items() if not isinstance(v, dict)]
    for k, v in recipe.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f"{kk} = {toml_value(vv)}" for kk, vv in v.items() if vv is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


def solid_volumes(shapes) -> list[float]:
    """The volume (mm3) of every solid of the cadquery ``shapes`` a reader returned, computed once per shared
    definition: copies placed by a location (a STEP's mapped items) are the same solid moved, so of the same
    volume (cavity-bga23: 107 definitions for 1,767 solids, 1.8 instead of 8.8 s)."""
    import cadquery as cq
    from OCP.TopLoc import TopLoc_Location

    seen: dict[int, list[tuple[object, float]]] = {}
    out = []
    for solid in (x for shape in shapes for x in shape.Solids()):
        bare = solid.wrapped.Located(TopLoc_Location())
        bucket = seen.setdefault(hash(bare), [])
        volume = next((v for other, v in bucket if other.IsSame(bare)), None)
        if volume is None:
            volume = cq.Shape.cast(bare).Volume()
            bucket.append((bare, volume))
        out.append(volume)
    return out


def design_file(design: Path, suffix: str) -> Path:
    """The one file of the design folder ``design`` with ``suffix`` (".step", ".stl", ".glb", ".html"), whatever
    the output layer names it (<design>.step since issue 13, package.step before)."""
    found = sorted(p for p in design.glob(f"*{suffix}") if p.is_file() and p.name != "manifest.json")
    assert len(found) == 1, f"{design}: {len(found)} files *{suffix}: {[p.name for p in found]}"
    return found[0]


def files_under(p: Path) -> list[Path]:
    """Every file below ``p`` (none when it does not exist), sorted."""
    return sorted(q for q in p.rglob("*") if q.is_file()) if p.exists() else []


# ------------------------------------------------------------------------------------------------------- builds


def by_name(results) -> dict[str, CheckResult]:
    """Check results keyed by check name."""
    return {r.name: r for r in results}


def with_step(build, key: str, stack: Stack):
    """The build ``build`` with the stack after step ``key`` replaced by ``stack``."""
    return dataclasses.replace(build, history=tuple(dataclasses.replace(r, stack=stack) if r.step.key == key else r
                                                    for r in build.history))


def with_stack(build, stack: Stack):
    """The build ``build`` with its finished stack replaced by ``stack``."""
    return with_step(build, build.history[-1].step.key, stack)


def with_failing_step(recipe: dict, fn, **kwargs) -> dict:
    """``fn(recipe, **kwargs)`` with the flip-chip ``mount_chip`` step raising a kernel error for this call only."""
    original = steps.STEPS[names.MOUNT_CHIP]

    def boom(stack, design):
        raise KernelError("injected: the chip cannot be mounted")

    steps.STEPS[names.MOUNT_CHIP] = dataclasses.replace(original, apply=boom)
    try:
        return fn(recipe, **kwargs)
    finally:
        steps.STEPS[names.MOUNT_CHIP] = original


# ---------------------------------------------------------------------------- a hand-built stack for the outputs

BALL_R = 0.3
"""Radius (mm) of the balls of :func:`ball_stack`."""


@pytest.fixture(scope="module")
def ball_stack() -> Stack:
    """A 2 x 1 x 0.5 mm substrate on a 3 x 3 grid of whole spheres of radius :data:`BALL_R` (mm)."""
    substrate = Body.one("substrate", "BT", occ.box(0.0, 0.0, 0.0, 2.0, 1.0, 0.5))
    grid = np.array([(0.5 + x, 0.5 + y, -BALL_R) for y in range(3) for x in range(3)], dtype=float)
    balls = Body("solder_balls", "SAC305", (Instances.at(occ.sphere(BALL_R, 0.0), grid),))
    return Stack((substrate, balls))


@pytest.fixture(scope="module")
def ball_design(ball_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The design folder of :func:`ball_stack` (name ``demo``, two steps), written once per module."""
    out = tmp_path_factory.mktemp("out")
    data = manifest("demo", "flip_chip", {"pitch": 1.0, "ball": {"d": 2 * BALL_R}}, ball_stack,
                    [{"name": "coplanarity", "passed": True, "value": float("inf")}],
                    [{"key": "substrate"}, {"key": "ball_attach"}])
    stages = [("substrate", Stack(ball_stack.bodies[:1])), ("ball_attach", ball_stack)]
    return write_design(out, "demo", ball_stack, data, stages)


# ------------------------------------------------------------------------------------------------------ sweeps

FLAKY_THICKNESS = 0.34
"""Chip thickness at which the fault-injecting sweep jobs of the tests make the flow raise or the worker die."""
HUNG_THICKNESS = 0.32
"""Chip thickness at which the hanging sweep job of the tests hangs."""


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
    """The validated :func:`spec_dict` sweep."""
    return sweep.parse_spec(spec_dict(**changes))


# ------------------------------------------------------------------------------------------------------ thermal

THERMAL_K = {"Si": 148.0, "EMC": 0.9, "Al": 237.0, "SnPb63": 50.0, "Cu": 398.0, "BT": 0.4, "SAC305": 58.0,
             "die_attach": 2.5}
"""Conductivities (W/m.K) as typed in the material table, for hand computations."""


def series_r(t_mm: float, k: float, a_mm2: float, n: int = 1) -> float:
    """Conduction resistance (K/W) of ``n`` parallel slabs ``t_mm`` thick of area ``a_mm2``, conductivity ``k``."""
    return 1000.0 * t_mm / (k * a_mm2 * n)
