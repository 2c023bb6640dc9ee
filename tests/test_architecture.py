"""The architecture as tests: the import-linter contracts of pyproject.toml (layers, independent flows, no cycles),
no private name imported across modules, imports at the top of files except the documented optional ones, a light
``import geometry``, and no module over 500 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "geometry"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 500

DEFERRED = ("matplotlib", "vtkmodules", "IPython", "pyarrow", "distributed", "dask", "gmsh", "meshio", "scipy",
            "trimesh")
"""Optional heavy libraries a function may import where it needs them (pictures, notebooks, Parquet, Dask, the
volume mesh; scipy's spatial search and statistics, some 0.5 and 0.8 s, and trimesh, some 0.3 s, where a recipe's
validation, a check or a sweep would otherwise load them without using them: issue 15)."""
DEFERRED_OWN = {("geometry/cli.py", "geometry.commands"), ("geometry/cli.py", "geometry.recipes"),
                ("geometry/cli.py", "geometry.sweep.spec"), ("geometry/core/flow.py", "geometry.core.stack"),
                *((f"geometry/flows/{f}/__init__.py", f"geometry.flows.{f}.{m}")
                  for f, ms in (("flip_chip", ("checks", "fills", "steps", "thermal", "views")),
                                ("cavity", ("checks", "steps", "thermal", "views"))) for m in ms),
                ("geometry/sweep/worker.py", "geometry.api"), ("geometry/sweep/worker.py", "geometry.output.report"),
                ("geometry/thermal/jedec.py", "geometry.thermal.fem"),
                *(("geometry/api.py", f"geometry.output.{m}") for m in ("design", "instanced", "manifest", "report")),
                *(("geometry/commands.py", f"geometry.output.{m}")
                  for m in ("ballmap", "design", "drawing", "footprint", "picture", "volume_mesh")),
                ("geometry/commands.py", "geometry.sweep"),
                *(("geometry/output/report.py", f"geometry.output.{m}") for m in ("drawing", "instanced", "picture"))}
"""The deferred imports of pkgcad's own code, each where the kernel (OpenCascade) is first needed, so that reading,
validating and budgeting a recipe or a sweep spec never loads it: the CLI loads the design models once the arguments
are parsed (``--help`` stays light) and its commands once the inputs are accepted; a flow its steps, checks, thermal network and views (:attr:`geometry.core.flow.Flow.kernel`) on first use;
:meth:`~geometry.core.flow.Flow.run` the stack; a sweep worker the modelling and report layers when it builds; the JEDEC figures the FE solver (scipy's sparse
solvers and interpolation, scikit-fem) on the first solve, so a design report without the 3D solve never loads it;
the API its output layer (meshes, pictures, STEP folders, the report) in the functions that write, the commands each
the output modules only it uses, and the report its drawing modules when it draws, so ``pkgcad check`` and a sweep
worker load no drawing code (issue 15: imports)."""


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names."""
    if not node.level:
        return node.module or ""
    base = _module_name(path).split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(name: str) -> bool:
    p = ROOT.joinpath(*name.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def test_import_linter_contracts() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail(f"{lint} is missing: import-linter is a dev dependency (pip install -e '.[dev]')")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "broken" in out.stdout and "0 broken" in out.stdout


def test_no_private_name_crosses_a_module() -> None:
    found = []
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _resolve(path, node)
                if not source.startswith("geometry"):
                    continue
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {a.name} from {source}")
                    if _is_module(f"{source}.{a.name}"):
                        modules.add(a.asname or a.name)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not found, "\n".join(found)


def test_private_name_scan_sees_a_violation(tmp_path: Path) -> None:
    """The scan above is not vacuous: the same rule flags a purpose-built offending module."""
    bad = ast.parse("from .core.params import _loc\n")
    node = bad.body[0]
    assert isinstance(node, ast.ImportFrom) and node.names[0].name.startswith("_")
    assert _resolve(PACKAGE / "api.py", node) == "geometry.core.params"
    assert _is_module("geometry.core.params") and not _is_module("geometry.core.nothing")


def _deferred_imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import inside a function or class body of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for scope in ast.walk(tree):
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(scope):
            if isinstance(node, ast.Import):
                out += [(node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(path, node)
                out += [(node.lineno, f"{source}.{a.name}" if _is_module(f"{source}.{a.name}") else source)
                        for a in node.names]
    return out


def test_imports_at_the_top_except_documented_optional_ones() -> None:
    bad = []
    for path in MODULES:
        rel = path.relative_to(ROOT).as_posix()
        for line, name in _deferred_imports(path):
            if name.split(".")[0] in DEFERRED or (rel, name) in DEFERRED_OWN:
                continue
            bad.append(f"{rel}:{line} imports {name} inside a function")
    assert not bad, "\n".join(bad)


def test_deferred_import_scan_sees_one(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text("def f():\n    import json\n    return json\n", encoding="utf-8")
    assert [name for _, name in _deferred_imports(p)] == ["json"]


def _loaded(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_import_geometry_stays_light() -> None:
    """``import geometry`` and the CLI's parser load no kernel and no optional library; the modelling stack
    (``geometry.api``: CadQuery, which brings VTK) loads no plotting, notebook, Parquet, Dask or mesher library."""
    light = _loaded("import geometry, geometry.cli")
    assert not light & {"cadquery", "OCP", "vtkmodules", "matplotlib", "dask", "distributed", "IPython",
                        "pyarrow", "gmsh", "skfem", "trimesh"}
    full = _loaded("import geometry.api, geometry.commands")
    assert "cadquery" in full
    assert not full & {"matplotlib", "dask", "distributed", "IPython", "pyarrow", "gmsh", "trimesh", "meshio"}


def _modules(code: str) -> set[str]:
    """Every module in ``sys.modules`` after ``code`` ran in a fresh interpreter at the project root (the last line
    of its output: what the command printed before is not read)."""
    probe = f"{code}\nimport sys\nprint('\\n' + ' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return set(out.stdout.splitlines()[-1].split())


def _packages(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


UNUSED_BY_CHECK = {"matplotlib", "trimesh", "meshio", "skfem", "gmsh", "PIL", "tqdm", "scipy.stats",
                   "scipy.interpolate", "scipy.optimize", "scipy.ndimage", "geometry.sweep", "geometry.output.drawing",
                   "geometry.output.picture", "geometry.output.instanced", "geometry.output.design",
                   "geometry.output.manifest", "geometry.thermal.fem"}
"""What ``pkgcad check`` of a flip-chip recipe (no swept members, no 3D thermal solve) and a sweep worker running one
never use: no picture, mesh file, volume mesh, report drawing, yield statistics or sweep pool (issue 15)."""


def test_help_loads_neither_the_kernel_nor_the_models() -> None:
    """``pkgcad --help`` imports the argument parser and the input readers only: no OpenCascade, no pydantic models,
    no numpy."""
    loaded = _modules("from geometry.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit as e:\n"
                      "    assert e.code == 0, e.code")
    assert "geometry.cli" in loaded
    heavy = _packages(loaded) & {"cadquery", "OCP", "vtkmodules", "numpy", "pydantic", "scipy", "trimesh", "matplotlib"}
    assert not heavy, heavy


def test_check_imports_only_what_it_uses() -> None:
    """``pkgcad check`` of fc-basic builds and checks (the kernel, the flow's checks and their k-d trees load: the
    probe is not vacuous) and loads none of :data:`UNUSED_BY_CHECK`."""
    loaded = _modules("from geometry.cli import main\nassert main(['check', 'builds/flip-chip/fc-basic.toml']) == 0")
    assert {"cadquery", "OCP", "scipy.spatial", "geometry.flows.flip_chip.checks", "geometry.output.tables"} <= loaded
    unused = (loaded | _packages(loaded)) & UNUSED_BY_CHECK
    assert not unused, unused


def test_a_sweep_worker_imports_only_what_it_uses() -> None:
    """A worker (the fork server's preload, then one variant with its checks, bodies and report metrics) loads none
    of :data:`UNUSED_BY_CHECK` but the sweep package itself, which holds the worker."""
    loaded = _modules("import importlib, tomllib\nfrom geometry.sweep.runners import PRELOAD\n"
                      "for m in PRELOAD:\n    importlib.import_module(m)\n"
                      "from geometry.sweep.worker import run_variant\n"
                      "row = run_variant(tomllib.loads(open('builds/flip-chip/fc-basic.toml', encoding='utf-8').read()))\n"
                      "assert row['status'] == 'ok' and row['metrics'] and row['checks'], row")
    assert {"cadquery", "geometry.output.report", "geometry.flows.flip_chip.checks"} <= loaded
    unused = (loaded | _packages(loaded)) & (UNUSED_BY_CHECK - {"geometry.sweep", "tqdm"})
    assert not unused, unused


def test_the_report_pictures_load_the_drawing_modules() -> None:
    """The other side of the two tests above: drawing the report's pictures does import trimesh and the drawing
    modules, so their absence there means they were not needed, not that the probe cannot see them."""
    loaded = _modules("from geometry import api\nfrom geometry.output.report import pictures\n"
                      "b = api.run(api.load('builds/flip-chip/fc-basic.toml'))\n"
                      "p = pictures(b)\nassert p['strip'][:4] == b'\\x89PNG' and p['3d'][:4] == b'\\x89PNG'")
    assert {"trimesh", "matplotlib", "geometry.output.drawing", "geometry.output.picture"} <= loaded


def test_the_report_loads_the_thermal_solver_only_to_solve() -> None:
    """The design report of every ``pkgcad build --report`` imports the 3D thermal solve (scikit-fem, scipy's
    interpolation, :mod:`geometry.thermal.fem`) only when a design asks for the solve (issue 15: imports)."""
    code = "import sys, geometry.output.report; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split())
    assert "geometry.thermal.jedec" in loaded
    assert not loaded & {"skfem", "scipy.interpolate", "geometry.thermal.fem", "geometry.thermal.grid"}


def test_no_module_exceeds_500_lines() -> None:
    long = {p.relative_to(ROOT).as_posix(): n for p in MODULES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_heavy_test_files_exist_and_are_handed_out_first() -> None:
    """The files that tests/conftest.py hands out first under pytest-xdist are real test files (a renamed one would
    silently fall back to the plain order), and the hook puts their tests first, in that order, keeping the order
    inside each file and of the other files."""
    from types import SimpleNamespace

    from tests.conftest import HEAVY_FIRST, ROOT, pytest_collection_modifyitems

    assert [n for n in HEAVY_FIRST if not (ROOT / n).is_file()] == []
    names = ["tests/a.py", HEAVY_FIRST[1], "tests/b.py", HEAVY_FIRST[0], HEAVY_FIRST[1], "tests/a.py"]
    items = [SimpleNamespace(path=ROOT / name, n=i) for i, name in enumerate(names)]
    pytest_collection_modifyitems(items)
    assert [item.n for item in items] == [3, 1, 4, 0, 2, 5]
