"""The conductive elements of the flip-chip flow (claim 1, step 2): solder bumps or copper pillars with a solder cap,
each with a flat end, on an array of sites (mm).

Shapes (``Bumps.shape``):

- ``ball``: a solder bump, a sphere of ``diameter`` centred at half the ``height``, cut flat at its base and end
  (its base covers part of its pad);
- ``wetting``: a solder bump that wets a round base of ``base_diameter`` (default: its whole pad) and bulges to a
  sphere of ``diameter``, cut flat at ``height``;
- ``pillar``: a copper pillar of ``pillar_diameter`` and ``pillar_height`` with a solder cap wetting its top and
  bulging to ``diameter``, cut flat at ``height`` (the usual element at fine pitch).

Claim 2 names conductive bumps (``ball`` and ``wetting``); claim 3 names bumps of tin, lead or tin/lead.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ...core.arrays import Grid, check_spacing
from ...core.params import Count, Length, MaterialName, Spread, fail, fmt

Shape = Literal["ball", "wetting", "pillar"]
BUMP_SHAPES = ("ball", "wetting")
"""The shapes that are conductive bumps (claim 2)."""


class Bumps(Grid):
    """Conductive elements (claims 1-3): solder bumps or copper pillars with solder caps, flat-ended, on an array
    centred on the chip-mounting area."""

    pitch: Length = Field(0.2, description="Element pitch, centre to centre along x and y, mm; the array is centred "
                          "on the chip-mounting area (x = y = 0 at the chip's centre).")
    count_x: Count = Field(20, description="Element columns along x, a count.")
    count_y: Count = Field(20, description="Element rows along y, a count.")
    shape: Shape = Field("ball", description='"ball": a solder bump, sphere cut flat at base and end; "wetting": a '
                         'solder bump wetting its whole pad (or base_diameter); "pillar": a copper pillar with a '
                         "solder cap (no unit).")
    diameter: Length = Field(0.12, description="Diameter of the solder's sphere, mm: above the height (plus 3 x "
                             "height_spread), so every bump has a flat end.")
    height: Length = Field(0.09, description="Element height from its base (on its pad, or on the first surface "
                           "without pads) to its flat end, mm (claim 1, step 2)); a pillar's includes its cap.")
    height_spread: Spread = Field(0.0, description="Standard deviation of each element's height, mm (0: all "
                                  "nominal), drawn from the design seed.")
    base_diameter: Length | None = Field(None, description='Wetted base of a "wetting" bump, mm; omitted: its bond '
                                         "pad's diameter (the bump wets its whole pad).")
    pillar_diameter: Length | None = Field(None, description='Copper pillar diameter of a "pillar" element, mm; '
                                           "required for that shape.")
    pillar_height: Length | None = Field(None, description='Copper pillar height from its base of a "pillar" '
                                         "element, mm; its solder cap rises from there to `height`; required for "
                                         "that shape.")
    pillar_material: MaterialName = Field("Cu", description="Pillar metal, a material name.")
    material: MaterialName = Field("SnPb63", description='Bump solder (or a pillar\'s cap), a material name: "Sn", '
                                   '"Pb" or "SnPb63" for tin, lead or tin/lead (claim 3).')

    @model_validator(mode="after")
    def _bump_rules(self) -> Bumps:
        if self.is_rectangular and self.pitch_x is None and self.pitch_y is None:
            if self.pitch <= self.diameter:
                fail("pitch", self.pitch, f"must be larger than the diameter {fmt(self.diameter)}")
        else:
            check_spacing(self, self.diameter, f"the diameter {fmt(self.diameter)}")
        if self.shape == "ball" and self.height + 3 * self.height_spread >= self.diameter:
            fail("height", self.height, f"plus 3 x height_spread {fmt(self.height_spread)} must stay below the "
                 f"diameter {fmt(self.diameter)} so that every bump has a flat end")
        if self.shape == "pillar":
            if self.pillar_diameter is None or self.pillar_height is None:
                fail("pillar_height" if self.pillar_diameter is not None else "pillar_diameter", None,
                     'is required for shape "pillar"')
            if self.pillar_diameter > self.diameter:
                fail("pillar_diameter", self.pillar_diameter, f"must not exceed the cap's sphere diameter "
                     f"{fmt(self.diameter)}")
            if self.pillar_height >= self.height - 3 * self.height_spread:
                fail("pillar_height", self.pillar_height, f"leaves no solder cap: it must stay below the height "
                     f"{fmt(self.height)} (less 3 x height_spread {fmt(self.height_spread)})")
        elif self.pillar_diameter is not None or self.pillar_height is not None:
            key = "pillar_height" if self.pillar_height is not None else "pillar_diameter"
            fail(key, getattr(self, key), 'is only read for shape "pillar"')
        if self.base_diameter is not None:
            if self.shape != "wetting":
                fail("base_diameter", self.base_diameter, 'is only read for shape "wetting"')
            if self.base_diameter >= self.diameter:
                fail("base_diameter", self.base_diameter, f"must be below the sphere diameter {fmt(self.diameter)}")
        if self.height - 3 * self.height_spread <= 0:
            fail("height_spread", self.height_spread, f"x 3 must stay below the height {fmt(self.height)}")
        return self

    @property
    def is_bump(self) -> bool:
        """A conductive bump (claim 2): solder, ``ball`` or ``wetting``."""
        return self.shape in BUMP_SHAPES

    def solder_base(self) -> float:
        """Height (mm) of the solder's base above the element's base: the pillar height, else 0."""
        return float(self.pillar_height) if self.shape == "pillar" else 0.0

    def wetted(self, pad_diameter: float) -> float:
        """Diameter (mm) of the circle the solder wets: the pillar top, the base (default the pad) of a wetting
        bump; for a ``ball`` the section of its sphere at the base."""
        if self.shape == "pillar":
            return float(self.pillar_diameter)
        if self.shape == "wetting":
            return float(self.base_diameter if self.base_diameter is not None else pad_diameter)
        return 2 * self.end_radius(0.0, self.height)

    def centre(self, height: float, pad_diameter: float) -> float:
        """Height (mm) of the solder sphere's centre above the element's base, for an element of ``height``."""
        if self.shape == "ball":
            return height / 2
        r, rb = self.diameter / 2, self.wetted(pad_diameter) / 2
        return self.solder_base() + math.sqrt(r * r - rb * rb)

    def end_radius(self, z: float, height: float | None = None, pad_diameter: float | None = None) -> float:
        """Radius (mm) of the solder's section at ``z`` above the element's base, for an element of ``height``
        (default nominal) on a pad of ``pad_diameter`` (needed for a ``wetting`` bump without base_diameter)."""
        h = self.height if height is None else height
        r = self.diameter / 2
        c = h / 2 if self.shape == "ball" else self.centre(h, pad_diameter if pad_diameter is not None else 0.0)
        return math.sqrt(max(r * r - (z - c) ** 2, 0.0))

    def volume(self, top: float | None = None, height: float | None = None) -> float:
        """Volume (mm3) of one ``ball`` bump of ``height`` (default nominal) cut at ``top`` above its base (default:
        its own flat end)."""
        h = self.height if height is None else height
        r, c, t = self.diameter / 2, h / 2, h if top is None else top
        return math.pi * (r * r * t - ((t - c) ** 3 + c**3) / 3)

    def max_end_height(self, pad_diameter: float) -> float:
        """Highest flat end (mm above the element's base) the solder's sphere allows: its top less 1 um."""
        return self.centre(self.height, pad_diameter) + self.diameter / 2 - 1e-3
