"""Cavity wire bonding, measured on the built geometry (claim 1 of 003_f6beeb7f75e78ceb.txt: bond wires between the
die top and the substrate top): pad and finger counts per side, the two finger rings, the loop heights of both
tiers, the stitch (second bond) and its contact with its finger, the rules that refuse overlapping tiers and loops
above the mold, and the shipped cavity-bga23 recipe."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from geometry import api, flows
from geometry.core import occ, parts
from geometry.core.params import ParameterError
from geometry.flows import load_design
from geometry.flows.cavity import checks as cc
from geometry.measure.contacts import member_contacts
from geometry.measure.tubes import constituents, swept_lines, tube_tops
from tests.conftest import RECIPES, by_name, small_cavity, with_stack

COUNTS = [2, 5, 3, 4]
"""Pads on sides 0 (+y), 1 (-x), 2 (-y), 3 (+x)."""
TWO_TIERS = {"die": {"pads_per_side": COUNTS}, "bond_fingers": {"tiers": 2, "tier_gap": 0.45},
             "bond_wires": {"loop_height": 0.25, "outer_loop_height": 0.4, "stitch_length": 0.07,
                            "stitch_width": 0.04}}
"""The small cavity design (3 x 3 mm opening, 2 x 2 mm die, gap 0.3 mm, fingers 0.3 mm long) with four pad counts,
two finger tiers and a stitch of its own size."""


@pytest.fixture(scope="module")
def tiered():
    return flows.run(load_design(small_cavity(**TWO_TIERS)))


def side_of(xy: np.ndarray) -> np.ndarray:
    """Side (0 +y, 1 -x, 2 -y, 3 +x) of points around the centre, by their dominant direction."""
    x, y = xy[:, 0], xy[:, 1]
    return np.where(np.abs(y) >= np.abs(x), np.where(y > 0, 0, 2), np.where(x < 0, 1, 3))


def test_pads_fingers_and_wires_follow_the_counts_per_side(tiered):
    s = tiered.stack
    pads = s["die_pads"].parts[0].origins[:, :2]
    fingers = s["bond_fingers"].parts[0].origins[:, :2]
    loops = np.array([line[-1, :2] for line in swept_lines(s["bond_wires"]).lines])
    for xy in (pads, fingers, loops):
        assert np.bincount(side_of(xy), minlength=4).tolist() == COUNTS
    assert s["bond_wires"].count == sum(COUNTS)  # one solid per wire
    assert constituents(s["bond_wires"]).parts[0].count == constituents(s["bond_wires"]).parts[1].count == sum(COUNTS)
    # each side's pads are centred on it at the die pad pitch: side 1 (-x) holds 5 at y = -0.3 .. 0.3
    side1 = pads[side_of(pads) == 1]
    assert np.sort(side1[:, 1]) == pytest.approx([-0.3, -0.15, 0.0, 0.15, 0.3])
    assert side1[:, 0] == pytest.approx(-(1.0 - 0.1))


def test_two_rings_at_their_distances_from_the_opening(tiered):
    d = tiered.design
    b = tiered.stack["bond_fingers"].member_bounds()
    centre = (b[:, :2] + b[:, 3:5]) / 2
    side = side_of(centre)
    # inner ends' distance from the opening edge (the opening is 3 x 3 mm, centred)
    inner_end = np.select([side == 0, side == 1, side == 2, side == 3], [b[:, 1], -b[:, 3], -b[:, 4], b[:, 0]]) - 1.5
    tiers = d.finger_sites()[:, 3]
    assert inner_end[tiers == 0] == pytest.approx(np.full((tiers == 0).sum(), 0.3))
    assert inner_end[tiers == 1] == pytest.approx(np.full((tiers == 1).sum(), 0.3 + 0.45))
    # even pads of a side to the inner ring, odd to the outer
    k = np.concatenate([np.arange(n) for n in COUNTS])
    assert np.array_equal(tiers, k % 2)
    assert not (inner_end[tiers == 1] < inner_end[tiers == 0].max() + d.bond_fingers.length).any()


def test_loop_tops_at_their_designed_heights(tiered):
    d = tiered.design
    sw = swept_lines(tiered.stack["bond_wires"])
    tops = tube_tops(sw)
    crest = np.array([line[:, 2].max() for line in sw.lines]) + sw.radius
    reach = np.array([math.hypot(*(line[-1, :2] - line[0, :2])) for line in sw.lines])
    outer = reach > np.median(reach) + 0.2  # the outer wires are the long ones: 0.45 mm further
    assert outer.sum() == sum(n // 2 for n in COUNTS)
    # the centre lines are sampled about every 5 um: the highest sample lies within a few nm .. um of the crest
    assert crest[~outer] == pytest.approx(np.full((~outer).sum(), d.z_die_top + 0.25), abs=5e-6)
    assert crest[outer] == pytest.approx(np.full(outer.sum(), d.z_die_top + 0.4), abs=5e-6)
    assert tops == pytest.approx(crest, abs=1e-6)
    assert d.z_loop_tops == pytest.approx((d.z_die_top + 0.25, d.z_die_top + 0.4))


def test_stitch_volume_by_hand(tiered):
    stitches = constituents(tiered.stack["bond_wires"]).parts[1]
    dia = 0.025
    one = 0.07 * 0.04 * (dia + dia / 2) / 2  # a wedge: footprint times the mean of heel (a diameter) and tail
    assert occ.volume(stitches.shape) == pytest.approx(one, rel=1e-12)
    assert stitches.volume() == pytest.approx(sum(COUNTS) * one, rel=1e-12)
    assert occ.bounds(stitches.shape) == pytest.approx([0, -0.02, 0, 0.07, 0.02, dia])
    assert load_design(small_cavity()).bond_wires.stitch_size == pytest.approx((2.5 * dia, 1.5 * dia, dia / 2))


def test_stitch_contact_with_its_finger_is_its_footprint(tiered):
    s = tiered.stack
    wires, fingers = s["bond_wires"], s["bond_fingers"]
    n = sum(COUNTS)
    wires = constituents(wires)  # measured as ball bonds, stitches and loops
    mine = cKDTree(fingers.parts[0].origins[:, :2]).query(wires.parts[1].origins[:, :2])[1]  # each stitch's finger
    area, booleans = member_contacts(wires, np.arange(n, 2 * n), fingers, mine)
    assert area == pytest.approx(np.full(n, 0.07 * 0.04), rel=1e-9)  # every stitch wholly on its finger
    assert booleans < n
    # the same area by the volume method, on one slanted stitch in its finger's frame
    k = int(np.argmax(np.abs(wires.parts[1].placements[:, 0, 1])))
    st, f = wires.parts[1], fingers.parts[0]
    rel = np.linalg.inv(f.placements[mine[k]]) @ st.placements[k]
    assert occ.contact_area(st.shape.moved(occ.location(rel)), f.shape) == pytest.approx(0.07 * 0.04, rel=1e-6)
    r = by_name(api.check(tiered))
    assert not [x for x in r.values() if not x.passed]
    assert "stitch contact with its finger 0.0028..0.0028 mm2, least 1 of its 0.0028 mm2 footprint" in \
        r["bond_wires_connect"].detail


def test_a_stitch_off_its_finger_is_a_fault(tiered):
    wires = constituents(tiered.stack["bond_wires"])  # the checks measure a wire's pieces: lift one stitch
    n = sum(COUNTS)
    stitches = wires.parts[1]
    lifted = stitches.placements.copy()
    lifted[3, 2, 3] += 0.002
    body = dataclasses.replace(wires, parts=(wires.parts[0], dataclasses.replace(stitches, placements=lifted),
                                             *wires.parts[2:]))
    r = cc.wires_connect(with_stack(tiered, tiered.stack.replace(body)))[0]
    assert not r.passed and r.value == 1.0
    assert r.where.endswith("stitch does not touch its finger")
    bare = dataclasses.replace(wires, parts=(wires.parts[0], *wires.parts[2:]))
    r = cc.wires_connect(with_stack(tiered, tiered.stack.replace(bare)))[0]
    assert not r.passed and r.value == n and r.where.endswith("does not end on a stitch")


def test_clearance_covers_wires_of_both_tiers(tiered):
    """An outer wire (ball, stitch and loop of pad 1 of side 0) moved 60 % of the pad pitch towards its inner
    neighbour (pad 0) is caught by the wire-to-wire clearance, which measures loops and bonds of every tier."""
    d = tiered.design
    wires = constituents(tiered.stack["bond_wires"])  # ball bonds, stitches, loops
    sw = swept_lines(wires)
    n = sum(COUNTS)
    pads = d.die_pad_sites()
    loop_of = [next(int(sw.member[i]) for i, s in enumerate(sw.lines) if np.allclose(s[0, :2], pads[k, :2]))
               for k in (0, 1)]
    assert d.finger_sites()[:2, 3].tolist() == [0, 1]  # pad 0 to the inner ring, pad 1 to the outer
    ball_of = cKDTree(wires.parts[0].origins[:, :2]).query(pads[:2, :2])[1]
    stitch_of = cKDTree(wires.parts[1].origins[:, :2]).query(d.finger_sites()[:2, :2])[1]
    members = [int(ball_of[1]), n + int(stitch_of[1]), loop_of[1]]
    step = np.array([d.die.pad_pitch * 0.6, 0.0, 0.0])  # pad 0 of side 0 lies at +x of pad 1
    out, k = [], 0
    for p in wires.parts:
        m = p.placements.copy()
        m[np.isin(np.arange(k, k + p.count), members), :3, 3] += step
        out.append(dataclasses.replace(p, placements=m))
        k += p.count
    moved = tiered.stack.replace(dataclasses.replace(wires, parts=tuple(out)))
    c = by_name(cc.wire_clearance(with_stack(tiered, moved)))["bond_wires_clearance"]
    w = d.bond_wires
    assert not c.passed
    assert c.value == pytest.approx(0.4 * d.die.pad_pitch - w.ball_diameter / 2 - w.diameter / 2, abs=1e-6)
    assert c.where.startswith(f"bond_wires[{loop_of[0]}]") and "& ball bond bond_wires[" in c.where


def test_one_count_is_every_side_and_a_bad_list_is_refused():
    assert load_design(small_cavity()).die.pad_counts == (6, 6, 6, 6)
    with pytest.raises(ParameterError) as e:
        load_design(small_cavity(die={"pads_per_side": [2, 5, 3]}))
    msg = str(e.value)
    assert msg == ("die.pads_per_side [2, 5, 3] must be one count or a list of four counts [side 0 (+y), side 1 (-x), "
                   "side 2 (-y), side 3 (+x)], each a whole number from 1 to 1000")
    with pytest.raises(ParameterError, match=r"^die.pads_per_side.1 13 at pad_pitch 0.15 spans 1.87 mm on side 1"):
        load_design(small_cavity(die={"pads_per_side": [6, 13, 6, 6]}))


@pytest.mark.parametrize("changes, expected", [
    ({"bond_fingers": {"tiers": 2, "tier_gap": 0.25}},
     ("bond_fingers.tier_gap 0.25 must exceed bond_fingers.length 0.3: the outer ring of fingers would overlap the "
      "inner one")),
    ({"bond_fingers": {"tiers": 2}, "bond_wires": {"outer_loop_height": 0.7}},
     ("bond_wires.outer_loop_height 0.7 needs a loop taller than the mold: its top at z = 0.945 plus min_cover 0.075 "
      "is above the mold top at 0.96")),
    ({"bond_fingers": {"tiers": 2}, "bond_wires": {"outer_loop_height": 0.28}},
     ("bond_wires.outer_loop_height 0.28 must be at least loop_height 0.25 plus 2 x diameter 0.025: the outer loops "
      "pass one wire diameter over the inner ones")),
    ({"bond_fingers": {"tiers": 2, "pitch": 0.15, "width": 0.3}},
     ("bond_fingers.pitch 0.15 x 2 (two tiers: a ring's fingers are two pitches apart) must be larger than "
      "bond_fingers.width 0.3")),
    ({"bond_wires": {"stitch_width": 0.02}}, "bond_wires.stitch_width 0.02 must be at least the wire diameter 0.025"),
    ({"bond_wires": {"stitch_length": 0.2}}, "bond_wires.stitch_length 0.2 makes the stitch of wire"),
])
def test_tier_and_stitch_rules(changes, expected):
    with pytest.raises(ParameterError) as e:
        load_design(small_cavity(**changes))
    assert str(e.value).startswith(expected) and len(str(e.value).splitlines()) == 1


def test_cavity_bga23_builds_and_passes_every_design_rule():
    b = api.run(api.load(RECIPES / "cavity" / "cavity-bga23.toml"))
    results = api.check(b)
    d = b.design
    assert d.die.pad_counts == (96, 84, 96, 84) and d.bond_fingers.tiers == 2
    assert b.stack["bond_wires"].count == 360 and b.stack["solder_balls"].count == 340
    failed = [r for r in results if not r.passed]
    assert not failed, failed
    rows, _ = api.claims(b, results)
    assert {r.number for r in rows if r.status == "embodied"} >= {1, 2, 3, 4, 5, 9, 10, 11}
    tops = tube_tops(swept_lines(b.stack["bond_wires"]))
    assert tops.max() == pytest.approx(d.z_die_top + 0.6, abs=5e-6)
    assert tops.min() == pytest.approx(d.z_die_top + 0.45, abs=5e-6)


def test_the_stitch_builder_is_one_valid_wedge():
    s = parts.stitch(0.1, 0.05, 0.03, 0.01)
    assert occ.is_valid(s) and occ.volume(s) == pytest.approx(0.1 * 0.05 * 0.02, rel=1e-12)
    lower = occ.box(-1, -1, -0.01, 1, 1, 0.0)
    assert occ.face_contact_area(s, lower) == pytest.approx(0.005, rel=1e-12)
    assert occ.contact_area(s, lower) == pytest.approx(0.005, rel=1e-6)
