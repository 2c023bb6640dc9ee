"""The KiCad footprint of a BGA, read back with a small s-expression reader: pads (names, centres, IPC-7351B lands,
layers), courtyard, outlines, model; the IPC-7351B land table; and the footprints of built designs against their
manifest's ball map and their STEP after KiCad's model transform.

Why not a KiCad file library from PyPI: kiutils 1.4.8 (its last release, 2024-02; its maintainer lists KiCad 8 as
not yet supported, mvnmgrx/kiutils issue 113) reads the pads and model of these files but silently drops the
KiCad 8 ``uuid`` tokens and the position and layer of the footprint properties; kicadfiles 1.0.5 in its STRICT mode
returns no layers and no solder mask margin for a plain KiCad pad ``(layers "F.Cu" "F.Paste" "F.Mask")``. The
reader here is strict instead: balanced parentheses, quoted strings kept apart from atoms."""

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


@pytest.mark.parametrize(("ball", "least", "most"), [(0.75, 0.50, 0.60), (0.60, 0.40, 0.50), (0.50, 0.35, 0.45)])
def test_land_variation_is_a_tenth_of_a_millimetre(ball, least, most):
    """The land variation of the published rows (SMTnet, after IPC-7095): 0.75 mm ball 0.60-0.50, 0.60 mm
    0.50-0.40, 0.50 mm 0.45-0.35; the maximum is the land PCB Libraries' IPC-7351 calculator uses."""
    got = ipc7351b_land_diameter(ball)
    assert (got.land_min, got.land_max) == (pytest.approx(least), pytest.approx(most))


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


# --------------------------------------------------------------------------- footprints of built designs


def kicad_world(pad_xy, model_offset, model_xyz=None):
    """KiCad's placement of a footprint at the origin, unrotated, on the top side (``RENDER_3D_OPENGL::
    get3dModelsFromFootprint``): a pad at footprint (x, y) is at world (x, -y, 0) on the board surface, and a
    model point p at world p + offset (no model rotation, scale 1)."""
    if model_xyz is None:
        x, y = pad_xy
        return np.array([x, -y, 0.0])
    return np.asarray(model_xyz, dtype=float) + np.asarray(model_offset, dtype=float)


DESIGNS = {
    # recipe: (balls, ball diameter, IPC-7351B land, body side, pitch x, pitch y, staggered)
    "flip-chip/fc-bga15-map": (284, 0.45, 0.35, 15.0, 0.8, 0.8, False),  # 18 x 18 less a 6 x 6 centre, 4 corner
    "cavity/cavity-smaller": (160, 0.45, 0.35, 12.0, 0.8, 0.8, False),  # 14 x 14 perimeter, 4 rows deep
    "flip-chip/fc-stagger": (120, 0.5, 0.40, 12.0, 1.0, 0.8, True),
}


@pytest.fixture(scope="module")
def built():
    """recipe -> (build, manifest, footprint, parsed .kicad_mod), each built once."""
    from geometry import api
    from geometry.output.footprint import design_footprint
    from tests.conftest import RECIPES

    out = {}
    for key in DESIGNS:
        b = api.run(api.load(RECIPES / f"{key}.toml"))
        fp = design_footprint(b)
        out[key] = (b, api.manifest(b, api.check(b)), fp, read_sexpr(bga_footprint(fp)))
    return out


def pads_of(tree) -> dict[str, list]:
    pads = kids(tree, "pad")
    names = [p[1] for p in pads]
    assert len(names) == len(set(names)), "pad numbers repeat"
    return dict(zip(names, pads, strict=True))


@pytest.mark.parametrize("key", DESIGNS)
def test_one_pad_per_manifest_ball_named_and_placed_as_it(built, key):
    _, manifest, _, tree = built[key]
    count = DESIGNS[key][0]
    pads = pads_of(tree)
    balls = {m["name"]: (m["x"], m["y"]) for m in manifest["balls"]}
    assert len(pads) == len(balls) == count
    assert set(pads) == set(balls)
    for name, pad in pads.items():
        parse_name(name)  # a JEDEC name: rows without I, O, Q, S, X, Z
        assert nums(one(pad, "at")) == pytest.approx([balls[name][0], -balls[name][1]], abs=1e-6)
    if key.endswith("fc-bga15-map"):
        gone = {"U1", "U2", "V1", "V2"} | {f"{r}{c}" for r in "GHJKLM" for c in range(7, 13)}
        assert not gone & set(pads) and {"A1", "V18", "F7", "N12", "T1", "U3"} <= set(pads)


@pytest.mark.parametrize("key", DESIGNS)
def test_neighbouring_pads_are_one_pitch_apart(built, key):
    *_, pitch_x, pitch_y, staggered = DESIGNS[key]
    _, _, fp, tree = built[key]
    assert (fp.pitch_x, fp.pitch_y) == pytest.approx((pitch_x, pitch_y))
    at = {n: np.array(nums(one(p, "at"))) for n, p in pads_of(tree).items()}
    rc = {parse_name(n): xy for n, xy in at.items()}
    step_col = 2 if staggered else 1
    along, across = [], []
    for (r, c), xy in rc.items():
        if (r, c + step_col) in rc:
            along.append(rc[r, c + step_col] - xy)
        if staggered and (r + 1, c + 1) in rc:
            across.append(rc[r + 1, c + 1] - xy)
        if not staggered and (r + 1, c) in rc:
            across.append(rc[r + 1, c] - xy)
    assert len(along) > len(at) / 2 and len(across) > len(at) / 3
    assert np.abs(np.array(along)) == pytest.approx(np.tile([pitch_x, 0.0], (len(along), 1)), abs=1e-6)
    shift = pitch_x / 2 if staggered else 0.0
    assert np.abs(np.array(across)) == pytest.approx(np.tile([shift, pitch_y], (len(across), 1)), abs=1e-6)


@pytest.mark.parametrize("key", DESIGNS)
def test_lands_are_ipc7351b_nsmd_with_mask_and_paste(built, key):
    _, ball, land, *_ = DESIGNS[key]
    _, _, fp, tree = built[key]
    assert fp.ball_diameter == ball
    for pad in pads_of(tree).values():
        assert pad[2:4] == ["smd", "circle"]
        assert nums(one(pad, "size")) == pytest.approx([land, land])
        assert one(pad, "layers")[1:] == ["F.Cu", "F.Paste", "F.Mask"]
        assert nums(one(pad, "solder_mask_margin")) == pytest.approx([0.05])
        assert one(pad, "property")[1] == "pad_prop_bga"


@pytest.mark.parametrize("key", DESIGNS)
def test_courtyard_is_the_body_plus_the_ipc_excess_and_holds_every_land(built, key):
    _, _, land, side, *_ = DESIGNS[key]
    b, manifest, _, tree = built[key]
    outline = manifest["outline"]
    assert (outline["E"], outline["D"]) == pytest.approx((side, side))
    (crt,) = [g for g in kids(tree, "fp_rect") if one(g, "layer")[1] == "F.CrtYd"]
    (x0, y0), (x1, y1) = nums(one(crt, "start")), nums(one(crt, "end"))
    half = side / 2 + IPC7351B_BGA_COURTYARD_EXCESS["nominal"]
    assert (x0, y0, x1, y1) == pytest.approx((-half, -half, half, half))
    at = np.array([nums(one(p, "at")) for p in pads_of(tree).values()])
    assert np.all(np.abs(at) + land / 2 < half)
    fab = [g for g in kids(tree, "fp_poly") if one(g, "layer")[1] == "F.Fab"]
    pts = np.array([nums(xy) for xy in kids(one(fab[0], "pts"), "xy")])
    assert np.abs(pts).max() == pytest.approx(side / 2)
    sub = b.stack["substrate"].bounds()
    assert (sub[3] - sub[0], sub[4] - sub[1], sub[0] + sub[3], sub[1] + sub[4]) == pytest.approx((side, side, 0, 0))


@pytest.mark.parametrize("key", DESIGNS)
def test_model_is_the_design_step_with_its_seating_plane_on_the_board(built, key):
    b, _, _, tree = built[key]
    model = one(tree, "model")
    assert model[1] == "${KIPRJMOD}/" + b.design.name + ".step"
    offset = nums(one(one(model, "offset"), "xyz"))
    seating = b.flow.views.levels(b.design)["z_seating_plane"]
    assert seating < -0.3
    assert offset == pytest.approx([0.0, 0.0, -seating], abs=1e-6)
    balls = b.stack["solder_balls"]
    mb = balls.member_bounds()
    world_bottom = [kicad_world(None, offset, (0.0, 0.0, z))[2] for z in mb[:, 2]]
    assert min(world_bottom) == pytest.approx(0.0, abs=1e-6)  # the lowest ball apex touches the board
    assert b.stack.bounds()[2] + offset[2] == pytest.approx(0.0, abs=1e-6)  # and nothing is below it


@pytest.mark.parametrize("key", DESIGNS)
def test_every_pad_lies_under_its_named_ball_after_the_kicad_transform(built, key):
    b, _, _, tree = built[key]
    offset = nums(one(one(one(tree, "model"), "offset"), "xyz"))
    balls = b.stack["solder_balls"]
    mb = balls.member_bounds()
    centres = (mb[:, :3] + mb[:, 3:]) / 2
    where = dict(zip(balls.member_names, centres, strict=True))
    pads = pads_of(tree)
    assert set(where) == set(pads)
    for name, pad in pads.items():
        pad_world = kicad_world(nums(one(pad, "at")), offset)
        ball_world = kicad_world(None, offset, where[name])
        assert ball_world[:2] == pytest.approx(pad_world[:2], abs=1e-6), name
    a1 = kicad_world(nums(one(pads["A1"], "at")), offset)
    corner = np.sign(a1[:2])
    assert np.all(corner != 0) and np.all(corner * a1[:2] == pytest.approx(np.abs(centres[:, :2]).max(axis=0)))


def test_pads_match_the_balls_of_the_written_step_read_by_opencascade(tmp_path):
    """The STEP as written (read back by OpenCascade's STEP reader through cadquery): its ball solids, moved by
    the footprint's model offset, stand on the board one over each pad."""
    import cadquery as cq

    from geometry import api
    from geometry.flows import load_design
    from geometry.output.footprint import design_footprint
    from tests.conftest import design_file, small_recipe

    b = api.run(load_design(small_recipe()))
    folder = api.export(b, api.check(b), tmp_path)
    tree = read_sexpr(bga_footprint(design_footprint(b)))
    offset = nums(one(one(one(tree, "model"), "offset"), "xyz"))
    assert one(tree, "model")[1] == "${KIPRJMOD}/" + design_file(folder, ".step").name  # the file as written
    boxes = [s.BoundingBox() for s in cq.importers.importStep(str(design_file(folder, ".step"))).solids().vals()]
    lowest = min(bb.zmin for bb in boxes)
    balls = [bb for bb in boxes if bb.zmin < lowest + 1e-6]
    pads = pads_of(tree)
    assert len(balls) == len(pads) == 25
    ball_xy = np.array(sorted((round(bb.center.x + offset[0], 6), round(bb.center.y + offset[1], 6)) for bb in balls))
    pad_xy = np.array(sorted(tuple(np.round(kicad_world(nums(one(p, "at")), offset)[:2], 6)) for p in pads.values()))
    assert ball_xy == pytest.approx(pad_xy, abs=1e-6)
    assert lowest + offset[2] == pytest.approx(0.0, abs=1e-6)
