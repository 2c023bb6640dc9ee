"""JEDEC ball names: the row-letter sequence, name round trips, depopulation ranges and the naming of site grids."""

from __future__ import annotations

import numpy as np
import pytest

from geometry.core.jedec import (
    BallLattice,
    ball_name,
    name_sites,
    parse_name,
    parse_range,
    parse_ranges,
    row_index,
    row_name,
)


def test_single_letters_skip_i_o_q_s_x_z_then_two_letters():
    assert [row_name(i) for i in range(1, 21)] == list("ABCDEFGHJKLMNPRTUVWY")
    assert [row_name(i) for i in range(21, 24)] == ["AA", "AB", "AC"]
    assert (row_name(40), row_name(41), row_name(420), row_name(421)) == ("AY", "BA", "YY", "AAA")
    letters = "".join(row_name(i) for i in range(1, 421))
    assert not set(letters) & set("IOQSXZ")


def test_round_trips_up_to_500():
    for i in range(1, 501):
        assert row_index(row_name(i)) == i
        name = ball_name(i, (i % 37) + 1)
        assert parse_name(name) == (i, (i % 37) + 1)
    assert len({row_name(i) for i in range(1, 501)}) == 500


def test_parse_name_examples():
    assert parse_name("A1") == (1, 1)
    assert parse_name("AB12") == (22, 12)
    assert parse_name("Y20") == (20, 20)
    assert ball_name(22, 12) == "AB12"


@pytest.mark.parametrize("bad", ["", "1A", "A0", "A01", "a1", "A", "12", "A1B", "A-1", " A1", "I3", "O1", "AZ4"])
def test_bad_names_refused(bad):
    with pytest.raises(ValueError, match="ball name"):
        parse_name(bad)


def test_skipped_letter_message_names_the_rule():
    with pytest.raises(ValueError, match=r"'I1'.*skip I, O, Q, S, X and Z"):
        parse_name("I1")


@pytest.mark.parametrize("bad", [0, -3, True, 1.5])
def test_bad_ordinals_refused(bad):
    with pytest.raises(ValueError, match="from 1"):
        row_name(bad)
    with pytest.raises(ValueError, match="from 1"):
        ball_name(1, bad)


def test_ranges():
    assert parse_range("A1") == {(1, 1)}
    block = parse_range("D4:F6")
    assert len(block) == 9
    assert block == {(r, c) for r in (4, 5, 6) for c in (4, 5, 6)}
    assert parse_range("H1:J1") == {(8, 1), (9, 1)}
    assert parse_range(" B2:B2 ") == {(2, 2)}
    assert parse_ranges("A1, D4:F6  Y20") == block | {(1, 1), (20, 20)}
    assert parse_ranges(["A1", "A2"]) == {(1, 1), (1, 2)}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("F6:D4", r"'F6:D4' is reversed"),
        ("D6:F4", r"'D6:F4' is reversed"),
        ("I1", r"'I1'.*skip"),
        ("A1:I3", r"'A1:I3'.*'I3'.*skip"),
        ("A", "whole row or column"),
        ("4", "whole row or column"),
        ("A1:B2:C3", "more than one ':'"),
        ("A1:", "ball name ''"),
    ],
)
def test_bad_ranges_refused(text, match):
    with pytest.raises(ValueError, match=match):
        parse_range(text)


def test_range_outside_the_array_refused():
    assert len(parse_range("A1:C4", shape=(3, 4))) == 12
    with pytest.raises(ValueError, match="past the array of 3 rows"):
        parse_range("A1:D4", shape=(3, 4))


# A 3-row by 4-column grid, pitch 1.0 along x and 0.8 along y, listed as seen from the top: rows from y = +0.8
# down to y = -0.8, x from -1.5 to +1.5. The expected names are written out by hand for each A1 corner, which is
# seen in the bottom view (left and right swapped against the top view).
XS = (-1.5, -0.5, 0.5, 1.5)
YS = (0.8, 0.0, -0.8)
EXPECTED = {
    "top-left": [["A4", "A3", "A2", "A1"], ["B4", "B3", "B2", "B1"], ["C4", "C3", "C2", "C1"]],
    "top-right": [["A1", "A2", "A3", "A4"], ["B1", "B2", "B3", "B4"], ["C1", "C2", "C3", "C4"]],
    "bottom-left": [["C4", "C3", "C2", "C1"], ["B4", "B3", "B2", "B1"], ["A4", "A3", "A2", "A1"]],
    "bottom-right": [["C1", "C2", "C3", "C4"], ["B1", "B2", "B3", "B4"], ["A1", "A2", "A3", "A4"]],
}


@pytest.mark.parametrize("corner", list(EXPECTED))
def test_three_by_four_grid_each_a1_corner(corner):
    centres = np.array([(x, y) for y in YS for x in XS])
    named = name_sites(centres, BallLattice(pitch_x=1.0, pitch_y=0.8, a1_corner=corner))
    assert list(named.names) == [n for row in EXPECTED[corner] for n in row]
    assert named.rows.tolist() == [parse_name(n)[0] for n in named.names]
    assert named.cols.tolist() == [parse_name(n)[1] for n in named.names]


def test_order_of_centres_does_not_matter():
    centres = np.array([(x, y) for y in YS for x in XS])
    perm = np.random.default_rng(1).permutation(len(centres))
    a = name_sites(centres, BallLattice(1.0, 0.8, "top-right"))
    b = name_sites(centres[perm], BallLattice(1.0, 0.8, "top-right"))
    assert [a.names[i] for i in perm] == list(b.names)


def test_staggered_grid_on_the_half_pitch_lattice():
    # Rows y = 1 and y = -1 at x = -1, 0, 1; the middle row offset by half the 1.0 pitch, at x = -0.5, 0.5.
    centres = np.array([(-1, 1), (0, 1), (1, 1), (-0.5, 0), (0.5, 0), (-1, -1), (0, -1), (1, -1)], dtype=float)
    right = name_sites(centres, BallLattice(1.0, 1.0, "top-right", staggered=True))
    assert list(right.names) == ["A1", "A3", "A5", "B2", "B4", "C1", "C3", "C5"]
    left = name_sites(centres, BallLattice(1.0, 1.0, "top-left", staggered=True))
    assert list(left.names) == ["A5", "A3", "A1", "B4", "B2", "C5", "C3", "C1"]


def test_staggered_lattice_refuses_a_plain_grid_and_vice_versa():
    plain = np.array([(x, y) for y in YS for x in XS])
    with pytest.raises(ValueError, match="not offset by half the pitch"):
        name_sites(plain, BallLattice(1.0, 0.8, "top-left", staggered=True))
    stagger = np.array([(-1, 1), (0, 1), (1, 1), (-0.5, 0), (0.5, 0)], dtype=float)
    with pytest.raises(ValueError, match="off the column"):
        name_sites(stagger, BallLattice(1.0, 1.0, "top-left"))


def test_depopulated_grid_keeps_names_when_all_sites_are_named():
    centres = np.array([(x, y) for y in YS for x in XS])
    named = name_sites(centres, BallLattice(1.0, 0.8, "top-right"))
    removed = parse_ranges("A1:C1")
    kept = [n for n, r, c in zip(named.names, named.rows, named.cols, strict=True) if (r, c) not in removed]
    assert kept == ["A2", "A3", "A4", "B2", "B3", "B4", "C2", "C3", "C4"]


def test_bad_grids_refused():
    lattice = BallLattice(1.0, 0.8, "top-left")
    with pytest.raises(ValueError, match="off the row"):
        name_sites(np.array([(0.0, 0.0), (1.0, 0.3)]), lattice)
    with pytest.raises(ValueError, match="two sites fall on ball"):
        name_sites(np.array([(0.0, 0.0), (1.0, 0.0), (1.0, 0.0)]), lattice)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        name_sites(np.zeros((3, 3)), lattice)
    with pytest.raises(ValueError, match="finite"):
        name_sites(np.array([(0.0, np.nan)]), lattice)
    with pytest.raises(ValueError, match="a1_corner 'top'"):
        BallLattice(1.0, 0.8, "top")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pitch_y"):
        BallLattice(1.0, 0.0, "top-left")
