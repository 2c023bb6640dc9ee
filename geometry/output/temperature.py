"""Temperature pictures of the 3D thermal solve (issue 17): a vertical section through the package centre and the
package top, from the still-air (theta_ja) solve of :mod:`geometry.thermal.jedec` (package on the JESD51-7/-9
2s2p board), as temperature rise over ambient in K for the model's power.

matplotlib is imported only when drawing (an optional heavy import), on its Agg canvas (no pyplot). The design
report embeds :func:`temperature_pngs` (PNG bytes, no file I/O here); ``pkgcad thermal`` saves the same figures
through :func:`geometry.output.files.write_figure` (atomically).
"""

from __future__ import annotations

import io

import numpy as np

from ..thermal.jedec import TemperatureMap

SECTION_MARGIN = 2.0
"""mm of board shown beside the package body in the section."""

BOARD_DEPTH = 0.5
"""mm of board shown under its top face in the section."""

TITLES = (("temperature_section", "Temperature, section through the package centre"),
          ("temperature_top", "Temperature, package top"))
"""Report picture keys and titles, in report order."""


def _figure(size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _label(tm: TemperatureMap) -> str:
    return f"temperature rise over ambient, K ({tm.power:.3g} W)"


def section_figure(tm: TemperatureMap):
    """The x-z section at y = 0 through the centred package and the board just under it, coloured by temperature."""
    x0, _, x1, _ = tm.outline
    sec = tm.solution.section("y", 0.0)
    keep_u = (sec.u >= x0 - SECTION_MARGIN) & (sec.u <= x1 + SECTION_MARGIN)
    keep_v = sec.v >= tm.board_top - BOARD_DEPTH
    fig = _figure((8, 3.5))
    ax = fig.add_subplot()
    m = ax.pcolormesh(sec.u[keep_u], sec.v[keep_v], sec.temperature[np.ix_(keep_u, keep_v)].T, shading="gouraud",
                      cmap="inferno")
    fig.colorbar(m, ax=ax, label=_label(tm))
    ax.set(xlabel="x, mm", ylabel="z, mm", title=f"{tm.name}: section y = 0 (still air, 2s2p board)")
    return fig


def top_figure(tm: TemperatureMap):
    """The package top seen from above (grid nodes at the top's height only), coloured by temperature."""
    x0, y0, x1, y1 = tm.outline
    surf = tm.solution.top_surface()
    ku = (surf.u >= x0) & (surf.u <= x1)
    kv = (surf.v >= y0) & (surf.v <= y1)
    t = np.where(np.abs(surf.height - tm.top_z) < 1e-6, surf.temperature, np.nan)[np.ix_(ku, kv)]
    fig = _figure((5, 4.3))
    ax = fig.add_subplot()
    m = ax.pcolormesh(surf.u[ku], surf.v[kv], t.T, shading="gouraud", cmap="inferno")
    fig.colorbar(m, ax=ax, label=_label(tm))
    ax.set(xlabel="x, mm", ylabel="y, mm", title=f"{tm.name}: package top", aspect="equal")
    return fig


def temperature_pngs(thermal, dpi: int = 110) -> dict[str, bytes]:
    """PNG bytes of the section and top pictures (keys of :data:`TITLES`) of a first-order network object that
    carries the 3D solve's field (``thermal.temperature``); empty without it (``thermal.solve = false``)."""
    tm = getattr(thermal, "temperature", None)
    if tm is None:
        return {}
    out = {}
    for (key, _), draw in zip(TITLES, (section_figure, top_figure), strict=True):
        buf = io.BytesIO()
        draw(tm).savefig(buf, format="png", dpi=dpi)
        out[key] = buf.getvalue()
    return out
