"""Cross-sections (geometry.render): regions at the designed heights, figure content, saved files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_cavity, small_recipe

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def build():
    from geometry import api
    from geometry.params import load_design

    return api.run(load_design(small_recipe()))


@pytest.fixture(scope="module")
def centre(build):
    from geometry import render

    return {r.name: r for r in render.section(build.stack)}


@pytest.fixture(scope="module")
def row(build):
    from geometry import render

    point, normal = render.plane_for(build.design, "row")
    return {r.name: r for r in render.section(build.stack, point, normal)}


def _axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.subplots()


def test_substrate_region(centre):
    r = centre["substrate"]
    assert r.material == "BT"
    assert np.allclose(r.bounds, [-3.0, 0.0, 3.0, 0.5], atol=1e-6)
    assert r.area == pytest.approx(6.0 * 0.5, rel=0.01)
    assert len(r.polygons) == 1 and r.holes == [[]]


def test_chip_and_mold_regions(centre, build):
    d = build.design
    chip = centre["chip"]
    assert chip.material == "Si"
    assert chip.bounds[[1, 3]] == pytest.approx([d.z_chip_face, d.z_chip_back], abs=1e-6)
    assert chip.bounds[[1, 3]] == pytest.approx([0.61, 0.91], abs=1e-6)
    assert chip.bounds[2] - chip.bounds[0] == pytest.approx(2.0, abs=1e-6)
    assert chip.area == pytest.approx(2.0 * 0.3, rel=0.01)
    mold = centre["second_encapsulant"]
    assert mold.material == "EMC"
    assert mold.bounds[3] == pytest.approx(1.1, abs=1e-6)
    assert mold.bounds[1] == pytest.approx(0.5, abs=1e-6)
    # the mold is cut around the chip and the bump layer: its area is the full block less what it surrounds
    assert mold.area < 6.0 * 0.6
    assert centre["solder_balls"].bounds[1] == pytest.approx(d.z_seating_plane, abs=1e-3)


def test_row_section_cuts_six_bumps(row, build):
    d = build.design
    bumps = row["bumps"]
    assert bumps.material == d.bumps.material
    assert len(bumps.polygons) == 6
    b = bumps.polygon_bounds()
    assert (b[:, 2] - b[:, 0] <= d.bumps.diameter + 1e-6).all()
    assert np.allclose(b[:, 1], d.z_bump_base, atol=1e-6) and np.allclose(b[:, 3], d.z_bump_end, atol=1e-6)
    centres = np.sort((b[:, 0] + b[:, 2]) / 2)
    assert np.allclose(np.diff(centres), d.bumps.pitch, atol=1e-3)  # separate, one per bump of the row
    assert len(row["substrate_pads"].polygons) == 6 and len(row["chip_pads"].polygons) == 6


def test_plane_validation(build):
    from geometry import render

    with pytest.raises(ValueError, match="horizontal"):
        render.section(build.stack, plane_normal=(0, 0, 1))
    with pytest.raises(ValueError, match="centre"):
        render.plane_for(build.design, "diagonal")


def test_key_levels(build):
    from geometry import api, render
    from geometry.params import load_design

    levels = render.key_levels(build.design)
    assert levels == pytest.approx({"z_first_surface": 0.5, "z_first_top": 0.605, "z_chip_back": 0.91,
                                    "z_mold_top": 1.1, "z_seating_plane": -0.52}, abs=1e-9)
    cav = load_design(small_cavity())
    assert list(render.key_levels(cav)) == ["z_top", "z_floor", "z_die_top", "z_mold_top", "z_seating_plane"]
    cb = api.run(cav)
    regions = {r.name: r for r in render.section(cb.stack, *render.plane_for(cav, "row"))}
    assert {"die", "die_pads", "bond_wires", "mold_compound"} <= set(regions)
    assert regions["die"].bounds[3] == pytest.approx(cav.z_die_top, abs=1e-6)
    assert regions["mold_compound"].bounds[3] == pytest.approx(cav.z_mold_top, abs=1e-6)


def test_draw_section_content(build, centre):
    from geometry import render

    ax = _axes()
    regions = list(centre.values())
    levels = render.key_levels(build.design)
    render.draw_section(regions, ax, levels, exaggeration=4.0, window=(-1.5, 1.5))
    assert len(ax.patches) == sum(len(r.polygons) for r in regions)
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


def test_process_strip_one_panel_per_step(build):
    from geometry import render

    fig = render.build_figure(build, plane="centre", steps=True, dpi=50)  # y = 0 cuts every body
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(build.history)
    for ax, res in zip(panels, build.history, strict=True):
        assert res.step.key in ax.get_title()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(legend) == len(set(legend)) == len({b.material_name for b in build.stack})


def test_files_written_atomically(build, tmp_path):
    from geometry import render

    png = render.section_figure(build, tmp_path / "section.png", dpi=50)
    svg = render.section_figure(build, tmp_path / "strip.svg", plane="row", steps=True, dpi=50)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:2000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["section.png", "strip.svg"]
    with pytest.raises(ValueError, match="png or .svg"):
        render.section_figure(build, tmp_path / "section.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["section.png", "strip.svg"]


def test_balls_plane_cuts_a_full_row_of_balls(build):
    """The ``balls`` plane passes through the ball row nearest the centre: the section holds that row's balls,
    each cut through its centre (width = diameter), down to the seating plane."""
    from geometry import render

    d = build.design
    point, normal = render.plane_for(d, "balls")
    ys = np.asarray(d.solder_balls.positions())[:, 1]
    in_row = np.isclose(ys, point[1])
    assert in_row.any() and abs(point[1]) == pytest.approx(np.abs(ys).min())
    balls = {r.name: r for r in render.section(build.stack, point, normal)}["solder_balls"]
    assert len(balls.polygons) == int(in_row.sum())
    widths = [np.ptp(np.asarray(p)[:, 0]) for p in balls.polygons]
    assert widths == pytest.approx([d.solder_balls.diameter] * len(widths), rel=0.02)
    assert balls.bounds[1] == pytest.approx(d.z_seating_plane, abs=1e-3)
