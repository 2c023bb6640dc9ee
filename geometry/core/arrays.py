"""Arrays of sites for balls and bumps (mm): a lattice (full, perimeter or drawn as a character map, rectangular or
staggered, with JEDEC names or ranges taken out) or explicit sites from a list or a CSV file (name, x, y, net).

Coordinates are the top view of the package: x to the right, y up, centred on the array's owner (the substrate,
or a chip's mounting area) and moved by ``offset_x``/``offset_y``. Ball and bump names follow JEDEC (rows A, B, ...
without I, O, Q, S, X, Z along y, columns 1, 2, ... along x), with A1 at the corner named by ``a1_corner`` as seen
in the bottom view (:mod:`geometry.core.jedec`).

The closest-pair searches import ``scipy.spatial`` (some 0.5 s) when they run, so validating a rectangular array
or refusing a recipe does not load it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from .jedec import BallLattice, Corner, ball_name, name_sites, parse_ranges
from .params import MAX_ARRAY_MEMBERS, MAX_SIZE, Count, Length, Model, Offset, fail

MEMBER_MARKS = "oOxX#1"
"""Characters of a map that put a member on their site."""
EMPTY_MARKS = ".-_0 "
"""Characters of a map that leave their site empty."""
Layout = Literal["full", "perimeter", "map", "sites"]


class Site(Model):
    """One explicit site: its name (e.g. the JEDEC name of a ball), centre (mm, top view, from the array's owner
    centre before ``offset``) and net."""

    name: str = Field(description="Site name, e.g. a JEDEC ball name such as A1 (no unit).")
    x: float = Field(ge=-MAX_SIZE, le=MAX_SIZE, allow_inf_nan=False, description="Centre x, mm, from the owner's "
                     "centre (top view).")
    y: float = Field(ge=-MAX_SIZE, le=MAX_SIZE, allow_inf_nan=False, description="Centre y, mm, from the owner's "
                     "centre (top view).")
    net: str = Field("", description="Net name, e.g. VDD or GND (no unit); may be empty.")


class Grid(Model):
    """An array of sites centred on its owner. ``layout``: ``full`` (every lattice site), ``perimeter`` (only the
    outer ``rows`` columns left and right and ``rows_y`` rows top and bottom), ``map`` (drawn row by row in ``map``)
    or ``sites`` (explicit, from ``sites`` or a CSV ``sites_file``). The lattice has pitch ``pitch_x`` along x and
    ``pitch_y`` along y (both default ``pitch``); ``stagger`` shifts every other row by half ``pitch_x``.
    ``depopulate`` takes JEDEC names or ranges off a lattice layout."""

    pitch: Length = Field(description="Centre-to-centre spacing of neighbouring sites along x and y, mm (the "
                          "nominal pitch of explicit sites).")
    count_x: Count = Field(description="Sites along x (columns), a count; a map gives it by its row length.")
    count_y: Count = Field(description="Sites along y (rows), a count; a map gives it by its number of rows.")
    layout: Layout = Field("full", description='"full": a member on every lattice site; "perimeter": only the outer '
                           '`rows` columns and `rows_y` rows; "map": as drawn in `map`; "sites": the explicit '
                           "`sites` (or `sites_file`) (no unit).")
    rows: Count | None = Field(None, description='Columns kept at the left and right edges, a count; required when '
                               'layout is "perimeter", unused otherwise.')
    rows_y: Count | None = Field(None, description="Rows kept at the top and bottom edges in a perimeter layout, a "
                                 "count; omitted: `rows`.")
    pitch_x: Length | None = Field(None, description="Pitch along x (between columns), mm; omitted: `pitch`.")
    pitch_y: Length | None = Field(None, description="Pitch along y (between rows), mm; omitted: `pitch`.")
    stagger: bool = Field(False, description="Shift every other row by half the x pitch (rows alternate a quarter "
                          "pitch left and right of the lattice, so the array stays centred) (no unit).")
    offset_x: Offset = Field(0.0, description="Shift of the whole array along x from its owner's centre, mm.")
    offset_y: Offset = Field(0.0, description="Shift of the whole array along y from its owner's centre, mm.")
    map: tuple[str, ...] | None = Field(None, description='For layout "map": one string per row of sites, the top '
                                        f"row (largest y) first, one character per site from -x to +x: "
                                        f"{' '.join(repr(c) for c in MEMBER_MARKS)} a member, "
                                        f"{' '.join(repr(c) for c in EMPTY_MARKS)} empty (no unit).")
    map_view: Literal["top", "bottom"] = Field("top", description='How `map` is drawn: "top" (seen from the top: '
                                               'first character at -x) or "bottom" (the bottom view of an outline '
                                               "drawing: first character at +x) (no unit).")
    depopulate: tuple[str, ...] = Field((), description='JEDEC ball names or ranges taken off a lattice layout, e.g. '
                                        '["A1", "D4:F6"] (no unit).')
    a1_corner: Corner = Field("top-left", description="The corner of ball A1 as seen in the bottom view (JEDEC "
                              "outline drawings): top-left, top-right, bottom-left or bottom-right (no unit).")
    sites: tuple[Site, ...] | None = Field(None, description='For layout "sites": every site with its name, centre '
                                           "(mm) and net.")
    sites_file: str | None = Field(None, description='For layout "sites": a CSV file of name,x,y[,net] (mm, top '
                                   "view), its path relative to the recipe; read into `sites` when the recipe "
                                   "loads (no unit).")

    @model_validator(mode="before")
    @classmethod
    def _counts_from_map(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("map"), (list, tuple)) and data["map"]:
            rows = data["map"]
            first = len(rows[0]) if isinstance(rows[0], str) and rows[0] else 1
            data = {"layout": "map", "count_x": first, "count_y": len(rows), **data}
        if isinstance(data, dict) and data.get("sites") is not None:
            data = {"layout": "sites", "count_x": 1, "count_y": 1, **data}
        return data

    @model_validator(mode="after")
    def _grid_rules(self) -> Grid:
        if self.layout == "perimeter":
            if self.rows is None:
                fail("rows", None, 'is required when layout is "perimeter"')
            if 2 * self.rows >= self.count_x:
                fail("rows", self.rows, f"must leave an empty centre: 2 x rows < count_x {self.count_x}")
            if 2 * self.depth_y >= self.count_y:
                fail("rows_y", self.depth_y, f"must leave an empty centre: 2 x rows_y < count_y {self.count_y}")
        if self.layout_count > MAX_ARRAY_MEMBERS:
            fail("count_x", self.count_x, f"x count_y {self.count_y} ({self.layout}) = {self.layout_count} members "
                 f"exceeds the limit of {MAX_ARRAY_MEMBERS}")
        self._map_rules()
        self._sites_rules()
        if self.depopulate:
            if self.layout == "sites":
                fail("depopulate", list(self.depopulate), 'applies to a lattice layout, not to layout "sites"')
            try:
                parse_ranges(self.depopulate, (self.count_y, self._name_columns))
            except ValueError as e:
                fail("depopulate", list(self.depopulate), f"is not a list of balls of this array: {e}")
        if self.count == 0:
            fail("layout", self.layout, "leaves no member on the array")
        return self

    def _map_rules(self) -> None:
        if self.layout != "map":
            if self.map is not None:
                fail("map", "given", 'is only read with layout "map"')
            return
        if not self.map:
            fail("map", None, 'is required when layout is "map": one string per row')
        if self.count_x != len(self.map[0]) or self.count_y != len(self.map):
            fail("count_x", self.count_x, f"x count_y {self.count_y} disagrees with the map of {len(self.map)} rows "
                 f"of {len(self.map[0])}: leave the counts out, the map gives them")
        for k, row in enumerate(self.map):
            if len(row) != self.count_x:
                fail(f"map[{k}]", row, f"has {len(row)} sites where the first row has {self.count_x}: every row of a "
                     "map has one character per column")
            bad = sorted(set(row) - set(MEMBER_MARKS + EMPTY_MARKS))
            if bad:
                fail(f"map[{k}]", row, f"uses {bad[0]!r}: a site is one of {MEMBER_MARKS!r} (member) or "
                     f"{EMPTY_MARKS!r} (empty)")

    def _sites_rules(self) -> None:
        if self.layout != "sites":
            if self.sites is not None:
                fail("sites", "given", 'are only read with layout "sites"')
            return
        if not self.sites:
            fail("sites", None, 'are required when layout is "sites" (or give sites_file, a CSV of name,x,y[,net])')
        if len(self.sites) > MAX_ARRAY_MEMBERS:
            fail("sites", len(self.sites), f"sites exceed the limit of {MAX_ARRAY_MEMBERS}")
        names = [s.name for s in self.sites]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            fail("sites", dup[0], "is the name of more than one site: every site needs its own name")
        if len(self.sites) > 1:
            from scipy.spatial import cKDTree

            xy = np.array([(s.x, s.y) for s in self.sites])
            d, k = cKDTree(xy).query(xy, k=2)
            i = int(np.argmin(d[:, 1]))
            if d[i, 1] < 1e-6:
                fail("sites", self.sites[i].name, f"sits on {self.sites[int(k[i, 1])].name}: two sites at one point")

    @property
    def layout_count(self) -> int:
        """Members the layout places before ``depopulate``, counted without making a site: every site of a full
        lattice, the ring of a perimeter (a 1000 x 1000 ring one row deep has 3,996), the member marks of a map,
        the explicit sites."""
        if self.layout == "sites":
            return len(self.sites or ())
        if self.layout == "map":
            return sum(c in MEMBER_MARKS for row in self.map or () for c in row)
        n = self.count_x * self.count_y
        if self.layout == "perimeter" and self.rows is not None:
            n -= max(self.count_x - 2 * self.rows, 0) * max(self.count_y - 2 * self.depth_y, 0)
        return n

    # --- the lattice ---
    @property
    def lattice_x(self) -> float:
        """Pitch along x (mm)."""
        return self.pitch if self.pitch_x is None else self.pitch_x

    @property
    def lattice_y(self) -> float:
        """Pitch along y (mm)."""
        return self.pitch if self.pitch_y is None else self.pitch_y

    @property
    def is_lattice(self) -> bool:
        """Members on a lattice (every layout but explicit sites)."""
        return self.layout != "sites"

    @property
    def is_rectangular(self) -> bool:
        """Members on a rectangular lattice of cells pitch_x x pitch_y that tile the array (no stagger, no explicit
        sites): what a tiled encapsulant needs."""
        return self.is_lattice and not self.stagger

    @property
    def spacing(self) -> float:
        """The closest centre-to-centre distance a member can have (mm): the smaller lattice pitch of a rectangular
        lattice (``pitch`` when neither pitch_x nor pitch_y is given), the closest pair of members otherwise."""
        return min(self.lattice_x, self.lattice_y) if self.is_rectangular else self.min_spacing

    @property
    def min_spacing(self) -> float:
        """Smallest centre-to-centre distance between two members (mm); the pitch for a single member."""
        p = self.positions()
        if len(p) < 2:
            return min(self.lattice_x, self.lattice_y)
        from scipy.spatial import cKDTree

        return float(cKDTree(p).query(p, k=2)[0][:, 1].min())

    def closest_pair(self) -> tuple[int, int]:
        """Indices (in :meth:`positions` order, the lower first) of the two closest members."""
        from scipy.spatial import cKDTree

        p = self.positions()
        dist, idx = cKDTree(p).query(p, k=2)
        j = int(np.argmin(dist[:, 1]))
        return tuple(sorted((j, int(idx[j, 1]))))

    @property
    def _name_columns(self) -> int:
        """Columns of the naming lattice: the half-pitch lattice of a staggered array has 2 count_x."""
        return 2 * self.count_x if self.stagger else self.count_x

    @property
    def depth_y(self) -> int:
        """Rows kept at the top and bottom of a perimeter layout."""
        return self.rows if self.rows_y is None else self.rows_y

    @property
    def span_x(self) -> float:
        """Twice the largest |x| of a member centre from the owner's centre (mm): the centred extent along x."""
        return 2.0 * float(np.abs(self.positions()[:, 0]).max())

    @property
    def span_y(self) -> float:
        """Twice the largest |y| of a member centre from the owner's centre (mm)."""
        return 2.0 * float(np.abs(self.positions()[:, 1]).max())

    def all_sites(self) -> np.ndarray:
        """(count_x * count_y, 2) centres of every lattice site (row-major from the row at -y), offset included;
        explicit sites in their order (mm)."""
        if self.layout == "sites":
            return np.array([(s.x, s.y) for s in self.sites]) + [self.offset_x, self.offset_y]
        xs = (np.arange(self.count_x) - (self.count_x - 1) / 2) * self.lattice_x
        ys = (np.arange(self.count_y) - (self.count_y - 1) / 2) * self.lattice_y
        gx, gy = np.meshgrid(xs, ys)
        if self.stagger:
            gx = gx + np.where(np.arange(self.count_y)[:, None] % 2 == 0, -0.25, 0.25) * self.lattice_x
        return np.column_stack([gx.ravel(), gy.ravel()]) + [self.offset_x, self.offset_y]

    def populated(self) -> np.ndarray:
        """Boolean mask over :meth:`all_sites`: True where a member sits."""
        n = len(self.sites) if self.layout == "sites" else self.count_x * self.count_y
        if self.layout in ("full", "sites"):
            keep = np.ones(n, dtype=bool)
        elif self.layout == "perimeter":
            i, j = np.meshgrid(np.arange(self.count_x), np.arange(self.count_y))
            r, ry = self.rows, self.depth_y
            keep = ((i < r) | (j < ry) | (i >= self.count_x - r) | (j >= self.count_y - ry)).ravel()
        else:
            rows = [r[::-1] if self.map_view == "bottom" else r for r in reversed(self.map)]
            keep = np.array([c in MEMBER_MARKS for r in rows for c in r], dtype=bool)
        if self.depopulate:
            names = self.site_names()
            gone = {ball_name(r, c) for r, c in parse_ranges(self.depopulate)}
            keep &= np.array([n not in gone for n in names], dtype=bool)
        return keep

    def positions(self) -> np.ndarray:
        """(N, 2) centres of the members (mm)."""
        return self.all_sites()[self.populated()]

    @property
    def count(self) -> int:
        return int(self.populated().sum())

    def site_names(self) -> tuple[str, ...]:
        """The name of every site of :meth:`all_sites`: JEDEC names on a lattice (A1 at ``a1_corner``, bottom view),
        the given names of explicit sites."""
        if self.layout == "sites":
            return tuple(s.name for s in self.sites)
        lattice = BallLattice(self.lattice_x, self.lattice_y, self.a1_corner, self.stagger)
        return name_sites(self.all_sites(), lattice).names

    def names(self) -> tuple[str, ...]:
        """The names of the members, in :meth:`positions` order."""
        keep = self.populated()
        return tuple(n for n, k in zip(self.site_names(), keep, strict=True) if k)

    def nets(self) -> tuple[str, ...]:
        """The nets of the members (explicit sites only; empty otherwise)."""
        return tuple(s.net for s in self.sites) if self.layout == "sites" else ()


def check_spacing(grid: Grid, diameter: float, what: str) -> None:
    """Members of ``grid`` more than ``diameter`` (mm) apart centre to centre, or neighbours overlap; inside a model
    validator, so the message names the key relative to its section: the pitch of a rectangular lattice, the
    closest members otherwise."""
    if grid.is_rectangular:
        for name, given, p in (("pitch_x", grid.pitch_x, grid.lattice_x), ("pitch_y", grid.pitch_y, grid.lattice_y)):
            if p <= diameter:
                fail(name if given is not None else "pitch", p, f"must be larger than {what} or neighbouring members "
                     "overlap")
        return
    gap = grid.min_spacing
    if gap <= diameter:
        i, j = grid.closest_pair()
        names = grid.names()
        if grid.is_lattice:
            fail("stagger", grid.stagger, f"puts {names[i]} and {names[j]} {gap:.4g} mm apart, not more than {what}: "
                 "neighbours overlap")
        a, b = grid.sites[i], grid.sites[j]  # as written, before the array's offset
        fail(f"sites[{j}]", b.name, f"at ({b.x:.4g}, {b.y:.4g}) is {gap:.4g} mm from {a.name} at ({a.x:.4g}, "
             f"{a.y:.4g}), not more than {what}: neighbours overlap")
