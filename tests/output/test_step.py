"""STEP files (geometry.output.step): round trips of the hand-built ``ball_stack`` of tests/conftest.py, shared
definitions, the flat variant read back, an empty stack refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from geometry.core.stack import Stack
from geometry.output.step import read_step, step_tree, write_step


def test_empty_stack_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no bodies"):
        write_step(Stack(), "empty", tmp_path / "e.step")
    assert list(tmp_path.iterdir()) == []


def test_step_round_trip(ball_stack: Stack, ball_design: Path) -> None:
    back = read_step(ball_design / "package.step")
    assert set(back) == {"substrate", "solder_balls"}
    assert {k: v["count"] for k, v in back.items()} == {"substrate": 1, "solder_balls": 9}
    for body in ball_stack:
        assert back[body.name]["volume"] == pytest.approx(body.volume(), rel=1e-6)
    first = read_step(ball_design / "steps" / "01-substrate.step")
    assert {k: v["count"] for k, v in first.items()} == {"substrate": 1}


def test_step_is_instanced_ap214(ball_design: Path) -> None:
    text = (ball_design / "package.step").read_text()
    assert "AUTOMOTIVE_DESIGN" in text
    assert text.count("MANIFOLD_SOLID_BREP(") == 2


def test_step_tree_shares_definitions(ball_stack: Stack) -> None:
    tree = step_tree(ball_stack, "demo")
    assert [c[2] for c in tree.components] == ["substrate", "solder_balls"]
    balls = tree.components[1][0]
    rows = {id(r) for r, _, _ in balls.components}
    assert len(balls.components) == 3 and len(rows) == 1
    row = balls.components[0][0]
    assert len(row.components) == 3 and len({id(p) for p, _, _ in row.components}) == 1
    placed = sorted((m @ r)[:3, 3].round(9).tolist() for _, m, _ in balls.components for _, r, _ in row.components)
    assert placed == sorted(ball_stack["solder_balls"].parts[0].origins.round(9).tolist())
    assert row.components[0][0].rgba == ball_stack["solder_balls"].material.color


def test_flat_step_is_readable_by_cadquery(ball_stack: Stack, tmp_path: Path) -> None:
    import cadquery as cq

    write_step(ball_stack, "demo", tmp_path / "flat.step", rows=False)
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
    flat = write_step(small_build.stack, "small", tmp_path / "flat.step", rows=False).read_text(encoding="latin-1")
    for name in ("A1", "A5", "E1", "E5", "C3"):
        assert f"'solder_balls_{name}'" in flat
    rows = write_step(small_build.stack, "small", tmp_path / "rows.step").read_text(encoding="latin-1")
    assert all(f"'solder_balls_{r}'" in rows for r in "ABCDE")
    assert all(f"'solder_balls_{c}'" in rows for c in range(1, 6)) and "'solder_balls_A1'" not in rows
