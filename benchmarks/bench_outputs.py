"""CPU time and size of the mesh outputs of a recipe from one tessellation (issue 15): prototype meshes, the numpy
STL, the instanced GLB, the per-member-node GLB and the instanced HTML viewer.

Usage: python benchmarks/bench_outputs.py [RECIPE]   (default: fc-production)
Run by hand; prints a table of CPU seconds (user + system of this process) and file sizes (MB).
"""

from __future__ import annotations

import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "builds/flip-chip/fc-production.toml"


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from geometry import api
    from geometry.output.design import write_html
    from geometry.output.instanced import stack_meshes
    from geometry.output.meshfiles import write_glb, write_stl

    recipe = Path(argv[0]) if argv else DEFAULT
    build = api.run(api.load(recipe))
    rows = []
    t = cpu()
    meshes = stack_meshes(build.stack)
    rows.append(("tessellation", cpu() - t, None))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for label, write in [
            ("STL", lambda: write_stl(build.stack, out / "p.stl", meshes)),
            ("GLB instanced", lambda: write_glb(build.stack, out / "p.glb", meshes)),
            ("GLB member nodes", lambda: write_glb(build.stack, out / "n.glb", meshes, instancing=False)),
            ("HTML viewer", lambda: write_html(build.stack, build.design.name, out / "p.html", meshes)),
        ]:
            t = cpu()
            path = write()
            rows.append((label, cpu() - t, path.stat().st_size / 1e6))
    members = sum(b.count for b in build.stack)
    protos = sum(len(b.meshes) for b in meshes)
    print(f"{build.design.name}: {members} members, {protos} prototypes, {meshes.triangles:,} triangles")
    print(f"{'output':<20}{'CPU s':>8}{'MB':>9}")
    for label, s, mb in rows:
        print(f"{label:<20}{s:>8.2f}{'' if mb is None else f'{mb:.2f}':>9}")


if __name__ == "__main__":
    main(sys.argv[1:])
