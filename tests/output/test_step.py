"""STEP files (geometry.output.step): round trips of the hand-built ``ball_stack`` of tests/conftest.py, shared
definitions, the default (flat) form read back by cadquery, the shared-row form, an empty stack refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geometry.core import occ_step
from geometry.core.stack import Stack
from geometry.output.step import read_step, step_tree, write_step
from tests.conftest import LARGE_SOLIDS, checked_recipe, design_file, recipe_files, solid_count, solid_volumes


def test_empty_stack_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no bodies"):
        write_step(Stack(), "empty", tmp_path / "e.step")
    assert list(tmp_path.iterdir()) == []


def test_step_round_trip(ball_stack: Stack, ball_design: Path) -> None:
    back = read_step(ball_design / "demo.step")
    assert set(back) == {"substrate", "solder_balls"}
    assert {k: v["count"] for k, v in back.items()} == {"substrate": 1, "solder_balls": 9}
    for body in ball_stack:
        assert back[body.name]["volume"] == pytest.approx(body.volume(), rel=1e-6)
    first = read_step(ball_design / "steps" / "demo-01-substrate.step")
    assert {k: v["count"] for k, v in first.items()} == {"substrate": 1}


def test_step_is_instanced_ap214(ball_design: Path) -> None:
    text = (ball_design / "demo.step").read_text()
    assert "AUTOMOTIVE_DESIGN" in text
    assert text.count("MANIFOLD_SOLID_BREP(") == 2


def test_step_tree_shares_definitions(ball_stack: Stack) -> None:
    tree = step_tree(ball_stack, "demo", rows=True)
    assert [c[2] for c in tree.components] == ["substrate", "solder_balls"]
    balls = tree.components[1][0]
    rows = {id(r) for r, _, _ in balls.components}
    assert len(balls.components) == 3 and len(rows) == 1
    row = balls.components[0][0]
    assert len(row.components) == 3 and len({id(p) for p, _, _ in row.components}) == 1
    placed = sorted((m @ r)[:3, 3].round(9).tolist() for _, m, _ in balls.components for _, r, _ in row.components)
    assert placed == sorted(ball_stack["solder_balls"].parts[0].origins.round(9).tolist())
    assert row.components[0][0].rgba == ball_stack["solder_balls"].material.color


def test_default_step_is_flat_with_one_shared_solid(ball_stack: Stack) -> None:
    tree = step_tree(ball_stack, "demo")
    balls = tree.components[1][0]
    assert len(balls.components) == 9 and len({id(p) for p, _, _ in balls.components}) == 1
    assert isinstance(balls.components[0][0], occ_step.XPart)
    names = [n for _, _, n in balls.components]
    assert len(set(names)) == 9 and all(n.startswith("solder_balls_") for n in names)


def test_default_step_is_readable_by_cadquery(ball_stack: Stack, tmp_path: Path) -> None:
    import cadquery as cq

    write_step(ball_stack, "demo", tmp_path / "flat.step")
    back = read_step(tmp_path / "flat.step")
    assert set(back) == set(ball_stack.names)
    for body in ball_stack:
        assert back[body.name]["count"] == body.count, body.name
        assert back[body.name]["volume"] == pytest.approx(body.volume(), rel=1e-6), body.name
    assy = cq.Assembly.load(str(tmp_path / "flat.step"), importType="STEP")
    names = [c.name for c in assy.children]
    assert names == ["substrate", "solder_balls"]
    balls = assy.children[1]
    assert sum(len(s.Solids()) for _, n in balls.traverse() for s in n.shapes) == 9


def test_balls_are_named_by_jedec_names_in_the_step(small_build, tmp_path) -> None:
    """Flat: one reference per ball named ``solder_balls_<name>``; rows: row references ``solder_balls_<row>``
    holding ``solder_balls_<column>``."""
    flat = write_step(small_build.stack, "small", tmp_path / "flat.step").read_text(encoding="latin-1")
    for name in ("A1", "A5", "E1", "E5", "C3"):
        assert f"'solder_balls_{name}'" in flat
    rows = write_step(small_build.stack, "small", tmp_path / "rows.step", rows=True).read_text(encoding="latin-1")
    assert all(f"'solder_balls_{r}'" in rows for r in "ABCDE")
    assert all(f"'solder_balls_{c}'" in rows for c in range(1, 6)) and "'solder_balls_A1'" not in rows


def test_header_names_the_design_and_pkgcad(ball_stack: Stack, tmp_path: Path) -> None:
    from importlib.metadata import version

    text = write_step(ball_stack, "demo-7", tmp_path / "d.step").read_text(encoding="latin-1")
    header = text[:text.index("ENDSEC;")]
    assert "FILE_NAME('demo-7'," in header
    assert f"'pkgcad {version('pkgcad')}'" in header and "demo-7: " in header
    for placeholder in ("Author", "Unknown", "Open CASCADE Shape Model", "Open CASCADE Model"):
        assert placeholder not in header


def test_ap242_on_request(ball_stack: Stack, tmp_path: Path) -> None:
    ap242 = write_step(ball_stack, "demo", tmp_path / "242.step", ap242=True)
    text = ap242.read_text(encoding="latin-1")
    assert "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF" in text and "AUTOMOTIVE_DESIGN" not in text
    assert read_step(ap242) == read_step(write_step(ball_stack, "demo", tmp_path / "214.step"))
    assert "AUTOMOTIVE_DESIGN" in (tmp_path / "214.step").read_text(encoding="latin-1")


def test_colours_and_materials_read_back(small_build, tmp_path: Path) -> None:
    """OCCT's reader (through ``cadquery.Assembly.load``) gives every solid its body's sRGB palette colour (the
    substrate's 0.2 stays 0.2) and its material name and density (g/cm3); the file holds the palette values."""
    import cadquery as cq

    stack = small_build.stack
    path = write_step(stack, "small", tmp_path / "small.step")
    assy = cq.Assembly.load(str(path), importType="STEP")
    assert [c.name for c in assy.children] == list(stack.names)
    for child in assy.children:
        body = stack[child.name]
        leaves = child.children or [child]
        assert len(leaves) == body.count, body.name
        for leaf in leaves:
            assert leaf.color.toTuple() == pytest.approx(body.material.color, abs=1e-6), leaf.name
            assert leaf.material.name == body.material.name, leaf.name
            assert leaf.material.density == pytest.approx(body.material.density, rel=1e-12), leaf.name
    colours = re.findall(r"COLOUR_RGB\('',([\d.e-]+),([\d.e-]+),([\d.e-]+)\)", path.read_text(encoding="latin-1"))
    written = {tuple(round(float(v), 6) for v in c) for c in colours}
    assert written == {tuple(round(v, 6) for v in b.material.color[:3]) for b in stack}
    assert stack["substrate"].material.color[0] == 0.2 and (0.2, 0.45, 0.25) in written


READ_RECIPES = [pytest.param(p, id=p.stem, marks=() if solid_count(p) <= LARGE_SOLIDS else pytest.mark.slow)
                for p in recipe_files() if "production" not in p.stem]
"""Every recipe of builds/ but the production-scale ones; those of more than LARGE_SOLIDS solids in the slow run
(cadquery's Assembly.load takes 25-95 s on the 2,500-11,000-solid ones)."""


@pytest.mark.parametrize("recipe", READ_RECIPES)
def test_cadquery_reads_every_recipe(recipe: Path, exported_recipe) -> None:
    """``cadquery.Assembly.load`` of the STEP that ``pkgcad build`` writes: one child per body, named as the body,
    with its solid count and volume (mm3); ``cadquery.importers.importStep``: every solid, the total volume."""
    import cadquery as cq

    build = checked_recipe(recipe)[0]
    stack = build.stack
    path = design_file(exported_recipe(recipe), ".step")
    assy = cq.Assembly.load(str(path), importType="STEP")
    assert assy.name == build.design.name
    assert [c.name for c in assy.children] == list(stack.names)
    for child in assy.children:
        shapes = [s for _, node in child.traverse() for s in node.shapes]
        assert sum(len(s.Solids()) for s in shapes) == stack[child.name].count, child.name
        assert sum(solid_volumes(shapes)) == pytest.approx(stack[child.name].volume(), rel=1e-6), child.name
    solids = cq.importers.importStep(str(path)).solids().vals()
    assert len(solids) == sum(b.count for b in stack)
    assert sum(solid_volumes(solids)) == pytest.approx(sum(b.volume() for b in stack), rel=1e-6)
