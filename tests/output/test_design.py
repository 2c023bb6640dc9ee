"""The design folder (geometry.output.design): its files, its names and its replacement, on the hand-built
``ball_design`` of tests/conftest.py (a 2 x 1 x 0.5 mm substrate on a 3 x 3 grid of solder balls)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geometry.core.stack import Stack
from geometry.output.design import write_design
from geometry.output.files import OutputError
from geometry.output.step import read_step


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_design_folder_layout(ball_design: Path) -> None:
    assert _listing(ball_design) == ["demo.glb", "demo.html", "demo.step", "demo.stl", "manifest.json", "steps",
                                     "steps/demo-01-substrate.step", "steps/demo-02-ball_attach.step"]
    assert _listing(ball_design.parent) == ["demo"] + [f"demo/{p}" for p in _listing(ball_design)]


@pytest.mark.parametrize("bad", ["../evil", "/abs", "a/b", "..", ".hidden", "", "a" * 65, "x\\y", "a b"])
def test_design_name_refused(ball_stack: Stack, tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match="design name"):
        write_design(out, bad, ball_stack, {})
    assert list(out.iterdir()) == [] and _listing(tmp_path) == ["out"]


def test_step_key_refused(ball_stack: Stack, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="step key"):
        write_design(tmp_path, "ok", ball_stack, {}, [("../x", ball_stack)])
    assert list(tmp_path.iterdir()) == []


def test_symlink_escape_refused(ball_stack: Stack, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "demo").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="symbolic link to .*elsewhere, outside the output folder"):
        write_design(out, "demo", ball_stack, {})
    assert list(elsewhere.iterdir()) == []


def test_failure_leaves_previous_output(ball_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    single = Stack(ball_stack.bodies[:1])
    first = write_design(tmp_path, "demo", single, {"run": 1})
    before = {p: p.read_bytes() for p in first.iterdir()}

    def boom(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk full")

    monkeypatch.setattr("geometry.output.design.write_stl", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_design(tmp_path, "demo", single, {"run": 2})
    monkeypatch.setattr("geometry.output.design.write_glb", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_design(tmp_path, "fresh", single, {"run": 3})
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert {p: p.read_bytes() for p in first.iterdir()} == before


def test_rewrite_replaces_previous(ball_stack: Stack, tmp_path: Path) -> None:
    write_design(tmp_path, "demo", ball_stack, {"run": 1}, [("a", ball_stack)])
    target = write_design(tmp_path, "demo", Stack(ball_stack.bodies[:1]), {"run": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert not (target / "steps").exists()
    written = json.loads((target / "manifest.json").read_text())
    assert written.pop("mesh")["bodies"].keys() == {"substrate"} and written == {"run": 2}
    assert set(read_step(target / "demo.step")) == {"substrate"}
