"""STEP structure costs: file size and write time of the default flat form (every member a named reference to its
prototype) against the shared-row form (``rows=True``), and the read time of cadquery's ``importStep`` and
``Assembly.load`` and of gmsh (labels off and on) on the default file.

Usage: python benchmarks/bench_step.py [RECIPE ...]   (default: fc-basic and fc-two-chip; fc-production works
too, but gmsh with labels takes many minutes on it: pass --no-gmsh-labels). Run by hand; prints a table of
wall-clock seconds on this machine and sizes in MB.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "builds/flip-chip/fc-basic.toml", ROOT / "builds/flip-chip/fc-two-chip.toml"]


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def _gmsh(path: Path, labels: bool) -> int:
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("Geometry.OCCImportLabels", int(labels))
        gmsh.model.occ.importShapes(str(path), highestDimOnly=True)
        gmsh.model.occ.synchronize()
        return len(gmsh.model.getEntities(3))
    finally:
        gmsh.finalize()


def bench(recipe: Path, out: Path, gmsh_labels: bool) -> list[tuple[str, str]]:
    import cadquery as cq

    from geometry import api
    from geometry.output.step import write_step

    build = api.run(api.load(recipe))
    name = build.design.name
    rows = []
    for label, kw in (("rows=True", {"rows": True}), ("flat (default)", {})):
        path = out / f"{name}-{'rows' if kw else 'flat'}.step"
        t, _ = _timed(write_step, build.stack, name, path, timestamp="2026-01-01T00:00:00", **kw)
        rows.append((f"write {label}", f"{t:.2f} s, {path.stat().st_size / 1e6:.2f} MB"))
    flat = out / f"{name}-flat.step"
    t, shape = _timed(cq.importers.importStep, str(flat))
    rows.append(("cadquery importStep", f"{t:.2f} s, {len(shape.solids().vals())} solids"))
    t, assy = _timed(cq.Assembly.load, str(flat), importType="STEP")
    rows.append(("cadquery Assembly.load", f"{t:.2f} s, {len(assy.children)} bodies"))
    for labels in (False, True) if gmsh_labels else (False,):
        t, n = _timed(_gmsh, flat, labels)
        rows.append((f"gmsh importShapes, labels {'on' if labels else 'off'}", f"{t:.2f} s, {n} volumes"))
    return rows


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    recipes = [Path(a) for a in args] or DEFAULT
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in recipes:
            print(f"\n{recipe.stem}")
            for label, value in bench(recipe, Path(tmp), "--no-gmsh-labels" not in sys.argv):
                print(f"  {label:<36} {value}")


if __name__ == "__main__":
    main()
