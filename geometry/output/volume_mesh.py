"""A conformal tetrahedral mesh of a stack with gmsh (mm): `pkgcad mesh`.

The stack should be conformal (:func:`geometry.api.conformal`: no body overlaps another). Its solids go through one
general fuse in OCCT (:func:`geometry.core.occ.fragment`, with the shift glue since they only touch), so
neighbouring volumes share their faces, and reach gmsh as one BREP file; the mesh carries one physical volume per
body, named as the body (as in the STEP), and three physical surfaces on the outer boundary (faces of one volume
only):

- ``package_top``: flat faces at the package's highest z (mold or second encapsulant top, an exposed chip back
  or heat sink);
- ``seating_plane``: the faces that reach the package's lowest z, the solder balls' free surfaces, whose lowest
  points lie on the seating plane;
- ``board_side``: every other flat outer face facing down (-z): the substrate's bottom, the ball pads' rims, an
  exposed heat slug.

Elements are 10-node tetrahedra (C3D10) by default, their edge nodes on the true faces (a quadratic edge on a
circle of 6 segments loses about 0.25 % of the section against 17 % for a straight one), at 14 elements per 2 pi
of curvature: ``fc-basic`` and ``cavity-equal`` mesh with every body within 0.64 % (bond wires included) in
205-224 and 126-131 s wall on one core; the curved elements that a round face inverts are straightened
(:func:`_straighten`). ``order=1`` gives 4-node ones, which need 40 per 2 pi for balls and bumps and keep 60-67 %
of a bond wire (the small cavity test design).

Element sizes: at most ``size_max`` everywhere; on each round face and curve, from its own largest curvature (radius
r), 2 pi r / ``curvature`` (``curvature`` elements round its circle: a 60 um bump and a 300 um ball each
get their own size, flat bodies stay at ``size_max`` away from them); on a swept body (a bond wire, section radius
r: its volumes, faces and edges) :data:`SWEEP_SIZE` r (:data:`SWEEP_SIZE_QUADRATIC` r for 10-node elements)
whatever the curvature setting, since a 25 um wire meshed
at the package's size overlaps itself and sized by curvature would take elements of 2 um; on a thin body (a layer
thinner than ``size_max`` / :data:`THIN_SIZE`: the 5 um chip-face gap fill) and its faces at most
:data:`THIN_SIZE` times its thickness, since faces a few micrometres apart meshed at ``size_max`` cannot be
recovered by gmsh's Delaunay. All through gmsh's size
callback (one dictionary look-up per call; gmsh's own curvature sizing is off).

Written as gmsh MSH 4.1 for ``.msh``; any other suffix meshio writes (``.vtu``, ``.xdmf``, ...) goes through
meshio from the MSH: the physical tag of every cell in its ``gmsh:physical`` cell data, the names in its field
data, and the names of the tags in ``<stem>.physical.json`` beside it (meshio 5.3 writes no names into either);
XDMF needs h5py. gmsh and meshio are imported only here, when a mesh is made.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..core import occ
from ..core.stack import Stack
from .files import atomic

FLAT = 1e-5
"""Largest z extent (mm) of a face counted flat."""

SWEEP_SIZE = 2.0
"""Element size on a swept body's faces, in section radii, for 4-node tetrahedra (a 25 um wire: 25 um elements;
one radius, about 6 around the section, made gmsh fail to recover the small cavity design's boundary)."""

SWEEP_SIZE_QUADRATIC = 1.0
"""Element size on a swept body's faces, in section radii, for 10-node tetrahedra: at :data:`SWEEP_SIZE`, about 3
around the section, the small cavity design's curved wire elements held 7.1 % less than the wires (curvature 0,
``size_max`` 0.5; 1,499 inverted elements before straightening); at one radius, 0.2 % less."""

TET10_EDGES = ((0, 1), (1, 2), (2, 0), (3, 0), (3, 2), (3, 1))
"""The vertices of the edge that carries each of gmsh's 10-node tetrahedron's nodes 4-9 (gmsh's node order)."""

RETRY_THREADS = 1
"""When gmsh's 3D mesh fails (\"Could not recover boundary mesh\") on more than one thread, the mesh is cleared and
made again, surfaces included, on this many threads: gmsh meshes the surfaces in parallel in no fixed order, so the
same options give a different surface mesh from run to run (the small flip-chip design at curvature 20 failed once
in three runs on 2 threads)."""

THIN_SIZE = 10.0
"""Largest element size on a volume and its faces, in multiples of the volume's thickness (the smallest extent of
its bounding box): a 5 um chip-face gap fill 6 mm wide meshed at ``size_max`` (0.5 mm, 100 times its thickness)
has faces 5 um apart that gmsh's Delaunay cannot recover as a boundary (``fc-basic``: "Could not recover boundary
mesh")."""

DEGENERATE_SICN = 1e-9
"""A 4-node tetrahedron whose signed inverse condition number (gmsh's ``minSICN``, 1 for a regular one) is below
this is flat or inverted to round-off: gmsh's optimiser is run once over the mesh, and a mesh that still holds one
is refused. The small flip-chip test design's worst element is 0.01 (a sliver in the 5 um chip-face gap fill)."""

GLUE_RTOL = 1e-3
"""The glued fragment is kept when every solid's pieces keep its volume to this relative tolerance, else the
fragment is redone without the glue (OCCT's volume of a swept wire moves by 1.6e-4 once its faces are split)."""


class MeshError(RuntimeError):
    """gmsh cannot mesh the stack with these options (one line saying which and what to change)."""


@dataclass(frozen=True)
class MeshOptions:
    """Mesh sizes (mm), elements per 2 pi of curvature on curved faces (0: off; 14, the default, puts every body
    of ``fc-basic`` and ``cavity-equal`` within 0.64 % at order 2), element order (2, the default: 10-node
    tetrahedra, C3D10, their edge nodes on the true geometry, the elements that this inverts straightened; 1: 4-node
    ones, which need curvature 40 for balls and bumps within 1 % and cannot hold a bond wire's volume), gmsh's
    threads and 3D algorithm
    (1, Delaunay: gmsh's HXT, 10, took 16 times longer on the small test design on 2 shared cores).

    One thread (the default) makes the mesh a function of the stack and the options: on 2 threads gmsh meshes the
    surfaces in no fixed order, and the small flip-chip design at ``size_max`` 0.5, curvature 0 gave 61,280 to
    61,844 tetrahedra over four runs (once, on a loaded machine, an element of zero volume) where one thread gave
    61,777 every time, in the same CPU time (7.6-8.5 s against 8.1-11.7 s); Delaunay's 3D stage runs on one thread
    either way."""

    size_max: float = 0.5
    size_min: float = 0.0
    curvature: int = 14
    order: int = 2
    threads: int = 1
    algorithm: int = 1


def _pieces(stack: Stack) -> tuple[list, list[str]]:
    """Every solid of the fragmented stack, bodies in order, and the body name of each."""
    solids, owner = [], []
    for body in stack:
        for s in body.shape().Solids():
            solids.append(s)
            owner.append(body.name)
    out = occ.fragment(solids, glue=True)
    if any(abs(sum(occ.volume(p) for p in ps) - occ.volume(s)) > GLUE_RTOL * occ.volume(s)
           for s, ps in zip(solids, out, strict=True)):
        out = occ.fragment(solids)
    return [p for ps in out for p in ps], [n for n, ps in zip(owner, out, strict=True) for _ in ps]


def _surfaces(gmsh, outer: list[int]) -> dict[str, list[int]]:
    """The three physical surfaces (see the module) among the ``outer`` surface tags."""
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


def _curvature(gmsh, dim: int, tag: int) -> float:
    """Largest principal curvature (1/mm) of a surface (``dim`` 2) or curvature of a curve (``dim`` 1) at a 3 x 3
    grid of its parameters (inner points and ends: cylinders, spheres, tori and swept faces); 0 when flat or
    straight."""
    bounds = gmsh.model.getParametrizationBounds(dim, tag)
    t = (0.0, 0.5, 1.0)
    if dim == 1:
        lo, hi = bounds[0][0], bounds[1][0]
        return float(np.abs(gmsh.model.getCurvature(1, tag, [lo + f * (hi - lo) for f in t])).max())
    (u0, v0), (u1, v1) = bounds
    uv = [c for a in t for b in t for c in (u0 + a * (u1 - u0), v0 + b * (v1 - v0))]
    k_max, k_min, _, _ = gmsh.model.getPrincipalCurvatures(tag, uv)
    return float(max(np.abs(k_max).max(initial=0.0), np.abs(k_min).max(initial=0.0)))


def _thin(gmsh, volumes: list[int], sweep: dict[int, float], options: MeshOptions) -> dict[int, float]:
    """Per thin sheet (a gmsh volume, not swept, whose bounding box's smallest extent, its thickness, times
    :data:`THIN_SIZE` is below ``size_max`` and whose next extent is above it) its element size (mm),
    :data:`THIN_SIZE` thicknesses; a small thin part (a 5 um die pad 0.1 mm wide) is sized by its own edges."""
    out = {}
    for v in volumes:
        x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(3, v)
        thick, mid, _ = sorted((x1 - x0, y1 - y0, z1 - z0))
        h = THIN_SIZE * thick
        if v not in sweep and h < options.size_max < mid:
            out[v] = max(h, options.size_min)
    return out


def _sizes(gmsh, adjacent: dict[int, list[int]], sweep: dict[int, float], thin: dict[int, float],
           options: MeshOptions) -> dict[tuple[int, int], float]:
    """Per gmsh entity its element size (mm; see the module): on a round face or curve of radius r (its largest
    curvature), 2 pi r / ``curvature``; a thin volume and its faces its ``thin`` size (at most); a swept body's
    volumes, faces and edges :data:`SWEEP_SIZE` section radii; every face's edges at most the size of their
    faces. Entities not listed take gmsh's size (``size_max``, or interpolated from their boundary)."""
    def clamp(h: float) -> float:
        return min(options.size_max, max(h, options.size_min))

    size = {(3, v): h for v, h in thin.items()}
    for s, vols in adjacent.items():
        mine = [size[3, v] for v in vols if (3, v) in size]
        if mine:
            size[2, s] = min(mine)
    per_radius = SWEEP_SIZE if options.order == 1 else SWEEP_SIZE_QUADRATIC
    size.update({(3, v): clamp(per_radius * r) for v, r in sweep.items()})
    if options.curvature > 0:
        for s in adjacent:
            if gmsh.model.getType(2, s) == "Plane":
                continue
            k = _curvature(gmsh, 2, s)
            if k > 0:
                size[2, s] = min(size.get((2, s), np.inf), clamp(2 * np.pi / (k * options.curvature)))
        for _, c in gmsh.model.getEntities(1):
            if gmsh.model.getType(1, c) != "Line" and (k := _curvature(gmsh, 1, c)) > 0:
                size[1, c] = clamp(2 * np.pi / (k * options.curvature))
    swept = {}
    for s, vols in adjacent.items():
        mine = [size[3, v] for v in vols if v in sweep]
        if mine:
            size[2, s] = swept[s] = min(mine)
    edges: dict[int, float] = {}
    for (d, s), h in size.items():
        if d == 2:
            for _, c in gmsh.model.getBoundary([(2, s)], combined=False, oriented=False):
                edges[abs(c)] = min(edges.get(abs(c), h), h, size.get((1, abs(c)), h))
    for s, h in swept.items():  # a swept body's edges at its size, not its section's curvature
        for _, c in gmsh.model.getBoundary([(2, s)], combined=False, oriented=False):
            edges[abs(c)] = h
    size.update({(1, c): h for c, h in edges.items()})
    return size


def _nodes(gmsh) -> np.ndarray:
    """Every node's coordinates (mm), row = gmsh node tag."""
    tags, coords, _ = gmsh.model.mesh.getNodes()
    xyz = np.zeros((int(tags.max()) + 1, 3))
    xyz[tags.astype(int)] = coords.reshape(-1, 3)
    return xyz


def _straighten(gmsh) -> tuple[int, int]:
    """Make every inverted quadratic tetrahedron (its Jacobian determinant not positive somewhere: gmsh's Bezier
    bound, ``minDetJac``) valid by straightening as few of its curved edges as it takes: each curved edge alone,
    the least curved first, is moved onto its chord's midpoint and kept if that makes the element valid; when none
    does alone, the most curved stays straight and the search starts again. Returns how many elements were
    inverted and the rounds, or (-1, rounds) when an inverted element has no curved edge left. Curving a thin
    element's edge onto a round face can invert it; a straight edge is the linear element's, which gmsh made valid
    (:data:`DEGENERATE_SICN`), and costs that edge's sagitta of volume, so the fewer the better: on ``fc-basic``
    (curvature 16) the elements straightened whole (every curved edge, in rounds) cost the 5 um chip pads 1.27 %
    of their volume and the bumps 0.37 %, this rule 0.005 % and 0.35 %, 26,794 elements made valid in one round.
    Straightening an edge can invert a neighbour that shares it, so the rounds go on, each checking only the
    elements that share a moved node, until none is inverted; each straightens at least one curved edge for good,
    so they end (gmsh's own high-order optimisation took minutes on the small test design)."""
    blocks = [(t, n) for k, t, n in zip(*gmsh.model.mesh.getElements(3), strict=True) if k == 11 and len(t)]
    if not blocks:
        return 0, 0
    tags = np.concatenate([t for t, _ in blocks])
    nodes = np.concatenate([n.reshape(-1, 10) for _, n in blocks]).astype(int)
    ends = np.array(TET10_EDGES).T
    xyz = _nodes(gmsh)

    def valid(rows) -> np.ndarray:
        return np.asarray(gmsh.model.mesh.getElementQualities(tags[rows], "minDetJac")) > 0

    def move(n: int, x: np.ndarray) -> None:
        gmsh.model.mesh.setNode(n, list(x), [])

    check = np.arange(len(tags))
    total = rounds = 0
    while len(check):
        bad = check[~valid(check)]
        if not len(bad):
            break
        moved = []
        for e in bad:
            edge = nodes[e, 4:]
            mid = (xyz[nodes[e, ends[0]]] + xyz[nodes[e, ends[1]]]) / 2
            while not valid([e])[0]:
                sag = np.linalg.norm(xyz[edge] - mid, axis=1)
                curved = [k for k in np.argsort(sag, kind="stable") if sag[k] > 0]
                if not curved:
                    return -1, rounds
                for k in curved:
                    move(edge[k], mid[k])
                    if valid([e])[0]:
                        break
                    move(edge[k], xyz[edge[k]])
                else:
                    k = curved[-1]
                    move(edge[k], mid[k])
                xyz[edge[k]] = mid[k]
                moved.append(edge[k])
        total += len(bad)
        rounds += 1
        check = np.flatnonzero(np.isin(nodes, np.array(moved, dtype=int)).any(axis=1))
    return total, rounds


def _degenerate(gmsh) -> int:
    """How many 4-node tetrahedra are degenerate (:data:`DEGENERATE_SICN`)."""
    count = 0
    for kind, tags, _ in zip(*gmsh.model.mesh.getElements(3), strict=True):
        if kind == 4 and len(tags):
            count += int((np.asarray(gmsh.model.mesh.getElementQualities(tags, "minSICN")) < DEGENERATE_SICN).sum())
    return count


def _body_volumes(gmsh, physical: dict[str, int]) -> tuple[dict[str, float], float]:
    """Per physical volume the exact volume of its elements (mm3: the Jacobian determinant integrated with gmsh's
    degree-4 Gauss rule, exact for the cubic determinant of a 10-node tetrahedron), and the smallest determinant
    at those points."""
    out, low = {}, np.inf
    for name, phys in physical.items():
        total = 0.0
        for e in gmsh.model.getEntitiesForPhysicalGroup(3, phys):
            for kind in gmsh.model.mesh.getElementTypes(3, e):
                uvw, w = gmsh.model.mesh.getIntegrationPoints(kind, "Gauss4")
                det = np.asarray(gmsh.model.mesh.getJacobians(kind, uvw, e)[1]).reshape(-1, len(w))
                total += float((det * w).sum())
                low = min(low, float(det.min(initial=np.inf)))
        out[name] = total
    return out, low


def _write(gmsh, path: Path, groups: dict) -> None:
    """The mesh as MSH 4.1, or through meshio for any other suffix with the physical names beside it in
    ``<stem>.physical.json`` (meshio 5.3 writes no names into VTU or XDMF); moved into place atomically."""
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
            (Path(tmp) / f"{path.stem}.physical.json").write_text(json.dumps(groups, indent=1) + "\n")
        for f in sorted(Path(tmp).iterdir()):  # an .xdmf comes with its .h5
            atomic(path.parent / f.name, lambda t, f=f: shutil.copyfile(f, t))


def _writable(path: Path) -> None:
    """Refuse, before any meshing, a format this installation cannot write."""
    if path.suffix.lower() in (".xdmf", ".xmf", ".h5m") and importlib.util.find_spec("h5py") is None:
        raise MeshError(f"{path.name}: meshio writes XDMF through h5py, which is not installed (pip install h5py)")


def write_volume_mesh(stack: Stack, path: Path | str, options: MeshOptions = MeshOptions(),
                      progress: bool = True) -> dict:
    """Mesh ``stack`` into ``path`` (see the module); returns a summary: nodes, tetrahedra, per body its
    physical tag and the smallest element size set on its faces (mm, bodies with round or swept faces), the
    physical surfaces' face counts, and the seconds each stage took."""
    import gmsh

    path = Path(path)
    if options.order not in (1, 2):
        raise MeshError(f"element order {options.order}: 1 (4-node) or 2 (10-node tetrahedra)")
    _writable(path)
    seconds: dict[str, float] = {}
    stages = tqdm(total=5, desc=f"mesh {path.name}", disable=not progress, unit="stage")
    clock = [time.perf_counter()]

    def done(stage: str, following: str) -> None:
        now = time.perf_counter()
        seconds[stage] = now - clock[0]
        clock[0] = now
        stages.set_postfix_str(following)
        stages.update()

    stages.set_postfix_str("fragment")
    solids, owner = _pieces(stack)
    done("fragment", "gmsh")
    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", options.threads)
        with tempfile.TemporaryDirectory(prefix="pkgcad-mesh-") as tmp:
            f = Path(tmp) / "stack.brep"
            occ.compound(solids).exportBrep(str(f))
            tags = [t for d, t in gmsh.model.occ.importShapes(str(f), highestDimOnly=True) if d == 3]
        gmsh.model.occ.synchronize()
        if len(tags) != len(owner):
            raise MeshError(f"gmsh read {len(tags)} volumes of the {len(owner)} fragmented solids")
        volumes: dict[str, list[int]] = {b.name: [] for b in stack}
        for name, t in zip(owner, tags, strict=True):
            volumes[name].append(t)
        physical = {name: gmsh.model.addPhysicalGroup(3, v, name=name) for name, v in volumes.items() if v}
        adjacent = {s: list(gmsh.model.getAdjacencies(2, s)[0]) for _, s in gmsh.model.getEntities(2)}
        surfaces = _surfaces(gmsh, [s for s, v in adjacent.items() if len(v) == 1])
        boundary = {name: gmsh.model.addPhysicalGroup(2, s, name=name) for name, s in surfaces.items() if s}
        radius = {b.name: min(p.sweep_radius for p in b.parts if p.sweep_radius) for b in stack
                  if any(p.sweep_radius for p in b.parts)}
        sweep = {t: radius[n] for n, t in zip(owner, tags, strict=True) if n in radius}
        gmsh.option.setNumber("Mesh.MeshSizeMax", options.size_max)
        gmsh.option.setNumber("Mesh.MeshSizeMin", options.size_min)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.Algorithm3D", options.algorithm)
        gmsh.option.setNumber("Mesh.SecondOrderLinear", 0)
        thin = _thin(gmsh, tags, sweep, options)
        fixed = _sizes(gmsh, adjacent, sweep, thin, options)
        body = dict(zip(tags, owner, strict=True))
        thin_size: dict[str, float] = {}
        for v, h in thin.items():
            thin_size[body[v]] = min(thin_size.get(body[v], np.inf), h)
        smallest: dict[str, float] = {}
        for f, vols in adjacent.items():
            for v in vols:
                if (2, f) in fixed:
                    smallest[body[v]] = min(smallest.get(body[v], np.inf), fixed[2, f])
        if fixed:
            gmsh.model.mesh.setSizeCallback(lambda dim, tag, x, y, z, lc: fixed.get((dim, tag), lc))
        done("gmsh", "surfaces")
        retried = 0
        try:
            gmsh.model.mesh.generate(2)
            done("surfaces", "volumes")
            try:
                gmsh.model.mesh.generate(3)
            except Exception:  # see RETRY_THREADS
                if options.threads <= RETRY_THREADS:
                    raise
                retried = 1
                gmsh.model.mesh.clear()
                gmsh.option.setNumber("General.NumThreads", RETRY_THREADS)
                gmsh.model.mesh.generate(3)
            degenerate = _degenerate(gmsh)
            if degenerate:
                gmsh.model.mesh.optimize("")
                left = _degenerate(gmsh)
                if left:
                    raise MeshError(f"{path.name}: {left} tetrahedra stay flat after gmsh's optimiser (size_max "
                                    f"{options.size_max} mm); try a smaller --size-max")
            if options.order > 1:
                gmsh.model.mesh.setOrder(options.order)
        except MeshError:
            raise
        except Exception as e:  # noqa: BLE001 (gmsh raises a bare Exception)
            raise MeshError(f"gmsh could not mesh {path.name} (size_max {options.size_max} mm, curvature "
                            f"{options.curvature}): {str(e).splitlines()[0]}; try a smaller --size-max") from None
        straightened, rounds = _straighten(gmsh) if options.order == 2 else (0, 0)
        order = options.order
        if straightened < 0:
            raise MeshError(f"{path.name}: some 10-node tetrahedra stay inverted with every edge straight after "
                            f"{rounds} rounds of straightening (curvature {options.curvature}); try a smaller "
                            "--size-max or 4-node elements (MeshOptions(order=1))")
        done("volumes", "write")
        types, elements, _ = gmsh.model.mesh.getElements(3)
        tets = sum(len(e) for t, e in zip(types, elements, strict=True) if t in (4, 11))
        body_mm3, low = _body_volumes(gmsh, physical)
        summary = {"nodes": len(gmsh.model.mesh.getNodes()[0]), "tetrahedra": tets, "order": order,
                   "physical_volumes": physical, "physical_surfaces": {k: len(v) for k, v in surfaces.items()},
                   "swept_entities": len(fixed), "retried": retried, "optimised": degenerate, "face_size_mm": smallest,
                   "thin_size_mm": thin_size,
                   "straightened": straightened, "straighten_rounds": rounds, "volumes_mm3": body_mm3,
                   "min_jacobian": low}
        _write(gmsh, path, {"volumes": physical, "surfaces": boundary})
        done("write", "done")
        summary["seconds"] = seconds
        return summary
    finally:
        gmsh.finalize()
        stages.close()
