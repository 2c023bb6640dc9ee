"""JEDEC ball names of area-array packages (BGA, LGA, CSP): row letters, column numbers, ranges of balls, and the
names of a grid of sites.

Standard realised: the JEDEC ball naming of JEP95 (BGA design guides) / JESD95, as commonly published.

- Row letters: A B C D E F G H J K L M N P R T U V W Y (the alphabet less I, O, Q, S, X and Z: 20 letters). After Y
  come two letters, AA AB ... AY, BA ... YY, each position using the same 20 letters; that is bijective base 20
  (like spreadsheet columns). Row 21 is AA, row 40 AY, row 41 BA, row 420 YY. Past YY this module goes on with
  three letters (AAA is row 421): the same rule carried on, which the published tables do not reach.
- Columns: numbers 1, 2, ... with no leading zero. A name is row letters then the column: ``A1``, ``AB12``.
- Indices are the ordinals the name shows, both from 1: ``A1`` is (row 1, col 1), ``AB12`` is (22, 12).

Geometry (:func:`name_sites`): site centres are in package coordinates, mm, seen from the top (x to the right, y up,
z towards the viewer). Rows are lines of constant y, so the row letter advances along y; the column number advances
along x. The A1 corner is given as seen in the BOTTOM view (the ball side, as JEDEC outline drawings show it); the
bottom view is the package turned over about its y axis, so up and down stay, left and right swap: the bottom
view's "left" is the package's +x side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

ROW_LETTERS = "ABCDEFGHJKLMNPRTUVWY"
"""The 20 letters of JEDEC row names, in order."""
SKIPPED_LETTERS = "IOQSXZ"
"""Letters JEDEC row names never use."""
_BASE = len(ROW_LETTERS)
_NAME = re.compile(r"([A-Z]+)([1-9][0-9]*)")
_RULE = ("a JEDEC ball name is row letters from A B C D E F G H J K L M N P R T U V W Y (I, O, Q, S, X and Z are "
         "skipped; AA, AB, ... follow Y) then a column number from 1 without leading zeros, e.g. 'A1' or 'AB12'")

Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]
"""The A1 corner as seen in the bottom (ball-side) view."""


def _check_ordinal(what: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} {value!r} must be an integer from 1 (A1 is row 1, column 1)")


def row_name(row: int) -> str:
    """JEDEC letters of ``row`` (1 -> 'A', 20 -> 'Y', 21 -> 'AA', 22 -> 'AB', 420 -> 'YY')."""
    _check_ordinal("row", row)
    n, letters = int(row), []
    while n:
        n, r = divmod(n - 1, _BASE)
        letters.append(ROW_LETTERS[r])
    return "".join(reversed(letters))


def row_index(letters: str) -> int:
    """Row ordinal (from 1) of JEDEC row ``letters`` ('A' -> 1, 'AA' -> 21); the inverse of :func:`row_name`."""
    if not isinstance(letters, str) or not letters:
        raise ValueError(f"row {letters!r} is not JEDEC row letters: {_RULE}")
    skipped = sorted(set(letters) & set(SKIPPED_LETTERS))
    if skipped:
        raise ValueError(f"row {letters!r} uses {skipped[0]!r}: JEDEC row letters skip I, O, Q, S, X and Z "
                         f"(H is followed by J, N by P, P by R, R by T, W by Y, Y by AA)")
    n = 0
    for c in letters:
        k = ROW_LETTERS.find(c)
        if k < 0:
            raise ValueError(f"row {letters!r} is not JEDEC row letters: {_RULE}")
        n = n * _BASE + k + 1
    return n


def ball_name(row: int, col: int) -> str:
    """The JEDEC name of the ball at ``row``, ``col`` (ordinals from 1): ``ball_name(22, 12) == 'AB12'``."""
    _check_ordinal("column", col)
    return f"{row_name(row)}{int(col)}"


def parse_name(name: str) -> tuple[int, int]:
    """(row, col) ordinals of JEDEC ball ``name``: ``parse_name('AB12') == (22, 12)``. Upper case only."""
    m = _NAME.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        raise ValueError(f"ball name {name!r} is not a JEDEC ball name: {_RULE}")
    try:
        row = row_index(m.group(1))
    except ValueError as e:
        raise ValueError(f"ball name {name!r}: {e}") from None
    return row, int(m.group(2))


def parse_range(text: str, shape: tuple[int, int] | None = None) -> frozenset[tuple[int, int]]:
    """The (row, col) ordinals a depopulation entry names: ``'A1'`` one ball, ``'D4:F6'`` the rectangle of rows
    D..F and columns 4..6, ends included (9 balls). The first corner is the one nearer A1 (row and column each no
    larger than the second's). A whole row or column alone (``'A'``, ``'4'``) is not accepted: name its corners,
    ``'A1:A20'``. With ``shape`` = (rows, columns) of the array, a ball outside it is refused. A rectangle may
    cover lattice points where a staggered array has no site; the caller keeps only the sites it has."""
    if not isinstance(text, str):
        raise TypeError(f"range {text!r} must be a string such as 'A1' or 'D4:F6'")
    parts = text.strip().split(":")
    if len(parts) > 2:
        raise ValueError(f"range {text!r} has more than one ':': write one ball 'A1' or two corners 'D4:F6'")
    if len(parts) == 1 and re.fullmatch(r"[A-Z]+|[0-9]+", parts[0]):
        raise ValueError(f"range {text!r} names a whole row or column, which is not accepted: name its corners, "
                         f"e.g. 'A1:A20'")
    try:
        corners = [parse_name(p.strip()) for p in parts]
    except ValueError as e:
        raise (ValueError(f"range {text!r}: {e}") if len(parts) == 2 else e) from None
    (r0, c0), (r1, c1) = corners[0], corners[-1]
    if r1 < r0 or c1 < c0:
        raise ValueError(f"range {text!r} is reversed: the first corner must be the one nearer A1, its row and "
                         f"column each no larger than the second's (write 'D4:F6', not 'F6:D4')")
    if shape is not None:
        rows, cols = shape
        if r1 > rows or c1 > cols:
            raise ValueError(f"range {text!r} reaches past the array of {rows} rows (A..{row_name(rows)}) and "
                             f"{cols} columns (1..{cols})")
    return frozenset((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))


def parse_ranges(spec: str | Iterable[str], shape: tuple[int, int] | None = None) -> frozenset[tuple[int, int]]:
    """The union of :func:`parse_range` over ``spec``: a list of entries, or one string of entries separated by
    commas or white space (``'A1, D4:F6'``)."""
    entries = re.split(r"[,\s]+", spec.strip()) if isinstance(spec, str) else list(spec)
    balls: set[tuple[int, int]] = set()
    for entry in entries:
        if entry:
            balls |= parse_range(entry, shape)
    return frozenset(balls)


@dataclass(frozen=True)
class BallLattice:
    """How a grid of sites is named. ``pitch_x`` is the ball pitch along x within a row and ``pitch_y`` the row
    pitch along y (mm). ``staggered``: every other row is offset by half ``pitch_x``; columns are then numbered on
    the half-pitch lattice (one column per half pitch), so alternate rows use only odd or only even column numbers.
    ``a1_corner`` is seen in the bottom view (see the module docstring) and has no default: a drawing's A1 at the
    top left of its top view is the bottom view's "top-right". ``tolerance`` is how far (mm) a centre may sit off
    its lattice point."""

    pitch_x: float
    pitch_y: float
    a1_corner: Corner
    staggered: bool = False
    tolerance: float = 1e-3

    def __post_init__(self) -> None:
        for field in ("pitch_x", "pitch_y", "tolerance"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v <= 0:
                raise ValueError(f"{field} {v!r} must be a positive number of mm")
        if self.a1_corner not in get_args(Corner):
            raise ValueError(f"a1_corner {self.a1_corner!r} must be one of {', '.join(get_args(Corner))} "
                             f"(as seen in the bottom view)")
        if self.tolerance >= min(self.column_step, self.pitch_y) / 4:
            raise ValueError(f"tolerance {self.tolerance:g} mm must be under a quarter of the lattice step")

    @property
    def column_step(self) -> float:
        """Distance (mm) between neighbouring column numbers: ``pitch_x``, or half of it when staggered."""
        return self.pitch_x / 2 if self.staggered else self.pitch_x


@dataclass(frozen=True, eq=False)
class SiteNames:
    """Each site's row and column ordinals (from 1) and JEDEC name, in the order of the centres given."""

    rows: np.ndarray
    cols: np.ndarray
    names: tuple[str, ...]


def _steps(along: np.ndarray, start: float, step: float, tol: float, axis: str) -> np.ndarray:
    """Whole lattice steps of ``along`` from ``start`` (mm); refuses a value off the lattice by more than ``tol``."""
    f = np.abs(along - start) / step
    k = np.rint(f)
    off = np.abs(f - k) * step
    if np.any(off > tol):
        i = int(np.argmax(off))
        raise ValueError(f"site {i} is {off[i]:.4g} mm off the {axis} lattice of step {step:g} mm (tolerance "
                         f"{tol:g} mm): the centres are not a regular grid of that pitch")
    return k.astype(int)


def _check_stagger(rows: np.ndarray, cols: np.ndarray) -> None:
    parity: dict[int, int] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        if parity.setdefault(r, c % 2) != c % 2:
            raise ValueError(f"row {row_name(r)} has both odd and even columns: not a staggered array "
                             f"(every other row offset by half the pitch)")
    for r, p in parity.items():
        if parity.get(r + 1, 1 - p) == p:
            raise ValueError(f"rows {row_name(r)} and {row_name(r + 1)} are not offset by half the pitch: not a "
                             f"staggered array")


def name_sites(centres: np.ndarray, lattice: BallLattice) -> SiteNames:
    """Name the sites at ``centres`` ((N, 2) mm, package coordinates seen from the top) per ``lattice``.

    Row A is the lattice line through the outermost site on the A1 corner's side in y, column 1 the one through
    the outermost site on its side in x; so give every site of the array (populated or not), or a missing outer
    row shifts the names. Refused: centres off the lattice, two centres on one lattice point, and (staggered)
    rows that do not alternate their column parity."""
    c = np.asarray(centres, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2 or len(c) == 0:
        raise ValueError(f"centres of shape {c.shape} must be (N, 2) with N >= 1 (mm)")
    if not np.all(np.isfinite(c)):
        raise ValueError("centres must be finite numbers (mm)")
    top = lattice.a1_corner.startswith("top")
    bottom_view_left = lattice.a1_corner.endswith("left")
    y0 = c[:, 1].max() if top else c[:, 1].min()
    x0 = c[:, 0].max() if bottom_view_left else c[:, 0].min()
    rows = _steps(c[:, 1], y0, lattice.pitch_y, lattice.tolerance, "row (y)") + 1
    cols = _steps(c[:, 0], x0, lattice.column_step, lattice.tolerance, "column (x)") + 1
    width = int(cols.max()) + 1
    uniq, counts = np.unique(rows.astype(np.int64) * width + cols, return_counts=True)  # one key per ball
    if np.any(counts > 1):
        r, col = divmod(int(uniq[np.argmax(counts > 1)]), width)
        raise ValueError(f"two sites fall on ball {ball_name(r, col)}: centres closer than the pitch")
    if lattice.staggered:
        _check_stagger(rows, cols)
    letters = {int(r): row_name(int(r)) for r in np.unique(rows)}  # once per row: a 1000 x 1000 lattice in 1 s
    names = tuple(f"{letters[r]}{col}" for r, col in zip(rows.tolist(), cols.tolist(), strict=True))
    return SiteNames(rows=rows, cols=cols, names=names)


@dataclass(frozen=True, eq=False)
class BallMap:
    """The balls of a package: centres (N, 2) mm in package coordinates (top view), JEDEC names, nominal diameter
    (mm), body size E x D (mm) centred on the origin, and the nets when known."""

    centres: np.ndarray
    names: tuple[str, ...]
    diameter: float
    body: tuple[float, float]
    nets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        c = np.asarray(self.centres, dtype=float)
        if c.ndim != 2 or c.shape[1] != 2 or len(c) != len(self.names):
            raise ValueError(f"{len(self.names)} names for centres of shape {c.shape}: one name per (x, y) centre")
        if self.nets and len(self.nets) != len(self.names):
            raise ValueError(f"{len(self.nets)} nets for {len(self.names)} balls: one net per ball, or none")
        object.__setattr__(self, "centres", c)


def grid_ball_map(sites: np.ndarray, populated: np.ndarray, pitch_x: float, pitch_y: float, a1_corner: Corner,
                  diameter: float, body: tuple[float, float], staggered: bool = False) -> BallMap:
    """The :class:`BallMap` of the populated sites of a lattice: every site (populated or not) is named, so an
    empty outer row does not shift the names, and the populated ones are kept."""
    names = name_sites(sites, BallLattice(pitch_x, pitch_y, a1_corner, staggered)).names
    keep = np.asarray(populated, dtype=bool)
    return BallMap(np.asarray(sites, dtype=float)[keep], tuple(n for n, k in zip(names, keep, strict=True) if k),
                   float(diameter), (float(body[0]), float(body[1])))
