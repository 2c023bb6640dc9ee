"""The KiCad footprint of a BGA, read back with a small s-expression reader: pads (names, centres, IPC-7351B lands,
layers), courtyard, outlines, model; and the IPC-7351B land table."""

from __future__ import annotations

import re

import numpy as np
import pytest

from geometry.core.jedec import BallLattice, name_sites, parse_name, parse_ranges
from geometry.output.footprint import (
    IPC7351B_BGA_COURTYARD_EXCESS,
    BgaFootprint,
    bga_footprint,
    ipc7351b_land_diameter,
)

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')


class Sym(str):
    """An unquoted atom (a keyword or a number), as against a quoted string."""


def read_sexpr(text: str) -> list:
    """The one top-level list of ``text``; quoted strings as str, atoms as :class:`Sym`."""
    stack: list[list] = [[]]
    pos = 0
    while text[pos:].strip():
        m = _TOKEN.match(text, pos)
        assert m, f"unreadable at {pos}: {text[pos:pos + 40]!r}"
        pos = m.end()
        if m.group(1):
            stack.append([])
        elif m.group(2):
            done = stack.pop()
            stack[-1].append(done)
        elif m.group(3) is not None:
            stack[-1].append(re.sub(r"\\(.)", r"\1", m.group(3)))
        else:
            stack[-1].append(Sym(m.group(4)))
    assert len(stack) == 1 and len(stack[0]) == 1, "unbalanced parentheses or more than one top-level list"
    return stack[0][0]


def kids(node: list, head: str) -> list[list]:
    return [c for c in node if isinstance(c, list) and c and c[0] == head]


def one(node: list, head: str) -> list:
    found = kids(node, head)
    assert len(found) == 1, f"{len(found)} ({head} ...) in {node[:2]}"
    return found[0]


def nums(node: list) -> list[float]:
    return [float(v) for v in node[1:]]


PITCH_X, PITCH_Y, BALL = 0.8, 0.65, 0.40
BODY_X, BODY_Y = 6.0, 5.0
MODEL = "${KIPRJMOD}/demo.step"


def grid(cols: int = 6, rows: int = 5) -> np.ndarray:
    xs = (np.arange(cols) - (cols - 1) / 2) * PITCH_X
    ys = (np.arange(rows) - (rows - 1) / 2) * PITCH_Y
    return np.array([(x, y) for y in ys for x in xs])


def demo(**changes) -> tuple[BgaFootprint, dict[str, tuple[float, float]]]:
    """A 5 x 6 array less C3:D4, A1 top-left in the top view (the bottom view's top-right)."""
    sites = grid()
    named = name_sites(sites, BallLattice(PITCH_X, PITCH_Y, "top-right"))
    gone = parse_ranges("C3:D4")
    keep = [i for i, (r, c) in enumerate(zip(named.rows, named.cols, strict=True)) if (r, c) not in gone]
    centres = sites[keep]
    names = tuple(named.names[i] for i in keep)
    args = {"name": "BGA-26_demo", "centres": centres, "ball_names": names, "pitch_x": PITCH_X,
            "pitch_y": PITCH_Y, "ball_diameter": BALL, "body_x": BODY_X, "body_y": BODY_Y, "model_path": MODEL,
            "model_offset": (0.0, 0.0, 0.02)}
    args.update(changes)
    return BgaFootprint(**args), dict(zip(names, map(tuple, centres), strict=True))


def test_header_and_texts():
    tree = read_sexpr(bga_footprint(demo()[0]))
    assert tree[0] == "footprint" and tree[1] == "BGA-26_demo" and not isinstance(tree[1], Sym)
    assert one(tree, "version")[1] == "20240108"
    assert one(tree, "generator")[1] == "pkgcad"
    assert one(tree, "layer")[1] == "F.Cu"
    assert one(tree, "attr")[1:] == ["smd"]
    props = {p[1]: p for p in kids(tree, "property")}
    assert props["Reference"][2] == "REF**" and one(props["Reference"], "layer")[1] == "F.SilkS"
    assert props["Value"][2] == "BGA-26_demo" and one(props["Value"], "layer")[1] == "F.Fab"
    uuids = [u[1] for item in tree if isinstance(item, list) for u in kids(item, "uuid")]
    assert len(uuids) == len(set(uuids)) > 26


def test_pads_names_centres_and_lands():
    fp, where = demo()
    pads = kids(read_sexpr(bga_footprint(fp)), "pad")
    assert len(pads) == 26
    assert {p[1] for p in pads} == set(where)
    assert not {"C3", "C4", "D3", "D4"} & {p[1] for p in pads}
    land = ipc7351b_land_diameter(BALL).land_diameter
    assert land == pytest.approx(0.30)
    for p in pads:
        assert p[2:4] == ["smd", "circle"]
        x, y = nums(one(p, "at"))
        bx, by = where[p[1]]
        assert (x, y) == pytest.approx((bx, -by), abs=1e-6)
        assert nums(one(p, "size")) == pytest.approx([land, land])
        assert one(p, "layers")[1:] == ["F.Cu", "F.Paste", "F.Mask"]
        assert nums(one(p, "solder_mask_margin")) == pytest.approx([0.05])
    xs = np.unique(np.round([float(one(p, "at")[1]) for p in pads], 6))
    ys = np.unique(np.round([float(one(p, "at")[2]) for p in pads], 6))
    assert np.diff(xs) == pytest.approx(np.full(5, PITCH_X))
    assert np.diff(ys) == pytest.approx(np.full(4, PITCH_Y))
    a1 = next(p for p in pads if p[1] == "A1")
    assert nums(one(a1, "at")) == pytest.approx([-2.0, -1.3])  # top-left seen from the top, KiCad y down


def test_courtyard_encloses_body_plus_ipc_excess():
    tree = read_sexpr(bga_footprint(demo()[0]))
    (crt,) = [g for g in kids(tree, "fp_rect") if one(g, "layer")[1] == "F.CrtYd"]
    (x0, y0), (x1, y1) = nums(one(crt, "start")), nums(one(crt, "end"))
    excess = IPC7351B_BGA_COURTYARD_EXCESS["nominal"]
    assert excess == 1.0
    assert (x0, y0, x1, y1) == pytest.approx((-BODY_X / 2 - excess, -BODY_Y / 2 - excess,
                                              BODY_X / 2 + excess, BODY_Y / 2 + excess))
    least = read_sexpr(bga_footprint(demo(density="least")[0]))
    (crt,) = [g for g in kids(least, "fp_rect") if one(g, "layer")[1] == "F.CrtYd"]
    assert nums(one(crt, "end")) == pytest.approx([BODY_X / 2 + 0.5, BODY_Y / 2 + 0.5])


def test_fab_chamfer_and_silk_marker_at_a1():
    tree = read_sexpr(bga_footprint(demo()[0]))
    polys = {(one(g, "layer")[1], one(g, "fill")[1]): g for g in kids(tree, "fp_poly")}
    fab = [nums(xy) for xy in kids(one(polys["F.Fab", "none"], "pts"), "xy")]
    assert len(fab) == 5
    corners = {(round(x, 6), round(y, 6)) for x, y in fab}
    assert (-BODY_X / 2, -BODY_Y / 2) not in corners  # the A1 corner (top-left, KiCad y down) is cut
    assert {(BODY_X / 2, -BODY_Y / 2), (BODY_X / 2, BODY_Y / 2), (-BODY_X / 2, BODY_Y / 2)} <= corners
    marker = [nums(xy) for xy in kids(one(polys["F.SilkS", "solid"], "pts"), "xy")]
    assert len(marker) == 3
    assert all(x < -BODY_X / 2 and y < -BODY_Y / 2 for x, y in marker)
    (silk,) = [g for g in kids(tree, "fp_rect") if one(g, "layer")[1] == "F.SilkS"]
    x1, y1 = nums(one(silk, "end"))
    assert x1 > BODY_X / 2 and y1 > BODY_Y / 2


def test_model_path_and_offset():
    tree = read_sexpr(bga_footprint(demo()[0]))
    model = one(tree, "model")
    assert model[1] == MODEL
    assert nums(one(one(model, "offset"), "xyz")) == pytest.approx([0.0, 0.0, 0.02])
    assert nums(one(one(model, "scale"), "xyz")) == [1, 1, 1]
    assert nums(one(one(model, "rotate"), "xyz")) == [0, 0, 0]


def test_staggered_footprint_keeps_the_names_and_the_half_pitch():
    centres = np.array([(-1, 1), (0, 1), (1, 1), (-0.5, 0), (0.5, 0), (-1, -1), (0, -1), (1, -1)], dtype=float)
    named = name_sites(centres, BallLattice(1.0, 1.0, "top-right", staggered=True))
    fp = BgaFootprint("BGA-8_stagger", centres, named.names, 1.0, 1.0, 0.5, 3.0, 3.0, MODEL)
    pads = {p[1]: nums(one(p, "at")) for p in kids(read_sexpr(bga_footprint(fp)), "pad")}
    assert pads["A1"] == pytest.approx([-1.0, -1.0]) and pads["B2"] == pytest.approx([-0.5, 0.0])
    assert sorted(pads, key=parse_name) == ["A1", "A3", "A5", "B2", "B4", "C1", "C3", "C5"]


def test_output_is_deterministic_and_reads_back_from_a_file(tmp_path):
    text = bga_footprint(demo()[0])
    assert text == bga_footprint(demo()[0])
    path = tmp_path / "demo.pretty" / "BGA-26_demo.kicad_mod"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    assert len(kids(read_sexpr(path.read_text(encoding="utf-8")), "pad")) == 26


@pytest.mark.parametrize(
    ("ball", "reduction", "land"),
    [(0.75, 0.25, 0.55), (0.65, 0.25, 0.50), (0.60, 0.25, 0.45), (0.55, 0.25, 0.40), (0.50, 0.20, 0.40),
     (0.45, 0.20, 0.35), (0.40, 0.20, 0.30), (0.35, 0.20, 0.30), (0.30, 0.20, 0.25), (0.25, 0.20, 0.20),
     (0.20, 0.15, 0.17), (0.17, 0.15, 0.15), (0.15, 0.15, 0.13)],
)
def test_ipc7351b_table_rows(ball, reduction, land):
    got = ipc7351b_land_diameter(ball)
    assert (got.reduction, got.land_diameter, got.tabulated) == (reduction, pytest.approx(land), True)


def test_ball_between_rows_takes_the_row_below():
    got = ipc7351b_land_diameter(0.47)
    assert (got.reduction, got.land_diameter, got.tabulated) == (0.20, pytest.approx(0.38), False)
    got = ipc7351b_land_diameter(0.24)
    assert (got.reduction, got.land_diameter) == (0.15, pytest.approx(0.20))
    assert ipc7351b_land_diameter(0.7).reduction == 0.25


@pytest.mark.parametrize("ball", [0.1, 0.149, 0.76, 0.8, 1.0])
def test_balls_outside_the_table_refused(ball):
    with pytest.raises(ValueError, match="outside the IPC-7351B collapsing-ball table"):
        ipc7351b_land_diameter(ball)


def test_given_land_replaces_the_table():
    fp, _ = demo(ball_diameter=0.9, land_diameter=0.45, pitch_x=PITCH_X)
    pads = kids(read_sexpr(bga_footprint(fp)), "pad")
    assert all(nums(one(p, "size")) == pytest.approx([0.45, 0.45]) for p in pads)
    with pytest.raises(ValueError, match="outside the IPC-7351B"):
        bga_footprint(demo(ball_diameter=0.9)[0])


def test_bad_inputs_refused():
    fp, _ = demo()
    with pytest.raises(ValueError, match="overlap"):
        bga_footprint(demo(land_diameter=0.6)[0])
    with pytest.raises(ValueError, match="given twice"):
        bga_footprint(demo(ball_names=("A1",) * 26)[0])
    with pytest.raises(ValueError, match="skip"):
        bga_footprint(demo(ball_names=("I1",) + fp.ball_names[1:])[0])
    with pytest.raises(ValueError, match="one name per ball"):
        bga_footprint(demo(ball_names=fp.ball_names[:-1])[0])
    with pytest.raises(ValueError, match="outside the 3 x 5 mm body"):
        bga_footprint(demo(body_x=3.0)[0])
    with pytest.raises(ValueError, match="footprint name"):
        bga_footprint(demo(name='a"b')[0])
    with pytest.raises(ValueError, match="density"):
        bga_footprint(demo(density="dense")[0])
