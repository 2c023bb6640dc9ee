"""The build at its floor (issue 15): every phase of ``pkgcad build --report`` in CPU seconds, the floor of the same
work done by the shortest script, their ratio, the peak resident memory after each phase and the output sizes; for
fc-production, cavity-production and a 100,000-member flip-chip (fc-production's arrays scaled by parameters), and
the loop-of-fuses baseline of the existing generators (each ball fused into the substrate one by one in a Python
loop, then STEP) for 289 and 625 balls, in the same run. ``--scale`` sweeps fc-production's member count instead
(0.25x to 4x) and prints each phase's cost per member and the 4N/N ratio (issue target: within 4.5x).

Usage: python benchmarks/bench_build.py [--designs fc-production,cavity-production,fc-100k] [--fuses 289,625]
       [--no-floors] [--no-pictures]
       python benchmarks/bench_build.py --scale [0.25,0.5,1,2,4] [--no-pictures]
Run by hand; prints tables. Every design and every baseline runs in a fresh process; CPU time is user + system of
that process (resource.getrusage), so a loaded machine changes the figures little; peak memory is ru_maxrss.

Floors: imports, ``import cadquery`` in a fresh process; load, ``tomllib`` of the recipe text; manifest, STL, GLB
and HTML, ``os.write`` of the same bytes; STEP, an instanced ``cq.Assembly`` (one shape per prototype, one
location per member) exported as STEP; tessellation, ``Shape.tessellate`` of each prototype (of each tile of a
tiled one) once at the build's tolerance. The flow, the checks and the pictures have no shorter script doing the
same work: their floor column is empty (the loop-of-fuses baseline is what the flow replaces).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPES = {"fc-production": ROOT / "builds/flip-chip/fc-production.toml",
           "cavity-production": ROOT / "builds/cavity/cavity-production.toml"}
FC_MEMBERS = 32_316
"""fc-production's members (10,000 substrate pads, bumps and chip pads, 1,156 ball pads and balls, 4 single bodies)."""
DESIGNS = ["fc-production", "cavity-production", "fc-100k"]
FUSES = [289, 625]
SCALES = [0.25, 0.5, 1.0, 2.0, 4.0]
PHASES = ["imports", "load", "flow", "checks", "STEP", "tessellation", "manifest", "STL", "GLB", "HTML",
          "report strip", "report 3D picture", "report text"]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scaled_table(scale: float) -> dict:
    """fc-production's recipe table with ``scale`` times its members: bump and ball counts per side times
    sqrt(scale) at the same pitches, the substrate, chip-mounting area and chip grown alike (mm)."""
    from geometry.core.toml import read_toml

    k = scale ** 0.5
    d = read_toml(RECIPES["fc-production"])
    d["name"] = f"fc-production-x{scale:g}"
    d["bumps"]["count_x"] = d["bumps"]["count_y"] = round(100 * k)
    d["solder_balls"]["count_x"] = d["solder_balls"]["count_y"] = round(34 * k)
    for t in ("substrate", "chip_area", "chip"):
        d[t]["width"] *= k
        d[t]["length"] *= k
    return d


def design_for(name: str):
    """(design, recipe text for the load floor) of a named design or ``fc-production-x<scale>``."""
    from geometry import api

    if name in RECIPES:
        return api.load(RECIPES[name]), RECIPES[name].read_text()
    table = scaled_table(100_000 / FC_MEMBERS if name == "fc-100k" else float(name.rsplit("-x", 1)[1]))
    if name == "fc-100k":
        table["name"] = "fc-100k"
    return api.load(RECIPES["fc-production"], table), RECIPES["fc-production"].read_text()


class Phases:
    """CPU seconds and peak MB after each timed phase, in order."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def __call__(self, label: str, fn, *args, **kwargs):
        t = cpu()
        out = fn(*args, **kwargs)
        self.rows[label] = {"cpu": cpu() - t, "peak_mb": peak_mb()}
        return out


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def report_text(c: dict, strip: bytes, pic: bytes, markdown, html) -> None:
    """The report's Markdown and HTML from its content (claim rows, bill of materials, thermal network) and the
    two pictures."""
    c = c | {"pictures": {"strip": strip, "3d": pic}}
    markdown(c)
    html(c)


def child_design(name: str, floors: bool, pictures: bool) -> dict:
    """Build ``name`` phase by phase as ``pkgcad build --report`` does; the floors after, from its results."""
    ph = Phases()
    t0 = cpu()
    from geometry import api
    from geometry.output.design import write_html
    from geometry.output.drawing import build_figure
    from geometry.output.manifest import write_manifest
    from geometry.output.meshfiles import write_glb, write_stl
    from geometry.output.picture import picture_png
    from geometry.output.report import content, html, markdown
    from geometry.output.step import write_step

    ph.rows["imports"] = {"cpu": cpu() - t0, "peak_mb": peak_mb()}
    design, text = ph("load", design_for, name)
    build = ph("flow", api.run, design, budget=None)
    results = ph("checks", api.check, build)
    members = sum(b.count for b in build.stack)
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        ph("STEP", write_step, build.stack, design.name, out / "p.step")
        meshes = ph("tessellation", api.meshes, build)
        ph("manifest", lambda: write_manifest({**api.manifest(build, results), "mesh": meshes.record()},
                                              out / "manifest.json"))
        ph("STL", write_stl, build.stack, out / "p.stl", meshes)
        ph("GLB", write_glb, build.stack, out / "p.glb", meshes)
        ph("HTML", write_html, build.stack, design.name, out / "p.html", meshes)
        if pictures:
            strip = ph("report strip", lambda: _png(build_figure(build, steps=True, dpi=110, prototypes=meshes)))
            pic = ph("report 3D picture", picture_png, build.stack, width=900, height=650, prototypes=meshes)
            ph("report text", lambda: report_text(content(build, results, with_pictures=False), strip, pic,
                                                  markdown, html))
            sizes.update({"strip.png": len(strip), "3d.png": len(pic)})
        total = cpu() - t0
        peak = peak_mb()
        sizes.update({p.name: p.stat().st_size for p in out.iterdir()})
        floor = floors_of(build, meshes, out, text) if floors else {}
    return {"name": design.name, "members": members, "prototypes": sum(len(b.parts) for b in build.stack),
            "triangles": meshes.triangles, "failed": [c.name for c in results if not c.passed],
            "phases": ph.rows, "floors": floor, "total": total, "peak_mb": peak, "sizes": sizes}


def _copy(shape):
    import cadquery as cq
    from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy

    return cq.Shape.cast(BRepBuilderAPI_Copy(shape.wrapped).Shape())


def _location(m):
    import cadquery as cq
    from OCP.gp import gp_Trsf

    t = gp_Trsf()
    t.SetValues(*(float(v) for v in m[:3].ravel()))
    return cq.Location(t)


def floors_of(build, meshes, out: Path, text: str) -> dict[str, float]:
    """The floor of each phase that has one (see the module docstring), CPU s."""
    import tomllib

    import cadquery as cq

    f: dict[str, float] = {}
    t = cpu()
    tomllib.loads(text)
    f["load"] = cpu() - t
    for label, file in (("manifest", "manifest.json"), ("STL", "p.stl"), ("GLB", "p.glb"), ("HTML", "p.html")):
        data = (out / file).read_bytes()
        t = cpu()
        fd = os.open(out / f"floor-{file}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.write(fd, data)
        os.close(fd)
        f[label] = cpu() - t
        os.unlink(out / f"floor-{file}")
    protos = [(b.name, [(p, _copy(p.shape)) for p in b.parts]) for b in build.stack]
    t = cpu()
    assy = cq.Assembly(name=build.design.name)
    for name, parts in protos:
        sub = cq.Assembly(name=name)
        for k, (part, shape) in enumerate(parts):
            for i, m in enumerate(part.placements):
                sub.add(shape, loc=_location(m), name=f"{name}_{k}_{i}")
        assy.add(sub)
    assy.export(str(out / "floor.step"))
    f["STEP"] = cpu() - t
    tiles = []
    for body, bm in zip(build.stack, meshes):
        for part, pm in zip(body.parts, bm.meshes):
            tiles += [(_copy(q.shape), pm.tolerance_mm) for q in (part.pieces if part.tiled else (part,))]
    t = cpu()
    for shape, tol in tiles:
        shape.tessellate(tol or 0.01, 0.5)  # a planar prototype meets any tolerance (0 mm): 0.01 mm
    f["tessellation"] = cpu() - t
    return f


def child_fuses(n: int) -> dict:
    """The loop-of-fuses baseline: a substrate box, ``n`` solder balls (0.6 mm, 1.0 mm pitch) each fused in one by
    one in a Python loop, then STEP; CPU s of the import, the loop and the export."""
    t0 = cpu()
    import cadquery as cq

    t1 = cpu()
    side = round(n ** 0.5)
    pkg = cq.Workplane().box(side + 1.0, side + 1.0, 0.56).translate((0, 0, 0.28))
    for i in range(side):
        for j in range(side):
            ball = cq.Workplane().sphere(0.3).translate((i - (side - 1) / 2, j - (side - 1) / 2, -0.2))
            pkg = pkg.union(ball)
    t2 = cpu()
    with tempfile.TemporaryDirectory() as tmp:
        cq.exporters.export(pkg, str(Path(tmp) / "fused.step"))
        size = (Path(tmp) / "fused.step").stat().st_size
    t3 = cpu()
    return {"name": f"loop-of-fuses {side * side}", "balls": side * side,
            "phases": {"imports": t1 - t0, "fuse loop": t2 - t1, "STEP": t3 - t2}, "total": cpu(),
            "peak_mb": peak_mb(), "step_bytes": size}


def run_child(*args: str) -> dict:
    """Run this script in a fresh process with ``args``; its JSON line."""
    done = subprocess.run([sys.executable, __file__, *args], check=False, capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def floor_of_import() -> float:
    code = "import resource, time; t = time.process_time(); import cadquery; print(time.process_time() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.strip())


def print_design(r: dict) -> None:
    print(f"\n{r['name']}: {r['members']:,} members, {r['prototypes']} prototypes, {r['triangles']:,} triangles; "
          f"checks failed: {r['failed'] or 'none'}")
    print(f"  {'phase':<20}{'CPU s':>8}{'floor s':>9}{'ratio':>9}{'peak MB':>9}")
    for label in PHASES:
        row = r["phases"].get(label)
        if row is None:
            continue
        fl = r["floors"].get(label)
        ratio = f"{row['cpu'] / fl:.1f}" if fl else ""
        print(f"  {label:<20}{row['cpu']:>8.2f}{'' if fl is None else f'{fl:.3f}':>9}{ratio:>9}"
              f"{row['peak_mb']:>9.0f}")
    print(f"  {'whole build':<20}{r['total']:>8.2f}{'':>18}{r['peak_mb']:>9.0f}")
    print("  sizes MB: " + ", ".join(f"{k} {v / 1e6:.2f}" for k, v in sorted(r["sizes"].items())))


def main_designs(designs: list[str], fuses: list[int], floors: bool, pictures: bool) -> None:
    results = []
    for name in designs:
        r = run_child("--child", name, *([] if floors else ["--no-floors"]), *([] if pictures else ["--no-pictures"]))
        if floors:
            r["floors"]["imports"] = floor_of_import()
        print_design(r)
        results.append(r)
    base = {}
    for n in fuses:
        b = run_child("--fuses-child", str(n))
        base[n] = b
        p = b["phases"]
        print(f"\n{b['name']}: import {p['imports']:.2f}, fuse loop {p['fuse loop']:.2f}, STEP {p['STEP']:.2f}, "
              f"whole {b['total']:.2f} CPU s, peak {b['peak_mb']:.0f} MB, STEP {b['step_bytes'] / 1e6:.2f} MB")
    if base:
        print("\nwhole build against the loop of fuses (target for fc-production: at most 0.5 of 289 balls)")
        for r in results:
            print(f"  {r['name']:<20}" + "".join(f"  / {n} balls {r['total'] / b['total']:.2f}"
                                                 for n, b in base.items()))


def main_scale(scales: list[float], pictures: bool) -> None:
    rows = {s: run_child("--child", f"fc-production-x{s:g}", "--no-floors",
                         *([] if pictures else ["--no-pictures"])) for s in scales}
    phases = [p for p in PHASES if p in rows[scales[0]]["phases"] and p not in {"imports", "load"}]
    print("\nCPU s per phase by member scale of fc-production")
    print(f"  {'scale':<10}{'members':>9}" + "".join(f"{p[:11]:>12}" for p in phases) + f"{'peak MB':>9}")
    for s, r in rows.items():
        print(f"  {s:<10g}{r['members']:>9,}" + "".join(f"{r['phases'][p]['cpu']:>12.2f}" for p in phases)
              + f"{r['peak_mb']:>9.0f}")
    print("\nmicroseconds per member")
    for s, r in rows.items():
        print(f"  {s:<10g}{r['members']:>9,}" + "".join(f"{1e6 * r['phases'][p]['cpu'] / r['members']:>12.1f}"
                                                  for p in phases))
    pairs = [(a, b) for a in scales for b in scales if b == 4 * a]
    for a, b in pairs:
        ra, rb = rows[a], rows[b]
        n = rb["members"] / ra["members"]
        print(f"\n{b:g}x / {a:g}x ({n:.2f} times the members; target within 4.5x for 4x):")
        for p in phases:
            x = rb["phases"][p]["cpu"] / max(ra["phases"][p]["cpu"], 1e-9)
            print(f"  {p:<20}{x:>7.2f}{'  super-linear' if x > 4.5 * n / 4 else ''}")
        mem = (rb["peak_mb"] - ra["peak_mb"]) * 1024 / (rb["members"] - ra["members"])
        print(f"  {'peak memory':<20}{rb['peak_mb'] / ra['peak_mb']:>7.2f}  ({mem:.1f} KB per added member)")


def option(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv and argv.index(flag) + 1 < len(argv) else None


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    floors, pictures = "--no-floors" not in argv, "--no-pictures" not in argv
    if "--child" in argv:
        print(json.dumps(child_design(option(argv, "--child"), floors, pictures)))
    elif "--fuses-child" in argv:
        print(json.dumps(child_fuses(int(option(argv, "--fuses-child")))))
    elif "--scale" in argv:
        given = option(argv, "--scale")
        main_scale([float(s) for s in given.split(",")] if given and not given.startswith("--") else SCALES,
                   pictures)
    else:
        designs = (option(argv, "--designs") or ",".join(DESIGNS)).split(",")
        given = option(argv, "--fuses")  # --fuses '' runs no baseline
        fuses = FUSES if given is None else [int(n) for n in given.split(",") if n]
        main_designs([d for d in designs if d], fuses, floors, pictures)


if __name__ == "__main__":
    main(sys.argv[1:])
