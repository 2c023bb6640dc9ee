"""CPU time and size of the mesh outputs of the production designs from one tessellation (issue 15): prototype
meshes, the numpy STL, the instanced GLB, the per-member-node GLB and the instanced HTML viewer, then the bytes of
the instanced GLB and of the HTML page's mesh data per body (what takes the bytes).

Usage: python benchmarks/bench_outputs.py [RECIPE ...]   (default: fc-production and cavity-production)
Run by hand; prints per recipe a table of CPU seconds (user + system of this process) and file sizes (MB), and the
per-body bytes (GLB: POSITION, index and instance accessors; HTML: its base64 arrays).
"""

from __future__ import annotations

import json
import re
import resource
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ["builds/flip-chip/fc-production.toml", "builds/cavity/cavity-production.toml"]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def glb_bytes(path: Path) -> dict[str, int]:
    """Bytes of the BIN chunk's buffer views used by each root node (body) of the GLB at ``path``: its meshes'
    POSITION and index accessors and its instance (TRS) accessors."""
    raw = path.read_bytes()
    n = struct.unpack_from("<I", raw, 12)[0]
    doc = json.loads(raw[20:20 + n])

    def size(accessor: int) -> int:
        return doc["bufferViews"][doc["accessors"][accessor]["bufferView"]]["byteLength"]

    out = {}
    for root in doc["scenes"][0]["nodes"]:
        node = doc["nodes"][root]
        total = 0
        for holder in [node] + [doc["nodes"][c] for c in node.get("children", [])]:
            if "mesh" in holder:
                prim = doc["meshes"][holder["mesh"]]["primitives"][0]
                total += size(prim["attributes"]["POSITION"]) + size(prim["indices"])
            ext = holder.get("extensions", {}).get("EXT_mesh_gpu_instancing", {})
            total += sum(size(a) for a in ext.get("attributes", {}).values())
        out[node["name"]] = total
    out["(JSON chunk)"] = n
    return out


def html_bytes(path: Path) -> dict[str, int]:
    """Characters of the base64 mesh arrays of each body in the HTML page at ``path``, and of the rest (three.js,
    page logic)."""
    page = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="pkgcad-data">(.*?)</script>', page, re.DOTALL).group(1))
    out = {b["name"]: sum(len(p[k]) for p in b["prototypes"] for k in ("position", "index", "matrices"))
           for b in data["bodies"]}
    out["(three.js, page)"] = len(page) - sum(out.values())
    return out


def bench(recipe: Path) -> None:
    from geometry import api
    from geometry.output.design import write_html
    from geometry.output.instanced import stack_meshes
    from geometry.output.meshfiles import write_glb, write_stl

    build = api.run(api.load(recipe), budget=None)
    rows = []
    t = cpu()
    meshes = stack_meshes(build.stack)
    rows.append(("tessellation", cpu() - t, None))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        paths = {}
        for label, write in [
            ("STL", lambda: write_stl(build.stack, out / "p.stl", meshes)),
            ("GLB instanced", lambda: write_glb(build.stack, out / "p.glb", meshes)),
            ("GLB member nodes", lambda: write_glb(build.stack, out / "n.glb", meshes, instancing=False)),
            ("HTML viewer", lambda: write_html(build.stack, build.design.name, out / "p.html", meshes)),
        ]:
            t = cpu()
            paths[label] = write()
            rows.append((label, cpu() - t, paths[label].stat().st_size / 1e6))
        glb, page = glb_bytes(paths["GLB instanced"]), html_bytes(paths["HTML viewer"])
    members = sum(b.count for b in build.stack)
    protos = sum(len(b.meshes) for b in meshes)
    views = sum(len(b.views()) for b in meshes)
    print(f"{build.design.name}: {members} members, {protos} prototypes ({views} meshes drawn), "
          f"{meshes.triangles:,} triangles")
    print(f"{'output':<20}{'CPU s':>8}{'MB':>9}")
    for label, s, mb in rows:
        print(f"{label:<20}{s:>8.2f}{'' if mb is None else f'{mb:.3f}':>9}")
    print(f"{'body':<22}{'GLB bytes':>12}{'HTML chars':>12}")
    for name in dict.fromkeys([*glb, *page]):
        print(f"{name:<22}{glb.get(name, ''):>12}{page.get(name, ''):>12}")
    for name, record in meshes.record()["viewer"].items():
        print(f"viewer {name}: {record['meshes']} meshes, {record['instances']} instances, "
              f"{record['triangles']:,} triangles, tolerance {record['tolerance_mm']:.4f} mm")
    print(flush=True)


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    for recipe in argv or DEFAULTS:
        bench(ROOT / recipe if not Path(recipe).is_absolute() else Path(recipe))


if __name__ == "__main__":
    main(sys.argv[1:])
