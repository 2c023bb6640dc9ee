"""The only module of pkgcad that writes files: STEP assembly, STL, GLB and the manifest JSON.

Lengths are millimetres, volumes mm3, masses mg (densities g/cm3). Arrays stay instanced on the way out: the STEP
assembly holds one definition per prototype and one reference per member; meshes tessellate each prototype once and
tile its vertices over the placements with numpy. Every writer is atomic: it writes a hidden temporary file in the
destination folder and renames it over the target, so a reader never sees a half-written file.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import platform
import re
import secrets
import shutil
import socket
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cadquery as cq
import numpy as np
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from . import occ, occ_step
from .stack import Body, Instances, Stack, translations

__all__ = [
    "NAME_RULE",
    "manifest",
    "read_step",
    "remove_stale",
    "stack_mesh",
    "step_tree",
    "write_design",
    "write_figure",
    "write_glb",
    "write_html",
    "write_manifest",
    "write_report",
    "write_step",
    "write_stl",
]

NAME_RULE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_RULE)

#: Mesh quality ladder, finest first: (linear deflection as a fraction of the prototype's bbox diagonal, angular
#: deflection in rad). Measured per sphere: 2,020 / 866 / 304 / 180 / 130 triangles, mesh volume -0.7 / -1.7 / -4.7
#: / -7.8 / -10.4 %; per 0.1 mm truncated-sphere bump: 1,258 / 598 / 252 / 166 / 112 triangles, -0.6 / -1.3 / -3.3 /
#: -5.3 / -8.2 %.
MESH_LEVELS: tuple[tuple[float, float], ...] = ((0.005, 0.2), (0.01, 0.3), (0.02, 0.5), (0.03, 0.65), (0.05, 0.8),
                                                (0.1, 1.1), (0.15, 1.4))
#: Absolute floor of the linear deflection (mm), so tiny prototypes are not meshed below 1 um.
MESH_FLOOR_MM = 1e-3
#: Default triangle budget of a whole stack for :func:`stack_mesh` (about 50 MB of binary STL), shared among the
#: bodies in proportion to their member counts.
MAX_TRIANGLES = 1_000_000
#: glTF lengths are metres; GLB nodes scale the millimetre geometry by this factor.
GLB_SCALE = 1e-3


# ----------------------------------------------------------------------------------------------------- atomic files


def _temp_sibling(path: Path, suffix: str = ".tmp") -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _atomic(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary sibling of ``path``, flush it to disk and rename it over ``path``."""
    path = Path(path)
    tmp = _temp_sibling(path)
    try:
        write(tmp)
        if not tmp.is_file():
            raise OSError(f"writer produced no file for {path}")
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path | str, data: bytes) -> Path:
    """``data`` written atomically (also PNG pictures rendered in memory)."""
    return _atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path | str, text: str) -> Path:
    """``text`` as a UTF-8 file, written atomically (HTML, Markdown, CSV)."""
    return write_bytes(path, text.encode("utf-8"))


# ------------------------------------------------------------------------------------------------------------ STEP


def _part_definitions(body: Body) -> list[occ_step.XPart]:
    """One STEP solid definition per prototype of ``body``."""
    many = len(body.parts) > 1
    return [occ_step.XPart(f"{body.name}_proto{k}" if many else f"{body.name}_proto", part.shape,
                           body.material.color) for k, part in enumerate(body.parts)]


def _rows(part: Instances) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Members grouped into rows that share one x pattern: [(row x offsets, row placements)], or None when rows
    would not save references (members rotated, or no two rows alike)."""
    m = part.placements
    if not np.allclose(m[:, :3, :3], np.eye(3)):
        return None
    xyz = np.round(m[:, :3, 3], 9)
    rows: dict[tuple[float, float], list[float]] = {}
    for x, y, z in xyz:
        rows.setdefault((y, z), []).append(x)
    patterns: dict[tuple[float, ...], list[tuple[float, float]]] = {}
    for yz, xs in rows.items():
        patterns.setdefault(tuple(sorted(xs)), []).append(yz)
    if len(rows) + sum(len(p) for p in patterns) >= part.count:
        return None
    out = []
    for xs, yzs in patterns.items():
        offsets = np.column_stack([xs, np.zeros((len(xs), 2))])
        at = np.column_stack([np.zeros(len(yzs)), np.array(yzs)])
        out.append((translations(offsets), translations(at)))
    return out


def step_tree(stack: Stack, name: str, rows: bool = True) -> occ_step.XAssembly:
    """The STEP assembly ``name``: one component per body, named ``body.name``.

    A single-member body is its solid. An array body is an assembly of references to its prototype solid(s);
    members on regular rows are grouped into shared row assemblies (``<body>_row<k>``), so a 100 x 100 bump grid is
    written as one solid, one row of 100 references and 100 row references instead of 10,000 references.
    ``rows=False`` writes every member as a direct reference to its prototype: larger and slower, but readable
    by importers that need unique sub-assembly names, such as ``cadquery.Assembly.load``.
    """
    root = occ_step.XAssembly(name)
    for body in stack:
        protos = _part_definitions(body)
        if body.count == 1:
            root.components.append((occ_step.XPart(body.name, body.parts[0].shape, body.material.color),
                                    body.parts[0].placements[0], body.name))
            continue
        assy = occ_step.XAssembly(body.name)
        i = 0
        for k, (part, proto) in enumerate(zip(body.parts, protos)):
            grouped = _rows(part) if rows else None
            if grouped is None:
                for m in part.placements:
                    assy.components.append((proto, m, f"{body.name}_{i}"))
                    i += 1
                continue
            for r, (offsets, at) in enumerate(grouped):
                row = occ_step.XAssembly(f"{body.name}_p{k}_row{r}" if len(body.parts) > 1 else f"{body.name}_row{r}",
                                         [(proto, m, f"{body.name}_p{k}_r{r}_{j}") for j, m in enumerate(offsets)])
                for m in at:
                    assy.components.append((row, m, f"{body.name}_{i}"))
                    i += 1
        root.components.append((assy, np.eye(4), body.name))
    return root


def write_step(stack: Stack, name: str, path: Path | str, rows: bool = True, timestamp: str | None = None) -> Path:
    """Write ``stack`` as an AP214 STEP assembly (mm) whose root product is ``name``; returns ``path``.
    ``rows`` as in :func:`step_tree`. ``timestamp`` (ISO 8601) replaces the current time in the header, so the same
    stack gives the same bytes on every run."""
    if not len(stack):
        raise ValueError(f"cannot write STEP {name!r}: the stack has no bodies")
    tree = step_tree(stack, name, rows)
    return _atomic(path, lambda tmp: occ_step.write_step(tree, str(tmp), timestamp))


def read_step(path: Path | str) -> dict[str, dict[str, float]]:
    """Per top-level component of a STEP assembly: ``{"count": solids, "volume": mm3}`` (placements applied)."""
    return {k: {"count": c, "volume": v} for k, (c, v) in occ_step.read_step(str(path)).items()}


# ---------------------------------------------------------------------------------------------------------- meshes


def _deflection(shape: cq.Shape, relative: float) -> float:
    b = occ.bounds(shape)
    return max(relative * float(np.linalg.norm(b[3:] - b[:3])), MESH_FLOOR_MM)


def _prototype_mesh(shape: cq.Shape, deflection: float, angular: float) -> tuple[np.ndarray, np.ndarray]:
    """Welded, cleaned triangulation of one prototype: vertices (n, 3) mm and faces (m, 3)."""
    v, f = occ.triangulate(shape, deflection, angular)
    m = trimesh.Trimesh(v, f, process=False)
    m.merge_vertices()
    m.update_faces(m.nondegenerate_faces() & m.unique_faces())
    m.remove_unreferenced_vertices()
    return np.asarray(m.vertices, dtype=float), np.asarray(m.faces, dtype=np.int64)


def _tile(v: np.ndarray, f: np.ndarray, placements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh (v, f) copied to each of the (N, 4, 4) placements; mirrored placements get reversed winding."""
    n = len(placements)
    vh = np.hstack([v, np.ones((len(v), 1))])
    verts = np.einsum("nij,kj->nki", placements[:, :3, :], vh).reshape(-1, 3)
    faces = np.repeat(f[None], n, axis=0)
    mirrored = np.linalg.det(placements[:, :3, :3]) < 0
    if mirrored.any():
        faces[mirrored] = faces[mirrored][:, :, ::-1]
    faces += (np.arange(n, dtype=np.int64) * len(v))[:, None, None]
    return verts, faces.reshape(-1, 3)


def _concat(pieces: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.cumsum([0] + [len(v) for v, _ in pieces[:-1]])
    verts = np.vstack([v for v, _ in pieces]) if pieces else np.zeros((0, 3))
    faces = np.vstack([f + o for (_, f), o in zip(pieces, offsets)]) if pieces else np.zeros((0, 3), np.int64)
    return verts, faces


TUBE_SIDES = 12
"""Facets around a swept wire's section in meshes."""
TUBE_STEP_MM = 0.025
"""Longest step along a swept wire's centre line in meshes (mm)."""


def _tube_mesh(spine: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed triangle mesh of a circle of ``radius`` swept along the polyline ``spine`` (K, 3), mm: rings of
    :data:`TUBE_SIDES` vertices carried by rotation-minimising frames (double reflection), capped at both ends."""
    seg = np.linalg.norm(np.diff(spine, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = int(np.clip(np.ceil(cum[-1] / TUBE_STEP_MM), 8, 400)) + 1
    pts = np.column_stack([np.interp(np.linspace(0, cum[-1], n), cum, spine[:, i]) for i in range(3)])
    tangents = np.gradient(pts, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1)[:, None]
    t0 = tangents[0]
    u = np.cross(t0, [1.0, 0.0, 0.0] if abs(t0[0]) < 0.9 else [0.0, 1.0, 0.0])
    frames = [u / np.linalg.norm(u)]
    for i in range(n - 1):
        v1 = pts[i + 1] - pts[i]
        c1 = v1 @ v1
        r_l = frames[-1] - (2 / c1) * (v1 @ frames[-1]) * v1
        t_l = tangents[i] - (2 / c1) * (v1 @ tangents[i]) * v1
        v2 = tangents[i + 1] - t_l
        c2 = v2 @ v2
        r_next = r_l - (2 / c2) * (v2 @ r_l) * v2 if c2 > 1e-30 else r_l
        frames.append(r_next / np.linalg.norm(r_next))
    u = np.array(frames)
    w = np.cross(tangents, u)
    a = np.linspace(0, 2 * np.pi, TUBE_SIDES, endpoint=False)
    ring = pts[:, None, :] + radius * (np.cos(a)[None, :, None] * u[:, None, :] + np.sin(a)[None, :, None] * w[:, None, :])
    verts = np.vstack([ring.reshape(-1, 3), pts[[0, -1]]])
    k = np.arange(TUBE_SIDES)
    i = np.arange(n - 1)[:, None] * TUBE_SIDES
    a0, a1 = i + k, i + (k + 1) % TUBE_SIDES
    b0, b1 = a0 + TUBE_SIDES, a1 + TUBE_SIDES
    side = np.concatenate([np.stack([a0, a1, b1], -1), np.stack([a0, b1, b0], -1)], axis=1).reshape(-1, 3)
    start, end = len(verts) - 2, len(verts) - 1
    caps = np.concatenate([np.column_stack([np.full(TUBE_SIDES, start), (k + 1) % TUBE_SIDES, k]),
                           np.column_stack([np.full(TUBE_SIDES, end), (n - 1) * TUBE_SIDES + k,
                                            (n - 1) * TUBE_SIDES + (k + 1) % TUBE_SIDES])])
    faces = np.vstack([side, caps]).astype(np.int64)
    if trimesh.Trimesh(verts, faces, process=False).volume < 0:
        faces = faces[:, ::-1]
    return verts, faces


def _finest_within(shape: cq.Shape, levels: Sequence[tuple[float, float, float | None]],
                   budget: float) -> tuple[np.ndarray, np.ndarray]:
    """The finest of ``levels`` (finest first) whose mesh of ``shape`` has at most ``budget`` triangles, else the
    coarsest. Tried from the coarsest up, so slender swept shapes with tight budgets mesh only once or twice."""
    best = None
    for rel, ang, tol in reversed(levels):
        mesh = _prototype_mesh(shape, _deflection(shape, rel) if tol is None else tol, ang)
        if best is not None and len(mesh[1]) > budget:
            break
        best = mesh
    return best


def stack_mesh(stack: Stack, tolerance: float | None = None, angular: float | None = None,
               max_triangles: int = MAX_TRIANGLES) -> dict[str, trimesh.Trimesh]:
    """One triangle mesh per body (mm), keyed by body name, in stack order.

    Each prototype is triangulated once, welded, and tiled over its placements with numpy; parts are then
    concatenated. Every member is a closed copy of its prototype's mesh, so a body is watertight when its
    prototypes are. Vertices lie on the B-rep surfaces, so mesh volumes are slightly low on curved bodies.

    Default quality (``tolerance`` and ``angular`` both None): ``max_triangles`` is shared among the bodies in
    proportion to their member counts (but never less than 10,000 per body), and a body's share among its
    prototypes by their member counts; each prototype gets the finest level of :data:`MESH_LEVELS` whose mesh
    fits its share per member, else the coarsest level. Swept wires that carry their centre line are meshed from
    it (:func:`_tube_mesh`), not by triangulating the swept B-rep, which is slow and poor at coarse levels. The linear deflection is a
    fraction of each prototype's bbox diagonal, at least :data:`MESH_FLOOR_MM`. Per 0.1 mm bump the levels give
    1,258 / 598 / 252 / 166 / 112 triangles (volume -0.6 / -1.3 / -3.3 / -5.3 / -8.2 %) and fewer below.

    Explicit quality: ``tolerance`` is an absolute linear deflection (mm; default the finest relative level) and
    ``angular`` an angular deflection (rad; default 0.2); no triangle budget applies.
    """
    members = max(sum(b.count for b in stack), 1)
    if tolerance is None and angular is None:
        levels = [(rel, ang, None) for rel, ang in MESH_LEVELS]
    else:
        rel0, ang0 = MESH_LEVELS[0]
        levels = [(rel0, ang0 if angular is None else angular, tolerance)]
        max_triangles = math.inf
    out: dict[str, trimesh.Trimesh] = {}
    for body in stack:
        budget = max(max_triangles * body.count / members, 10_000)
        protos = [_tube_mesh(p.spine, p.sweep_radius) if p.spine is not None and p.sweep_radius else
                  _finest_within(p.shape, levels, budget / body.count) for p in body.parts]
        verts, faces = _concat([_tile(v, f, p.placements) for (v, f), p in zip(protos, body.parts)])
        out[body.name] = trimesh.Trimesh(verts, faces, process=False,
                                         metadata={"name": body.name, "material": body.material_name})
    return out


def _combined(meshes: Mapping[str, trimesh.Trimesh]) -> trimesh.Trimesh:
    verts, faces = _concat([(np.asarray(m.vertices), np.asarray(m.faces)) for m in meshes.values()])
    return trimesh.Trimesh(verts, faces, process=False)


def write_stl(stack: Stack, path: Path | str, meshes: Mapping[str, trimesh.Trimesh] | None = None) -> Path:
    """Whole package as one binary STL (mm); ``meshes`` reuses a :func:`stack_mesh` result."""
    meshes = stack_mesh(stack) if meshes is None else meshes
    data = _combined(meshes).export(file_type="stl")
    return write_bytes(path, data)


def write_glb(stack: Stack, path: Path | str, meshes: Mapping[str, trimesh.Trimesh] | None = None) -> Path:
    """Binary glTF: one node and one mesh per body, both named ``body.name``, coloured by a PBR material.

    Geometry is stored in mm and each node scales it by :data:`GLB_SCALE` so viewers see metres, as glTF requires.
    Translucent materials (alpha < 1) use alpha blending.
    """
    meshes = stack_mesh(stack) if meshes is None else meshes
    scene = trimesh.Scene()
    scale = np.diag([GLB_SCALE, GLB_SCALE, GLB_SCALE, 1.0])
    for body in stack:
        m = meshes[body.name]
        rgba = np.asarray(body.material.color, dtype=float)
        material = PBRMaterial(name=body.material_name, baseColorFactor=rgba, metallicFactor=0.0,
                               roughnessFactor=0.6, alphaMode="BLEND" if rgba[3] < 1.0 else "OPAQUE")
        geom = trimesh.Trimesh(m.vertices, m.faces, process=False, visual=TextureVisuals(material=material))
        scene.add_geometry(geom, node_name=body.name, geom_name=body.name, transform=scale)
    return write_bytes(path, scene.export(file_type="glb"))


def write_html(stack: Stack, name: str, path: Path | str, meshes: Mapping[str, trimesh.Trimesh] | None = None) -> Path:
    """Self-contained HTML 3D viewer of ``stack`` titled ``name`` (:func:`geometry.viewer.html`: colours per
    material, one toggle per body, nothing loaded from outside the file); ``meshes`` reuses a :func:`stack_mesh`
    result."""
    from .viewer import html

    return write_text(path, html(stack, name, meshes))


# -------------------------------------------------------------------------------------------------------- manifest


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _versions() -> dict[str, str | None]:
    try:
        import OCP

        ocp = _version("cadquery-ocp") or getattr(OCP, "__version__", None)
    except ImportError:
        ocp = None
    return {
        "pkgcad": _version("pkgcad") or "unknown",
        "cadquery": getattr(cq, "__version__", None) or _version("cadquery"),
        "OCP": ocp,
        "trimesh": trimesh.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _bounds_record(b: np.ndarray) -> dict[str, list[float]]:
    return {"min": [float(x) for x in b[:3]], "max": [float(x) for x in b[3:]]}


def manifest(design_name: str, flow: str, params: dict, stack: Stack, checks: list[dict],
             steps: list[dict]) -> dict:
    """Manifest content: parameters as given, per body its solid volume (mm3, what the STEP holds), net volume
    (less embedded bodies) and mass (mg, of the net volume), bounds (mm); the geometry digest of the stack
    (:func:`geometry.digest.stack_digest`); checks, steps, versions."""
    from .digest import stack_digest

    bodies = [
        {
            "name": b.name,
            "material": b.material_name,
            "density_g_cm3": b.material.density,
            "count": b.count,
            "volume_mm3": b.volume(),
            "net_volume_mm3": stack.net_volume(b.name),
            "mass_mg": stack.mass_mg(b.name),
            "embeds": list(b.embeds),
            "bounds_mm": _bounds_record(b.bounds()),
        }
        for b in stack
    ]
    return {
        "name": design_name,
        "flow": flow,
        "units": {"length": "mm", "volume": "mm3", "mass": "mg", "density": "g/cm3"},
        "parameters": params,
        "bodies": bodies,
        "totals": {
            "bodies": len(bodies),
            "members": sum(b["count"] for b in bodies),
            "volume_mm3": sum(b["net_volume_mm3"] for b in bodies),
            "mass_mg": sum(b["mass_mg"] for b in bodies),
            "bounds_mm": _bounds_record(stack.bounds()) if len(stack) else None,
        },
        "geometry_digest": stack_digest(stack) if len(stack) else None,
        "checks": list(checks),
        "steps": list(steps),
        "versions": _versions(),
    }


def _plain(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays, tuples, sets, paths and pydantic models converted; non-finite
    floats become null (strict JSON has no NaN or Infinity)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(_plain(v) for v in obj)
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return _plain(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "model_dump"):
        return _plain(obj.model_dump(mode="json"))
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    raise TypeError(f"manifest value of type {type(obj).__name__} is not JSON serialisable: {obj!r}")


def write_figure(fig, path: Path | str, dpi: int = 200) -> Path:
    """Save a matplotlib figure atomically as PNG or SVG, by the suffix of ``path``."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure {path.name!r}: the suffix must be .png or .svg")
    return _atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))


def write_manifest(data: dict, path: Path | str) -> Path:
    """``data`` as UTF-8 JSON, indent 2, keys sorted (stable diffs between builds), trailing newline."""
    text = json.dumps(_plain(data), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    return write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------------- design folder


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{what} {name!r} is not allowed: it must match {NAME_RULE} (a letter or digit, then up "
                         f"to 63 letters, digits, '.', '_' or '-'), so it can never write outside the output folder")
    return name


_STALE = re.compile(r"^\..+\.(?:tmp|old)-(?P<host>\w+)-(?P<pid>\d+)-[0-9a-f]{8}$")
"""Hidden work folders of :func:`write_design` (a new design being written, a previous one being replaced), tagged
with the writer's host and process id."""


def _owner() -> str:
    """``<host>-<pid>`` of this process, the host reduced to word characters (a folder shared by several hosts,
    as a Dask sweep's may be, is cleaned only of the work of dead processes of this host)."""
    return f"{_host()}-{os.getpid()}"


def _host() -> str:
    return re.sub(r"\W", "_", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(out_dir: Path | str) -> list[Path]:
    """Delete the hidden work folders that a killed :func:`write_design` left in ``out_dir`` (those whose writer
    process is gone); returns what was removed. A kill (SIGKILL, power loss) cannot be cleaned up by the process
    itself: its half-written design stays hidden, never in place of a design, until the next write here."""
    root = Path(out_dir)
    gone = []
    for p in root.iterdir() if root.is_dir() else ():
        m = _STALE.match(p.name)
        if m and m["host"] == _host() and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"])):
            _remove(p)
            gone.append(p)
    return gone


def _design_folder(out_dir: Path | str, name: str) -> Path:
    """The resolved folder ``out_dir/name`` of a design; ValueError unless ``name`` matches :data:`NAME_RULE` and
    the folder lies directly in ``out_dir``."""
    _check_name(name, "design name")
    root = Path(out_dir).resolve()
    target = root / name
    if target.resolve().parent != root:
        raise ValueError(f"design name {name!r} resolves to {target.resolve()}, outside the output folder {root}")
    return target


def _make_temp_dir(root: Path, name: str) -> Path:
    while True:
        tmp = root / f".{name}.tmp-{_owner()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            return tmp
        except FileExistsError:
            continue


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; a previous ``target`` is moved aside first and deleted only afterwards."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{_owner()}-{secrets.token_hex(4)}")
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        _remove(old)


def write_design(out_dir: Path | str, name: str, stack: Stack, manifest: dict,
                 steps: Sequence[tuple[str, Stack]] | None = None, timestamp: str | None = None) -> Path:
    """Write ``out_dir/name/``: package.step, package.stl, package.glb, package.html (3D viewer), manifest.json
    and, when ``steps`` are given, ``steps/NN-<key>.step`` for each (key, stack) in order (NN from 01). Returns
    the design folder.

    ``name`` and every step key must match :data:`NAME_RULE`, and the resolved folder must lie directly in
    ``out_dir``; otherwise ValueError, before anything is written. All files go to a hidden temporary folder in
    ``out_dir`` that then replaces the previous design folder, so on any error no partial output is left and a
    previous output stays as it was. ``timestamp`` as in :func:`write_step`. A writer killed outright leaves only
    its hidden folder, tagged with its process id, which the next write to ``out_dir`` removes
    (:func:`remove_stale`).
    """
    target = _design_folder(out_dir, name)
    root = target.parent
    steps = list(steps or [])
    for key, _ in steps:
        _check_name(key, "step key")
    root.mkdir(parents=True, exist_ok=True)
    remove_stale(root)
    tmp = _make_temp_dir(root, name)
    try:
        write_step(stack, name, tmp / "package.step", timestamp=timestamp)
        meshes = stack_mesh(stack)
        write_stl(stack, tmp / "package.stl", meshes=meshes)
        write_glb(stack, tmp / "package.glb", meshes=meshes)
        write_html(stack, name, tmp / "package.html", meshes=meshes)
        write_manifest(manifest, tmp / "manifest.json")
        if steps:
            (tmp / "steps").mkdir()
            for i, (key, step_stack) in enumerate(steps, start=1):
                write_step(step_stack, f"{name}-{i:02d}-{key}", tmp / "steps" / f"{i:02d}-{key}.step",
                           timestamp=timestamp)
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def write_report(out_dir: Path | str, name: str, markdown: str, html: str) -> Path:
    """Write ``out_dir/name/report.md`` and ``report.html`` (each atomically), creating the design folder when
    missing; other files in it stay. ``name`` must match :data:`NAME_RULE`. Returns the design folder."""
    target = _design_folder(out_dir, name)
    target.mkdir(parents=True, exist_ok=True)
    write_text(target / "report.md", markdown)
    write_text(target / "report.html", html)
    return target
