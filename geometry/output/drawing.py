"""Sections and process strips drawn with matplotlib: filled polygons per material, labelled z-levels, one panel
per process step.

matplotlib is imported only when drawing (an optional heavy import), on its Agg canvas (no pyplot, no global
figure state). Levels and planes come from the build's flow (``build.flow.views``). :func:`section_figure` saves
through :func:`geometry.output.files.write_figure` (temporary sibling, then rename).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .files import write_figure
from .instanced import StackMeshes
from .section import Region, prototype_index, section, section_prototypes


def edge_colour(colour: Sequence[float]) -> tuple[float, float, float, float]:
    r, g, b = (0.55 * float(c) for c in colour[:3])
    return (r, g, b, 1.0)


def _level_label(name: str, z: float) -> str:
    return f"{name.removeprefix('z_').replace('_', ' ')}  {z:.3f}"


def draw_section(regions: Sequence[Region], ax, levels: Mapping[str, float] | None = None,
                 exaggeration: float = 1.0, window: tuple[float, float] | None = None, legend: bool = True,
                 level_labels: bool = True, title: str | None = None) -> None:
    """Draw ``regions`` on the matplotlib axes ``ax``: one filled patch per region (gid ``region:<name>``), its
    polygons and holes the closed loops of one compound path (holes wound against their outer loop, so they stay
    open), coloured by material, embedded bodies (wires) over their host; a legend with one entry per material;
    ``levels`` as dashed horizontal lines (gid ``level:<name>``) labelled at the right edge; axes in mm with equal
    scale, except that z is stretched ``exaggeration`` times (packages are wide and thin). ``window`` = (umin,
    umax) limits u (a zoom). Patches are added as plain artists kept out of the layout (they are clipped to the
    axes): the limits are set here, and one patch per polygon cost 2,017 artists for fc-production's strip, each
    clipped, measured and drawn on its own.
    """
    from matplotlib.patches import Patch, PathPatch
    from matplotlib.path import Path as MplPath
    from matplotlib.transforms import blended_transform_factory

    embedded = {e for r in regions for e in r.embeds}
    ordered = [r for r in regions if r.name not in embedded] + [r for r in regions if r.name in embedded]
    materials: dict[str, tuple] = {}
    for z, r in enumerate(ordered, start=1):
        materials.setdefault(r.material, r.colour)
        loops = [lp for outer, holes in zip(r.polygons, r.holes or [[]] * len(r.polygons), strict=True)
                 for lp in (outer, *holes)]
        verts = np.vstack([np.vstack([lp, lp[:1]]) for lp in loops])
        codes = np.full(len(verts), MplPath.LINETO, dtype=MplPath.code_type)
        ends = np.cumsum([len(lp) + 1 for lp in loops])
        codes[np.concatenate([[0], ends[:-1]])] = MplPath.MOVETO
        codes[ends - 1] = MplPath.CLOSEPOLY
        patch = PathPatch(MplPath(verts, codes), facecolor=r.colour, edgecolor=edge_colour(r.colour), linewidth=0.3,
                          zorder=z, gid=f"region:{r.name}")
        patch.set_in_layout(False)  # clipped to the axes: it never widens the layout, so skip measuring it
        ax.add_artist(patch)
    if regions:
        b = np.array([r.bounds for r in regions])
        umin, zmin, umax, zmax = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    else:
        umin, zmin, umax, zmax = -1.0, 0.0, 1.0, 1.0
    if levels:
        zs = list(levels.values())
        zmin, zmax = min(zmin, *zs), max(zmax, *zs)
    if window is not None:
        umin, umax = float(window[0]), float(window[1])
    du, dz = (umax - umin) or 1.0, (zmax - zmin) or 1.0
    ax.set_xlim(umin - 0.02 * du, umax + 0.02 * du)
    ax.set_ylim(zmin - 0.08 * dz, zmax + 0.08 * dz)
    if levels:
        trans = blended_transform_factory(ax.transAxes, ax.transData)
        for name, z in levels.items():
            ax.axhline(z, linestyle="--", linewidth=0.6, color="0.25", zorder=len(ordered) + 1, gid=f"level:{name}",
                       label=f"_{name}")
            if level_labels:
                ax.text(1.01, z, _level_label(name, z), transform=trans, fontsize=6, va="center", ha="left",
                        gid=f"level-label:{name}", clip_on=False)
    ax.set_aspect(float(exaggeration), adjustable="box")
    ax.set_xlabel("u along section (mm)")
    ax.set_ylabel("z (mm)" + (f", x{exaggeration:g} vertical" if exaggeration != 1 else ""))
    if title:
        ax.set_title(title, fontsize=8)
    if legend and materials:
        ax.legend(handles=[Patch(facecolor=c, edgecolor=edge_colour(c), label=m) for m, c in materials.items()],
                  fontsize=6, loc="upper left", framealpha=0.9)


def _auto_exaggeration(regions: Iterable[Region], window: tuple[float, float] | None) -> float:
    """Vertical stretch that makes the drawn height about a quarter of the drawn width (at least 1)."""
    b = np.array([r.bounds for r in regions])
    if not len(b):
        return 1.0
    width = (window[1] - window[0]) if window is not None else b[:, 2].max() - b[:, 0].min()
    height = b[:, 3].max() - b[:, 1].min()
    return float(max(1.0, round(width / (4 * height), 1))) if height > 0 else 1.0


def section_figure(build, out_path: str | Path, plane: str = "row", steps: bool = False,
                   exaggeration: float | None = None, window: tuple[float, float] | None = None,
                   dpi: int = 200, prototypes: StackMeshes | None = None) -> Path:
    """Draw and save the section of ``build`` through the named ``plane`` (one of its flow's ``views.planes``): the
    finished stack, or with ``steps=True`` a process strip, one panel per step left to right, each titled with its
    step and claim (:func:`build_figure`). The format comes from the suffix of ``out_path`` (``.png`` or ``.svg``); the file is
    written atomically (temporary sibling, then rename). ``prototypes`` as in :func:`build_figure`. Returns the path."""
    out = Path(out_path)
    if out.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"out_path {str(out)!r} must end in .png or .svg")
    return write_figure(build_figure(build, plane, steps, exaggeration, window, dpi, prototypes), out, dpi)


STRIP_COLUMNS = 4
"""Panels per row of a process strip: longer flows wrap, so the strip stays legible at page width."""


def build_figure(build, plane: str = "row", steps: bool = False, exaggeration: float | None = None,
                 window: tuple[float, float] | None = None, dpi: int = 200, prototypes: StackMeshes | None = None):
    """The matplotlib Figure (Agg canvas) that :func:`section_figure` saves: one panel of the finished stack, or
    one panel per step, :data:`STRIP_COLUMNS` to a row. ``plane`` defaults to the flow's ``row`` plane (through a
    row of bumps or die pads, so their panel is never empty). ``exaggeration`` defaults to a vertical stretch that
    makes the finished section about a quarter as tall as it is wide (or as the ``window``).

    Every prototype is meshed once for the whole strip (steps share their prototypes) and cut once per plane
    offset (:func:`geometry.output.section.section`), a part that steps carry unchanged once for the strip;
    ``prototypes`` (the finished stack's
    :func:`~geometry.output.instanced.stack_meshes`, e.g. the export's) are reused instead of meshing again."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    design = build.design
    point, normal = build.flow.views.plane(design, plane)
    levels = build.flow.views.levels(design)
    history = list(build.history) if steps else [build.history[-1]]
    known = prototype_index(build.stack, prototypes) if prototypes is not None else {}
    panels, cuts = [], {}
    for r in history:
        known = section_prototypes(r.stack, point, normal, known)
        panels.append((r, section(r.stack, point, normal, prototypes=known, cuts=cuts)))
    exag = exaggeration if exaggeration is not None else _auto_exaggeration(panels[-1][1], window)
    n = len(panels)
    cols = min(n, STRIP_COLUMNS)
    rows = -(-n // cols)
    b = np.array([r.bounds for r in panels[-1][1]]) if panels[-1][1] else np.array([[0.0, 0.0, 1.0, 1.0]])
    du = (window[1] - window[0]) if window is not None else float(b[:, 2].max() - b[:, 0].min()) or 1.0
    aspect = exag * float(b[:, 3].max() - b[:, 1].min()) / du
    row_height = float(np.clip(4.2 * aspect * 1.25 + 1.0, 1.8, 3.6))
    fig = Figure(figsize=(4.2 * cols if steps else 10.0, row_height * rows + 0.7 if steps else 4.5), dpi=dpi,
                 layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    for ax in grid[n:]:
        ax.set_axis_off()
    where = f"{plane} plane, y = {point[1]:.3f} mm"
    for k, (ax, (res, regions)) in enumerate(zip(grid[:n], panels, strict=True)):
        last_in_row = k % cols == cols - 1 or n == 1
        title = (f"{res.index}. {res.step.key}\n({res.step.reference})" if steps
                 else f"{design.name}: section, {where}")
        draw_section(regions, ax, levels, exaggeration=exag, window=window, legend=False, level_labels=last_in_row,
                     title=title)
        if k % cols:
            ax.set_ylabel("")
    materials: dict[str, tuple] = {}
    for _, regions in panels:
        for r in regions:
            materials.setdefault(r.material, r.colour)
    fig.legend(handles=[Patch(facecolor=c, edgecolor=edge_colour(c), label=m) for m, c in materials.items()],
               loc="outside lower center", ncols=min(len(materials), 8) or 1, fontsize=7)
    if steps:
        fig.suptitle(f"{design.name}: process strip, {where}", fontsize=9)
    return fig
