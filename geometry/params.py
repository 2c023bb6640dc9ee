"""Typed, frozen, validated design parameters, in millimetres.

Each model refuses unknown keys, wrong types, NaN/infinite and non-positive sizes. Cross-field rules live in the
design models and raise one message naming the field, the value and the rule. :func:`load_design` turns any
pydantic error into a :class:`ParameterError` whose text is that one message.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from .materials import MATERIALS

MAX_ARRAY_MEMBERS = 40_000
"""Upper limit on the members of one array (bumps, pads, balls): larger counts are refused as absurd."""
MAX_SIZE = 200.0
"""Upper limit on any length (mm)."""
TOL = 1e-9

MIN_SIZE = 1e-3
"""Lower limit on any length (mm): 1 um. Thinner features are below the modelling resolution, and near OCCT's
tolerance (1e-7 mm) its primitives fail: a box 1e-12 mm thick raises Standard_DomainError, a cylinder that thin is
an invalid solid (both found by benchmarks/fuzz_campaign.py)."""

Length = Annotated[float, Field(ge=MIN_SIZE, le=MAX_SIZE, allow_inf_nan=False, strict=True)]
"""A length in mm, at least :data:`MIN_SIZE`. Numbers only (strict): a bool or a string such as "0.2 mm" is
refused, not converted."""
Offset = Annotated[float, Field(ge=-MAX_SIZE, le=MAX_SIZE, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=1, le=1000, strict=True)]
Spread = Annotated[float, Field(ge=0, le=0.1, allow_inf_nan=False, strict=True)]
"""A standard deviation in mm of a size that varies member to member."""
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]
SPREAD_STEP = 5e-4
"""Finest rounding of sampled member sizes (mm)."""
SPREAD_LEVELS = 13
"""Sampled member sizes take at most this many values (3 sigma either side, half a sigma apart when 13), so a
spread array is built from a few prototypes whatever its member count."""
MaterialName = Literal[tuple(MATERIALS)]  # type: ignore[valid-type]


class ParameterError(ValueError):
    """A design parameter breaks a rule; ``str()`` names field, value and rule."""


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)


def sampled(nominal: float, sigma: float, n: int, seed: int, stream: int) -> np.ndarray:
    """``n`` sizes drawn from a normal distribution (mean ``nominal``, std ``sigma``, mm) truncated at 3 sigma and
    rounded to the coarser of :data:`SPREAD_STEP` and 6 sigma / (:data:`SPREAD_LEVELS` - 1); reproducible from
    ``seed`` and a per-quantity ``stream``. All equal to ``nominal`` when ``sigma`` is 0."""
    if sigma == 0:
        return np.full(n, nominal)
    step = max(SPREAD_STEP, 6 * sigma / (SPREAD_LEVELS - 1))
    z = np.clip(np.random.default_rng([seed, stream]).standard_normal(n), -3.0, 3.0)
    return nominal + np.round(z * sigma / step) * step


def _fail(field: str, value: Any, rule: str) -> None:
    raise ValueError(f"{field} {_fmt(value)} {rule}")


WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
"""Names Windows reserves for devices (with any extension): a folder so named cannot be created or copied there."""


def check_portable_name(name: str) -> None:
    """Refuse a design ``name`` that is a Windows device name, so output folders copy to any file system."""
    if WINDOWS_DEVICES.match(name):
        _fail("name", name, "is a device name reserved by Windows (CON, PRN, AUX, NUL, COM0-9, LPT0-9); "
              "choose another")


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else repr(v) if isinstance(v, str) else str(v)


class Grid(Model):
    """A rectangular array on a square pitch, centred on its owner; ``perimeter`` keeps only the outer ``rows``
    columns on the left and right and the outer ``rows_y`` (default ``rows``) rows at the top and bottom."""

    pitch: Length
    count_x: Count
    count_y: Count
    layout: Literal["full", "perimeter"] = "full"
    rows: Count | None = None
    rows_y: Count | None = None

    @model_validator(mode="after")
    def _grid_rules(self) -> Grid:
        if self.layout == "perimeter":
            if self.rows is None:
                _fail("rows", None, 'is required when layout is "perimeter"')
            if 2 * self.rows >= self.count_x:
                _fail("rows", self.rows, f"must leave an empty centre: 2 x rows < count_x {self.count_x}")
            if 2 * self.depth_y >= self.count_y:
                _fail("rows_y", self.depth_y, f"must leave an empty centre: 2 x rows_y < count_y {self.count_y}")
        if self.count_x * self.count_y > MAX_ARRAY_MEMBERS:
            _fail("count_x", self.count_x, f"x count_y {self.count_y} = {self.count_x * self.count_y} members "
                  f"exceeds the limit of {MAX_ARRAY_MEMBERS}")
        return self

    @property
    def depth_y(self) -> int:
        """Rows kept at the top and bottom of a perimeter layout."""
        return self.rows if self.rows_y is None else self.rows_y

    @property
    def span_x(self) -> float:
        """Centre-to-centre extent of the grid along x (mm)."""
        return (self.count_x - 1) * self.pitch

    @property
    def span_y(self) -> float:
        return (self.count_y - 1) * self.pitch

    def sites(self) -> np.ndarray:
        """(count_x * count_y, 2) centres of every grid site, row-major, centred on (0, 0) (mm)."""
        xs = (np.arange(self.count_x) - (self.count_x - 1) / 2) * self.pitch
        ys = (np.arange(self.count_y) - (self.count_y - 1) / 2) * self.pitch
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def populated(self) -> np.ndarray:
        """Boolean mask over :meth:`sites`: True where a member sits."""
        if self.layout == "full":
            return np.ones(self.count_x * self.count_y, dtype=bool)
        i, j = np.meshgrid(np.arange(self.count_x), np.arange(self.count_y))
        r, ry = self.rows, self.depth_y
        edge = (i < r) | (j < ry) | (i >= self.count_x - r) | (j >= self.count_y - ry)
        return edge.ravel()

    def positions(self) -> np.ndarray:
        """(N, 2) centres of the members (mm)."""
        return self.sites()[self.populated()]

    @property
    def count(self) -> int:
        return int(self.populated().sum())


class Rect(Model):
    """A centred rectangular footprint (mm)."""

    width: Length
    length: Length


# ---------------------------------------------------------------------------------------------------------------
# Flip-chip flow (claims of 000_9630dddb18a83760.txt)


class Substrate(Model):
    """Laminate substrate; first surface on top, second surface (ball side) at z = 0."""

    width: Length = 12.0
    length: Length = 12.0
    thickness: Length = 0.56
    material: MaterialName = "BT"


class BumpPads(Model):
    """Copper bond pads on the chip-mounting area, one under each bump (claim 5)."""

    enabled: StrictBool = True
    diameter: Length = 0.11
    thickness: Length = 0.015
    material: MaterialName = "Cu"


class Bumps(Grid):
    """Conductive bumps (claims 1-3): barrel-shaped solder, a sphere of ``diameter`` cut flat at its base and at
    ``height`` (the flat end of step 2)."""

    pitch: Length = 0.2
    count_x: Count = 20
    count_y: Count = 20
    diameter: Length = 0.12
    height: Length = 0.09
    height_spread: Spread = 0.0
    material: MaterialName = "SnPb63"

    @model_validator(mode="after")
    def _bump_rules(self) -> Bumps:
        if self.pitch <= self.diameter:
            _fail("pitch", self.pitch, f"must be larger than the diameter {_fmt(self.diameter)}")
        if self.height + 3 * self.height_spread >= self.diameter:
            _fail("height", self.height, f"plus 3 x height_spread {_fmt(self.height_spread)} must stay below the "
                  f"diameter {_fmt(self.diameter)} so that every bump has a flat end")
        if self.height - 3 * self.height_spread <= 0:
            _fail("height_spread", self.height_spread, f"x 3 must stay below the height {_fmt(self.height)}")
        return self

    def end_radius(self, z: float, height: float | None = None) -> float:
        """Radius (mm) of the flat section at ``z`` above the base of a bump of ``height`` (default nominal)."""
        r, h = self.diameter / 2, self.height if height is None else height
        return math.sqrt(max(r * r - (z - h / 2) ** 2, 0.0))

    def volume(self, top: float | None = None, height: float | None = None) -> float:
        """Volume (mm3) of one bump of ``height`` (default nominal) cut at ``top`` above its base (default: its
        own flat end)."""
        h = self.height if height is None else height
        r, c, t = self.diameter / 2, h / 2, h if top is None else top
        return math.pi * (r * r * t - ((t - c) ** 3 + c**3) / 3)


class FirstEncapsulant(Model):
    """First encapsulant over the chip-mounting area (step 3), optionally polished (claim 4).

    ``thickness`` is the as-deposited height above the substrate's first surface; when omitted it is formed flush
    with the bump ends. ``polish_plane`` is the height above the first surface that polishing leaves.
    """

    thickness: Length | None = None
    polish: StrictBool = False
    polish_plane: Length | None = None
    material: MaterialName = "EMC_fine"


class Chip(Model):
    """Semiconductor chip mounted face-down (step 4); its bond pads sit on the bump ends, one per bump."""

    width: Length = 6.0
    length: Length = 6.0
    thickness: Length = 0.4
    offset_x: Offset = 0.0
    offset_y: Offset = 0.0
    pad_diameter: Length = 0.08
    pad_thickness: Length = 0.005
    material: MaterialName = "Si"
    pad_material: MaterialName = "Al"


class SecondEncapsulant(Model):
    """Second encapsulant (step 5): mold cap over the first surface.

    ``cap_thickness`` is the mold height above the substrate's first surface. With ``chip_back = "exposed"``
    (claim 7) the mold top is flush with the chip back and ``cap_thickness`` is derived; with ``"encapsulated"``
    (claim 6) the chip back must be covered by at least ``min_cover``. Footprint defaults to the substrate's.
    """

    width: Length | None = None
    length: Length | None = None
    cap_thickness: Length | None = None
    chip_back: Literal["encapsulated", "exposed"] = "encapsulated"
    min_cover: Length = 0.05
    material: MaterialName = "EMC"


class HeatSink(Model):
    """Drop-in heat sink (claim 8): a plate on four corner legs standing on the first surface, inside the mold."""

    width: Length = 10.0
    length: Length = 10.0
    thickness: Length = 0.2
    standoff: Length = 0.6
    leg_width: Length = 0.8
    min_clearance: Length = 0.05
    material: MaterialName = "Cu"


class BallPads(Model):
    """Copper ball pads on the second surface, one per solder ball."""

    diameter: Length = 0.5
    thickness: Length = 0.02
    material: MaterialName = "Cu"


class SolderBalls(Grid):
    """Solder balls after reflow (step 6): a sphere of ``diameter`` cut flat at the pad, ``height`` from pad to
    apex (the stand-off)."""

    pitch: Length = 1.0
    count_x: Count = 10
    count_y: Count = 10
    diameter: Length = 0.6
    height: Length = 0.5
    diameter_spread: Spread = 0.0
    material: MaterialName = "SAC305"

    @model_validator(mode="after")
    def _ball_rules(self) -> SolderBalls:
        if self.pitch <= self.diameter + 3 * self.diameter_spread:
            _fail("pitch", self.pitch, f"must be larger than the diameter {_fmt(self.diameter)} (plus 3 x "
                  f"diameter_spread {_fmt(self.diameter_spread)}) or neighbouring balls overlap")
        if 3 * self.diameter_spread >= self.diameter / 2:
            _fail("diameter_spread", self.diameter_spread, f"x 3 must stay below half the diameter "
                  f"{_fmt(self.diameter)}")
        if not self.diameter / 2 < self.height < self.diameter:
            _fail("height", self.height, f"must lie between half the diameter and the diameter "
                  f"({_fmt(self.diameter / 2)}, {_fmt(self.diameter)}) for a reflowed ball on a pad")
        return self

    def contact_radius(self) -> float:
        """Radius (mm) of the ball's flat contact with its pad (the largest, with 3 sigma of spread)."""
        k = 1 + 3 * self.diameter_spread / self.diameter
        r, h = self.diameter / 2 * k, self.height * k
        return math.sqrt(r * r - (h - r) ** 2)

    def volume(self) -> float:
        """Volume (mm3) of one nominal ball: a sphere cap of height ``height``."""
        r, h = self.diameter / 2, self.height
        return math.pi * h * h * (3 * r - h) / 3

    def diameters(self, seed: int) -> np.ndarray:
        """Diameter of every ball (mm), in :meth:`positions` order; the height scales with it (similar caps)."""
        return sampled(self.diameter, self.diameter_spread, self.count, seed, 2)


class FlipChipDesign(Model):
    """A complete flip-chip design (claims 1-8 of 000_9630dddb18a83760.txt)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    flow: Literal["flip-chip"] = "flip-chip"
    description: str = ""
    seed: Seed = 0
    substrate: Substrate = Substrate()
    chip_area: Rect = Rect(width=8.0, length=8.0)
    bump_pads: BumpPads = BumpPads()
    bumps: Bumps = Bumps()
    first_encapsulant: FirstEncapsulant = FirstEncapsulant()
    chip: Chip = Chip()
    second_encapsulant: SecondEncapsulant = SecondEncapsulant(cap_thickness=0.8)
    heat_sink: HeatSink | None = None
    ball_pads: BallPads = BallPads()
    solder_balls: SolderBalls = SolderBalls()

    # --- derived z-levels (mm, z = 0 at the substrate's second surface) ---
    @property
    def z_first_surface(self) -> float:
        return self.substrate.thickness

    @property
    def z_bump_base(self) -> float:
        return self.z_first_surface + (self.bump_pads.thickness if self.bump_pads.enabled else 0.0)

    @property
    def z_bump_end(self) -> float:
        """Height of the bump ends as disposed in step 2."""
        return self.z_bump_base + self.bumps.height

    @property
    def z_encapsulant_deposited(self) -> float:
        t = self.first_encapsulant.thickness
        return self.z_bump_end if t is None else self.z_first_surface + t

    @property
    def z_first_top(self) -> float:
        """Top of the first encapsulant after step 3 (and the claim-4 polish): where the chip pads land."""
        fe = self.first_encapsulant
        if fe.polish:
            return self.z_first_surface + fe.polish_plane
        return self.z_encapsulant_deposited

    @property
    def z_chip_face(self) -> float:
        return self.z_first_top + self.chip.pad_thickness

    @property
    def z_chip_back(self) -> float:
        return self.z_chip_face + self.chip.thickness

    @property
    def z_mold_top(self) -> float:
        se = self.second_encapsulant
        return self.z_chip_back if se.chip_back == "exposed" else self.z_first_surface + se.cap_thickness

    @property
    def z_seating_plane(self) -> float:
        return -self.ball_pads.thickness - self.solder_balls.height

    @property
    def mold_footprint(self) -> tuple[float, float]:
        se = self.second_encapsulant
        return (se.width or self.substrate.width, se.length or self.substrate.length)

    @property
    def bump_sites(self) -> np.ndarray:
        """(N, 2) bump centres on the substrate (mm); the array is centred on the chip-mounting area."""
        return self.bumps.positions()

    def bump_heights(self) -> np.ndarray:
        """Height of every bump as disposed (mm), in :attr:`bump_sites` order (``bumps.height_spread``)."""
        return sampled(self.bumps.height, self.bumps.height_spread, self.bumps.count, self.seed, 1)

    @property
    def chip_pad_sites(self) -> np.ndarray:
        """(N, 2) chip pad centres: the bump layout, moved with the chip's placement offset (mm)."""
        return self.bumps.positions() + np.array([self.chip.offset_x, self.chip.offset_y])

    @model_validator(mode="after")
    def _design_rules(self) -> FlipChipDesign:
        check_portable_name(self.name)
        s, area, b, pads, fe, chip = (self.substrate, self.chip_area, self.bumps, self.bump_pads,
                                      self.first_encapsulant, self.chip)
        se, hs, balls, bp = self.second_encapsulant, self.heat_sink, self.solder_balls, self.ball_pads
        if area.width > s.width or area.length > s.length:
            _fail("chip_area.width", area.width, f"x length {_fmt(area.length)} must fit on the substrate "
                  f"{_fmt(s.width)} x {_fmt(s.length)}")
        bx, by = b.span_x + b.pitch, b.span_y + b.pitch
        if bx > area.width + TOL or by > area.length + TOL:
            _fail("bumps.count_x", b.count_x, f"x count_y {b.count_y} at pitch {_fmt(b.pitch)} needs {bx:.4g} x "
                  f"{by:.4g} mm (the array plus half a pitch each side), outside the chip-mounting area "
                  f"{_fmt(area.width)} x {_fmt(area.length)}")
        base_d = 2 * b.end_radius(0.0)
        if pads.enabled:
            if pads.diameter >= b.pitch:
                _fail("bump_pads.diameter", pads.diameter, f"must be below bumps.pitch {_fmt(b.pitch)}")
            if pads.diameter + TOL < base_d:
                _fail("bump_pads.diameter", pads.diameter, f"must cover the bump base, diameter {base_d:.4g}")
        rel_top = fe.thickness if fe.thickness is not None else None
        if fe.polish:
            if fe.polish_plane is None:
                _fail("first_encapsulant.polish_plane", None, "is required when polish = true (claim 4)")
            plane, base, end = fe.polish_plane, self.z_bump_base - s.thickness, self.z_bump_end - s.thickness
            if plane <= base + TOL:
                _fail("first_encapsulant.polish_plane", plane, f"removes every bump whole: it must lie above the "
                      f"bump base at {base:.4g}")
            if plane > end + TOL:
                _fail("first_encapsulant.polish_plane", plane, f"leaves the bump ends unexposed: it must not lie "
                      f"above the bump ends at {end:.4g}")
            if rel_top is not None and plane >= rel_top:
                _fail("first_encapsulant.polish_plane", plane, f"must lie below the as-deposited "
                      f"first_encapsulant.thickness {_fmt(rel_top)}")
        elif fe.polish_plane is not None:
            _fail("first_encapsulant.polish_plane", fe.polish_plane, "is only allowed with polish = true")
        if rel_top is not None and rel_top <= self.z_bump_base - s.thickness:
            _fail("first_encapsulant.thickness", rel_top, "must exceed the bump pads")
        cx0, cx1 = chip.offset_x - chip.width / 2, chip.offset_x + chip.width / 2
        cy0, cy1 = chip.offset_y - chip.length / 2, chip.offset_y + chip.length / 2
        if max(-cx0, cx1) > area.width / 2 + TOL or max(-cy0, cy1) > area.length / 2 + TOL:
            _fail("chip.width", chip.width, f"x length {_fmt(chip.length)} at offset ({_fmt(chip.offset_x)}, "
                  f"{_fmt(chip.offset_y)}) must lie on the first encapsulant, the chip-mounting area "
                  f"{_fmt(area.width)} x {_fmt(area.length)}")
        px, py = b.span_x + chip.pad_diameter, b.span_y + chip.pad_diameter
        if px > chip.width + TOL or py > chip.length + TOL:
            _fail("chip.width", chip.width, f"x length {_fmt(chip.length)} is smaller than its pad array "
                  f"{px:.4g} x {py:.4g} (bump layout plus one pad diameter)")
        if chip.pad_diameter >= b.pitch:
            _fail("chip.pad_diameter", chip.pad_diameter, f"must be below bumps.pitch {_fmt(b.pitch)}")
        mw, ml = self.mold_footprint
        if mw > s.width + TOL or ml > s.length + TOL:
            _fail("second_encapsulant.width", mw, f"x length {_fmt(ml)} must fit on the substrate")
        if mw + TOL < area.width or ml + TOL < area.length:
            _fail("second_encapsulant.width", mw, f"x length {_fmt(ml)} must cover the chip-mounting area "
                  f"{_fmt(area.width)} x {_fmt(area.length)}")
        back = self.z_chip_back - s.thickness
        if se.chip_back == "exposed":
            if se.cap_thickness is not None and abs(se.cap_thickness - back) > 1e-6:
                _fail("second_encapsulant.cap_thickness", se.cap_thickness, f"must be omitted or equal the chip "
                      f"back height {back:.4g} when chip_back is \"exposed\" (claim 7)")
        else:
            if se.cap_thickness is None:
                _fail("second_encapsulant.cap_thickness", None, 'is required when chip_back is "encapsulated"')
            if se.cap_thickness < back + se.min_cover - TOL:
                _fail("second_encapsulant.cap_thickness", se.cap_thickness, f"must cover the chip back at "
                      f"{back:.4g} by at least min_cover {_fmt(se.min_cover)} (claim 6)")
        if hs is not None:
            if se.chip_back == "exposed":
                _fail("heat_sink", "present", 'needs second_encapsulant.chip_back = "encapsulated": an exposed '
                      'chip back leaves no mold to encapsulate a heat sink over it (claim 8)')
            if hs.standoff < back + hs.min_clearance - TOL:
                _fail("heat_sink.standoff", hs.standoff, f"touches the chip: the plate must clear the chip back at "
                      f"{back:.4g} by heat_sink.min_clearance {_fmt(hs.min_clearance)}")
            if hs.standoff + hs.thickness > se.cap_thickness - TOL:
                _fail("heat_sink.standoff", hs.standoff, f"+ thickness {_fmt(hs.thickness)} must stay below the "
                      f"mold top at {_fmt(se.cap_thickness)} so the heat sink is encapsulated (claim 8)")
            if hs.width > mw - TOL or hs.length > ml - TOL:
                _fail("heat_sink.width", hs.width, f"x length {_fmt(hs.length)} must lie inside the mold footprint "
                      f"{_fmt(mw)} x {_fmt(ml)}")
            inner_x, inner_y = hs.width / 2 - hs.leg_width, hs.length / 2 - hs.leg_width
            if inner_x < area.width / 2 + hs.min_clearance or inner_y < area.length / 2 + hs.min_clearance:
                _fail("heat_sink.leg_width", hs.leg_width, f"puts the legs of a {_fmt(hs.width)} x "
                      f"{_fmt(hs.length)} heat sink on the chip-mounting area {_fmt(area.width)} x "
                      f"{_fmt(area.length)}")
        ex, ey = balls.span_x + balls.diameter, balls.span_y + balls.diameter
        if ex > s.width + TOL or ey > s.length + TOL:
            _fail("solder_balls.count_x", balls.count_x, f"at pitch {_fmt(balls.pitch)} spans {ex:.4g} x "
                  f"{ey:.4g} mm, beyond the substrate {_fmt(s.width)} x {_fmt(s.length)}")
        if bp.diameter >= balls.pitch:
            _fail("ball_pads.diameter", bp.diameter, f"must be below solder_balls.pitch {_fmt(balls.pitch)}")
        if bp.diameter + TOL < 2 * balls.contact_radius():
            _fail("ball_pads.diameter", bp.diameter, f"must cover the ball's contact, diameter "
                  f"{2 * balls.contact_radius():.4g}")
        return self


Design = Any
"""A design model of any flow: :class:`FlipChipDesign` or ``params_cavity.CavityDesign``."""


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _suggest(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """", did you mean 'x'?" for a misspelt key, from the fields of the model that ``loc`` points into."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        inner = [a for a in (getattr(ann, "__args__", None) or (ann,)) if isinstance(a, type)
                 and issubclass(a, BaseModel)]
        if not inner:
            return ""
        model = inner[0]
    near = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f", did you mean {near[0]!r}?" if near else ""


def format_error(err: ValidationError, model: type[BaseModel]) -> str:
    """One line per problem: ``field value rule``."""
    lines = []
    for e in err.errors(include_url=False):
        loc = _loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "value_error":
            lines.append(f"{loc}.{msg}" if loc else msg)
        elif e["type"] == "extra_forbidden":
            lines.append(f"{loc} is not a known parameter{_suggest(model, e['loc'])}")
        elif e["type"] == "missing":
            lines.append(f"{loc} is required")
        else:
            lines.append(f"{loc} {_fmt(e.get('input'))} {msg[:1].lower()}{msg[1:]}")
    return "\n".join(lines)


def design_models() -> dict[str, type[Model]]:
    """The design model of each flow, by flow name."""
    from .params_cavity import CavityDesign

    return {"flip-chip": FlipChipDesign, "cavity": CavityDesign}


def load_design(data: dict[str, Any]) -> Design:
    """Validate a recipe dictionary into a frozen design of its ``flow``; raises :class:`ParameterError`."""
    flow = data.get("flow")
    models = design_models()
    if not isinstance(flow, str) or flow not in models:
        raise ParameterError(f"flow {_fmt(flow)} must be one of {', '.join(repr(k) for k in models)}")
    try:
        return models[flow].model_validate(data)
    except ValidationError as e:
        raise ParameterError(format_error(e, models[flow])) from None
