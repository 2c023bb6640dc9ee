"""Sections drawn (geometry.output.drawing): figure content, the process strip, saved files. The small flip-chip
design comes from the ``small`` fixture of tests/conftest.py and builds in a fraction of a second."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")


def _axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.subplots()


def test_draw_section_content(small_build):
    from geometry.output.drawing import draw_section
    from geometry.output.section import section

    build = small_build
    ax = _axes()
    regions = list({r.name: r for r in section(build.stack)}.values())
    levels = build.flow.views.levels(build.design)
    draw_section(regions, ax, levels, exaggeration=4.0, window=(-1.5, 1.5))
    assert sorted(p.get_gid() for p in ax.patches) == sorted(f"region:{r.name}" for r in regions)
    for patch in ax.patches:  # one compound path per region: a closed loop per polygon and per hole
        r = next(r for r in regions if f"region:{r.name}" == patch.get_gid())
        closes = int((patch.get_path().codes == patch.get_path().CLOSEPOLY).sum())
        assert closes == len(r.polygons) + sum(len(h) for h in r.holes) and not patch.get_in_layout()
    materials = {r.material for r in regions}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(materials) and len(legend) == len(materials)
    lines = {ln.get_gid(): ln for ln in ax.lines if (ln.get_gid() or "").startswith("level:")}
    assert set(lines) == {f"level:{k}" for k in levels}
    for k, z in levels.items():
        assert lines[f"level:{k}"].get_ydata()[0] == pytest.approx(z)
        assert lines[f"level:{k}"].get_linestyle() == "--"
    labels = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("level-label:")]
    assert len(labels) == len(levels) and any("mold top" in t for t in labels)
    assert ax.get_xlim()[0] < -1.5 and ax.get_xlim()[1] > 1.5 and ax.get_xlim()[1] < 1.7
    assert ax.get_aspect() == 4.0
    assert "mm" in ax.get_xlabel() and "mm" in ax.get_ylabel()


def test_process_strip_one_panel_per_step(small_build):
    from geometry.output.drawing import build_figure

    build = small_build
    fig = build_figure(build, plane="centre", steps=True, dpi=50)  # y = 0 cuts every body
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(build.history)
    for ax, res in zip(panels, build.history, strict=True):
        assert res.step.key in ax.get_title()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(legend) == len(set(legend)) == len({b.material_name for b in build.stack})


def test_files_written_atomically(small_build, tmp_path):
    from geometry.output.drawing import section_figure

    build = small_build
    png = section_figure(build, tmp_path / "section.png", dpi=50)
    svg = section_figure(build, tmp_path / "strip.svg", plane="row", steps=True, dpi=50)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:2000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["section.png", "strip.svg"]
    with pytest.raises(ValueError, match="png or .svg"):
        section_figure(build, tmp_path / "section.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["section.png", "strip.svg"]


def test_strip_cuts_a_bump_row_by_default_and_wraps(small_build):
    """The default plane is the flow's ``row`` plane, so the bump panel is never empty (issue 12); more steps
    than :data:`STRIP_COLUMNS` wrap onto a second row of panels."""
    from geometry.output.drawing import STRIP_COLUMNS, build_figure

    fig = build_figure(small_build, steps=True, dpi=50)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(small_build.history) > STRIP_COLUMNS
    rows = {round(ax.get_position().y0, 3) for ax in panels}
    assert len(rows) == 2 and "row plane" in fig._suptitle.get_text()
    bumps = next(ax for ax in panels if "dispose_bumps" in ax.get_title())
    assert any(p.get_gid() == "region:bumps" for p in bumps.patches)
