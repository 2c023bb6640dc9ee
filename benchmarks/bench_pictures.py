"""CPU time and peak memory of the report's pictures (issue 15): the process strip and the 3D picture of a built
design, given the prototype meshes its export just made (``stack_meshes``), before and after instancing.

Usage: python benchmarks/bench_pictures.py [--before TREE] [--skip-after] [RECIPE ...]
(default recipes: fc-basic, fc-production, cavity-production). Each (tree, recipe) runs in its own child process
with ``PYTHONPATH=TREE``: it builds the design, tessellates it once as the export does, then times the strip
(``drawing.build_figure(build, steps=True)``) and the 3D picture (``picture.picture_png``), each handed the export's
meshes when the tree's functions accept them (``prototypes=``), else as that tree's report draws them. ``--before``
names a checkout of the old code (e.g. /work/main) to run beside this tree. Prints a table: CPU s (user + system
of the child, per phase) and the child's peak RSS (MB: build, meshes and pictures together). Run by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ["builds/flip-chip/fc-basic.toml", "builds/flip-chip/fc-production.toml",
            "builds/cavity/cavity-production.toml"]

CHILD = r"""
import inspect, json, resource, sys, time
from geometry import api
from geometry.output import drawing, picture
from geometry.output.instanced import stack_meshes

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

build = api.run(api.load(sys.argv[1]), budget=None)
t = cpu(); meshes = stack_meshes(build.stack); mesh_s = cpu() - t
kw = {"prototypes": meshes} if "prototypes" in inspect.signature(drawing.build_figure).parameters else {}
t = cpu(); fig = drawing.build_figure(build, steps=True, dpi=110, **kw); fig.savefig(sys.argv[2] + "-strip.png", dpi=110)
strip_s = cpu() - t
kw = {"prototypes": meshes} if "prototypes" in inspect.signature(picture.picture_png).parameters else {}
t = cpu(); png = picture.picture_png(build.stack, width=900, height=650, **kw); pic_s = cpu() - t
open(sys.argv[2] + "-3d.png", "wb").write(png)
members = sum(b.count for b in build.stack)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"members": members, "mesh": mesh_s, "strip": strip_s, "picture": pic_s, "peak_mb": peak}))
"""


def measure(tree: Path, recipe: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run([sys.executable, "-c", CHILD, str(recipe), str(out)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    trees: list[tuple[str, Path]] = []
    if "--before" in argv:
        i = argv.index("--before")
        trees.append(("before", Path(argv[i + 1]).resolve()))
        argv = argv[:i] + argv[i + 2:]
    if "--skip-after" in argv:
        argv = [a for a in argv if a != "--skip-after"]
    else:
        trees.append(("after", ROOT))
    recipes = [ROOT / r for r in (argv or DEFAULTS)]
    out_dir = Path(os.environ.get("BENCH_PICTURES_OUT", "/tmp/bench_pictures"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"{'design':<20}{'code':<8}{'members':>9}{'strip CPU s':>13}{'3D CPU s':>10}{'both CPU s':>12}"
          f"{'peak MB':>9}")
    for recipe in recipes:
        for label, tree in trees:
            r = measure(tree, recipe, out_dir / f"{recipe.stem}-{label}")
            print(f"{recipe.stem:<20}{label:<8}{r['members']:>9}{r['strip']:>13.2f}{r['picture']:>10.2f}"
                  f"{r['strip'] + r['picture']:>12.2f}{r['peak_mb']:>9.0f}", flush=True)
    print(f"pictures written to {out_dir} (<design>-<code>-strip.png, -3d.png)")


if __name__ == "__main__":
    main(sys.argv[1:])
