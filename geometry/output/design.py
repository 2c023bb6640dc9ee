"""The design folder: <design>.step, .stl, .glb, .html and manifest.json (and, on request, every step as STEP and
every body as STEP and STL) written into a hidden work folder that then replaces the previous design folder in one
swap; the report beside them. Every file a CAD or viewer user copies out carries the design's name, so files of two
designs never collide and an import is named after its design."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from ..core.stack import Stack
from . import background, viewer
from .files import OutputError, library_fault, write_text, writing
from .folder import (
    BODIES,
    body_file,
    check_name,
    design_files,
    design_folder,
    make_temp_dir,
    remove_stale,
    step_file,
    swap_in,
)
from .instanced import StackMeshes, stack_meshes
from .manifest import write_manifest
from .meshfiles import write_body_stl, write_glb, write_stl
from .step import write_step


def write_html(stack: Stack, name: str, path: Path | str, meshes: StackMeshes | None = None) -> Path:
    """Self-contained HTML 3D viewer of ``stack`` titled ``name`` (:func:`geometry.output.viewer.html`: colours per
    material, one toggle per body, instanced prototypes, nothing loaded from outside the file); ``meshes`` reuses a
    :func:`~geometry.output.instanced.stack_meshes` result."""
    return write_text(path, viewer.html(stack, name, meshes))


def write_design(out_dir: Path | str, name: str, stack: Stack, manifest: dict | Callable[[], dict],
                 steps: Sequence[tuple[str, Stack]] | None = None, timestamp: str | None = None,
                 ap242: bool = False, tolerance: float | None = None, split: bool = False,
                 meshes: StackMeshes | None = None, staged: bool = False,
                 beside: Callable[[Path, StackMeshes], None] | None = None) -> Path:
    """Write ``out_dir/name/``: <name>.step, <name>.stl, <name>.glb, <name>.html (3D viewer), manifest.json
    and, when ``steps`` are given, ``steps/<name>-NN-<key>.step`` for each (key, stack) in order (NN from 01).
    Returns the design folder. ``ap242`` writes the STEP files as AP242 instead of AP214; ``tolerance`` is the
    chordal tolerance (mm) of the STL and GLB; ``split`` adds ``bodies/<name>-<body>.step`` and ``.stl`` per body.

    ``name`` and every step key must match :data:`~geometry.output.folder.NAME_RULE`, and the resolved folder must lie directly in
    ``out_dir``; otherwise ValueError (a bad name) or
    :class:`~geometry.output.files.OutputError` (a symbolic link leading out, a file in the way), before anything
    is written; an OSError while writing (a full disk, a read-only folder) is raised as an ``OutputError`` naming
    the design folder. All files go to a hidden temporary folder in
    ``out_dir`` that then replaces the previous design folder, so on any error no partial output is left and a
    previous output stays as it was. ``timestamp`` as in :func:`write_step`. A writer killed outright leaves only
    its hidden folder, tagged with its process id, which the next write to ``out_dir`` removes
    (:func:`remove_stale`).

    Every prototype is tessellated once (:func:`~geometry.output.instanced.stack_meshes`, to the chordal
    ``tolerance`` mm, default the budgeted quality of :func:`~geometry.output.mesh.prototype_meshes`) and the STL,
    GLB and HTML viewer all draw those meshes; the manifest gets a ``mesh`` section stating per body the
    tolerance met, triangles and volume error (:meth:`~geometry.output.instanced.StackMeshes.record`). ``split``
    also writes ``bodies/<name>-<body>.step`` (a one-body STEP, AP242 with ``ap242``) and
    ``bodies/<name>-<body>.stl`` for every body (:func:`write_bodies`). ``meshes`` passes that tessellation
    ready made (:func:`~geometry.output.instanced.stack_meshes` of ``stack``, to ``tolerance``), so a caller that
    also draws the report's pictures meshes once. ``staged`` leaves the written hidden work folder
    ``out_dir/.<name>.tmp-...`` out of place and returns it, for :func:`publish` to swap in (or
    :func:`~geometry.output.folder.remove_tree` to discard) once the caller decides.

    The STEP files are written by a forked child (:mod:`geometry.output.background`) while this process
    tessellates, writes the other files and runs ``beside(work folder, meshes)`` (the report's pictures and
    files), so a build uses two cores. ``manifest`` may be given as the function that computes it: with
    ``beside``, the child runs it after the STEP (fc-production's export with report: 3.21-3.33 s wall against
    3.58-3.66 with the manifest made here), else this process does. The files are the same, byte for byte, as
    when all is written in one process.
    """
    target = design_folder(out_dir, name)
    root = target.parent
    steps = list(steps or [])
    for key, _ in steps:
        check_name(key, "step key")
    with writing(target):
        root.mkdir(parents=True, exist_ok=True)
        remove_stale(root)
        tmp = make_temp_dir(root, name)
        try:
            _write_files(tmp, name, stack, manifest, steps, timestamp, ap242, tolerance, meshes, split, beside)
            if staged:
                return tmp
            swap_in(tmp, target)
        except OutputError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            inner = e.path.relative_to(tmp) if e.path.is_relative_to(tmp) else None
            raise OutputError(target if inner is None else target / inner, e.reason, e.errno) from e
        except BaseException as e:
            fault = library_fault(tmp / name, e)
            shutil.rmtree(tmp, ignore_errors=True)
            if fault is not None:
                raise OutputError(target, fault.reason) from e
            raise
    return target


def _write_files(tmp: Path, name: str, stack: Stack, manifest: dict | Callable[[], dict],
                 steps: list[tuple[str, Stack]], timestamp: str | None, ap242: bool, tolerance: float | None,
                 meshes: StackMeshes | None, split: bool, beside: Callable[[Path, StackMeshes], None] | None) -> None:
    """The design's files into ``tmp`` (see :func:`write_design`). With ``beside`` (the report's pictures) the
    child also computes the manifest's content, so the two processes get about equal shares."""
    files = design_files(name)
    content = manifest if callable(manifest) else lambda: manifest
    step = background.start(_write_steps, tmp, name, stack, files[".step"], steps, timestamp, ap242,
                            content if beside is not None else None)
    try:
        meshes = stack_meshes(stack, tolerance=tolerance) if meshes is None else meshes
        write_stl(stack, tmp / files[".stl"], meshes=meshes)
        write_glb(stack, tmp / files[".glb"], meshes=meshes)
        write_html(stack, name, tmp / files[".html"], meshes=meshes)
        if split:
            write_bodies(stack, name, tmp / BODIES, meshes, timestamp, ap242)
        if beside is None:
            made = content()
            step.wait()
        else:
            beside(tmp, meshes)
            made = step.wait()
        write_manifest({**made, "mesh": meshes.record()}, tmp / "manifest.json")
    except BaseException:
        step.stop()
        raise


def _write_steps(tmp: Path, name: str, stack: Stack, file: str, steps: list[tuple[str, Stack]],
                 timestamp: str | None, ap242: bool, manifest: Callable[[], dict] | None) -> dict | None:
    """``tmp/<file>`` and, when ``steps`` are given, ``tmp/steps/<name>-NN-<key>.step`` for each; then the
    content ``manifest()`` makes, when it is given."""
    write_step(stack, name, tmp / file, timestamp=timestamp, ap242=ap242)
    if steps:
        (tmp / "steps").mkdir()
        for i, (key, step_stack) in enumerate(steps, start=1):
            step = step_file(name, i, key)
            write_step(step_stack, step.removesuffix(".step"), tmp / "steps" / step, timestamp=timestamp,
                       ap242=ap242)
    return None if manifest is None else manifest()


def write_bodies(stack: Stack, name: str, folder: Path, meshes: StackMeshes,
                 timestamp: str | None = None, ap242: bool = False) -> Path:
    """``folder/<name>-<body>.step`` and ``folder/<name>-<body>.stl`` for every body of ``stack``, each atomically.

    The STEP is the one-body stack written as the package STEP is (:func:`write_step`: root product
    ``<name>-<body>`` holding the component ``<body>``, members as references to one solid per prototype, the
    body's sRGB colour and material, the header naming the file and pkgcad, AP242 with ``ap242``); the STL is the
    body's members from ``meshes`` (mm)."""
    folder.mkdir(parents=True, exist_ok=True)
    for body in stack:
        root = body_file(name, body.name, "")
        write_step(Stack((body,)), root, folder / body_file(name, body.name, ".step"), timestamp=timestamp,
                   ap242=ap242, description=f"{root}: body {body.name} of semiconductor package {name}")
        write_body_stl(meshes[body.name], folder / body_file(name, body.name, ".stl"))
    return folder


def publish(work: Path) -> Path:
    """Swap a work folder staged by :func:`write_design` (``staged=True``) into place as its design folder, so the
    folder holds the previous or the new design at every instant; returns the design folder."""
    target = design_folder(work.parent, work.name[1:work.name.index(".tmp-")])
    with writing(target):
        swap_in(work, target)
    return target


def write_report_files(folder: Path, markdown: str, html: str) -> Path:
    """Write ``folder/report.md`` and ``report.html`` (each atomically) into an existing folder (a design folder,
    or a work folder staged by :func:`write_design`); returns the folder."""
    write_text(folder / "report.md", markdown)
    write_text(folder / "report.html", html)
    return folder


def write_report(out_dir: Path | str, name: str, markdown: str, html: str) -> Path:
    """Write ``out_dir/name/report.md`` and ``report.html`` (each atomically), creating the design folder when
    missing; other files in it stay. ``name`` must match :data:`~geometry.output.folder.NAME_RULE`. Returns the design folder."""
    target = design_folder(out_dir, name)
    with writing(target):
        target.mkdir(parents=True, exist_ok=True)
    return write_report_files(target, markdown, html)
