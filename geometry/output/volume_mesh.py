"""A conformal tetrahedral mesh of a stack with gmsh (mm): `pkgcad mesh`.

The stack should be conformal (:func:`geometry.api.conformal`: no body overlaps another). Each body is handed to
gmsh as one BREP file in a temporary folder, all volumes go through one boolean fragment (so neighbouring volumes
share their faces and nodes), and the mesh carries one physical volume per body, named as the body (as in the
STEP), and three physical surfaces on the outer boundary (faces of one volume only):

- ``package_top``: flat faces at the package's highest z (mold or second encapsulant top, an exposed chip back
  or heat sink);
- ``seating_plane``: the faces that reach the package's lowest z, the solder balls' free surfaces, whose lowest
  points lie on the seating plane;
- ``board_side``: every other flat outer face facing down (-z): the substrate's bottom, the ball pads' rims, an
  exposed heat slug.

Written as gmsh MSH 4.1 for ``.msh``; any other suffix meshio writes (``.vtu``, ``.xdmf``, ...) goes through
meshio from the MSH: the physical tag of every cell in its ``gmsh:physical`` cell data, the names in its field
data. gmsh and meshio are imported only here, when a mesh is made.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..core.stack import Stack
from .files import atomic

FLAT = 1e-5
"""Largest z extent (mm) of a face counted flat."""


@dataclass(frozen=True)
class MeshOptions:
    """Mesh sizes (mm) and the number of elements per 2 pi of curvature (0: off), gmsh's threads."""

    size_max: float = 0.5
    size_min: float = 0.0
    curvature: int = 40
    threads: int = 2


def _surfaces(gmsh, volumes: dict[str, list[int]]) -> dict[str, list[int]]:
    """The three physical surfaces (see the module) as lists of gmsh surface tags."""
    outer = [s for _, s in gmsh.model.getEntities(2) if len(gmsh.model.getAdjacencies(2, s)[0]) == 1]
    boxes = {s: gmsh.model.getBoundingBox(2, s) for s in outer}
    z_top = max(b[5] for b in boxes.values())
    z_low = min(b[2] for b in boxes.values())
    out: dict[str, list[int]] = {"package_top": [], "seating_plane": [], "board_side": []}
    for s, b in boxes.items():
        flat = b[5] - b[2] <= FLAT
        if flat and abs(b[5] - z_top) <= FLAT:
            out["package_top"].append(s)
        elif abs(b[2] - z_low) <= FLAT:
            out["seating_plane"].append(s)
        elif flat:
            u, v = gmsh.model.getParametrizationBounds(2, s)
            if gmsh.model.getNormal(s, [(u[0] + u[1]) / 2, (v[0] + v[1]) / 2])[2] < 0:
                out["board_side"].append(s)
    return out


def write_volume_mesh(stack: Stack, path: Path | str, options: MeshOptions = MeshOptions(),
                      progress: bool = True) -> dict:
    """Mesh ``stack`` into ``path`` (see the module); returns a summary: nodes, tetrahedra, per body its
    physical tag and tetrahedron count, the physical surfaces' face counts."""
    import gmsh

    path = Path(path)
    stages = tqdm(total=5, desc=f"mesh {path.name}", disable=not progress, unit="stage")
    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", options.threads)
        gmsh.option.setNumber("Geometry.OCCParallel", 0)
        with tempfile.TemporaryDirectory(prefix="pkgcad-mesh-") as tmp:
            inputs, owner = [], []
            for i, body in enumerate(stack):
                f = Path(tmp) / f"{i:03d}.brep"
                body.shape().exportBrep(str(f))
                tags = gmsh.model.occ.importShapes(str(f), highestDimOnly=True)
                inputs += [t for t in tags if t[0] == 3]
                owner += [body.name] * sum(t[0] == 3 for t in tags)
        stages.set_postfix_str("fragment")
        stages.update()
        _, pieces = gmsh.model.occ.fragment(inputs, [])
        gmsh.model.occ.synchronize()
        stages.update()
        volumes: dict[str, list[int]] = {b.name: [] for b in stack}
        for name, out in zip(owner, pieces[:len(inputs)], strict=True):
            volumes[name] += [t for d, t in out if d == 3 and t not in volumes[name]]
        tags = {name: gmsh.model.addPhysicalGroup(3, v, name=name) for name, v in volumes.items() if v}
        surfaces = _surfaces(gmsh, volumes)
        for name, s in surfaces.items():
            if s:
                gmsh.model.addPhysicalGroup(2, s, name=name)
        stages.set_postfix_str("mesh")
        stages.update()
        gmsh.option.setNumber("Mesh.MeshSizeMax", options.size_max)
        gmsh.option.setNumber("Mesh.MeshSizeMin", options.size_min)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", options.curvature)
        gmsh.model.mesh.generate(3)
        stages.set_postfix_str("write")
        stages.update()
        types, elements, _ = gmsh.model.mesh.getElements(3)
        tets = sum(len(e) for t, e in zip(types, elements, strict=True) if t == 4)
        summary = {"nodes": len(gmsh.model.mesh.getNodes()[0]), "tetrahedra": tets, "physical_volumes": tags,
                   "physical_surfaces": {k: len(v) for k, v in surfaces.items()}}
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.option.setNumber("Mesh.SaveAll", 0)
        with tempfile.TemporaryDirectory(prefix="pkgcad-mesh-") as tmp:
            msh = Path(tmp) / f"{path.stem}.msh"
            gmsh.write(str(msh))
            if path.suffix.lower() != ".msh":
                import meshio

                mesh = meshio.read(msh)
                mesh.cell_sets = {}  # meshio 5.3 cannot convert gmsh's per-entity sets; tags stay in cell data
                meshio.write(Path(tmp) / path.name, mesh)
                msh.unlink()
            for f in sorted(Path(tmp).iterdir()):  # an .xdmf comes with its .h5
                atomic(path.parent / f.name, lambda t, f=f: shutil.copyfile(f, t))
        stages.update()
        return summary
    finally:
        gmsh.finalize()
        stages.close()
