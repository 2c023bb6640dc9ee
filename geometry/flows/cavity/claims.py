"""The cavity flow's claim table: claims 1-11 of 003_f6beeb7f75e78ceb.txt, whether a design embodies each, and the
checks that verify every limitation (names from :mod:`.names`)."""

from __future__ import annotations

from ...core.claims import Claim, Limitation, always
from . import names as n

L = Limitation

CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Method: substrate with an opening and bottom pads, metal slice under it, die in or over the "
             "opening, bond wires, mold compound, slice partly removed into a heat slug", None, always, (
        L("substrate with an opening and bond pads on its bottom surface",
          (n.SUBSTRATE_OPENING, n.BOTTOM_PADS_SEATED)),
        L("metal slice on the bottom surface covering the opening and the pads", (n.SLICE_COVERS,)),
        L("die on the slice inside the opening, or on the top surface over it", (n.DIE_ATTACHED,)),
        L("bond wires from the die top to the substrate top: a ball bond on each die pad, a loop per finger tier "
          "clear of the other wires, a stitch touching its finger over a contact area",
          (n.BOND_WIRES_CONNECT, n.BOND_WIRES_CLEAR, n.BOND_WIRES_CLEARANCE, n.BALL_BOND_CLEARANCE,
           n.WIRES_CLEAR_OF_DIE_EDGES)),
        L("mold compound covering the die, the wires and part of the substrate top",
          (n.DIE_ENCAPSULATED, n.BOND_WIRES_COVER, n.EMBEDDED_IN_MOLD, n.MOLD_ON_SUBSTRATE)),
        L("part of the slice removed: a heat slug thermally connected to the die, the pads exposed",
          (n.THERMAL_PATH, n.BOTTOM_PADS_EXPOSED, n.SLICE_ETCHED)),
        L("the package as a whole: valid solids, no overlaps", (n.VALID_SOLIDS, n.NO_INTERFERENCE)),
    )),
    Claim(2, "Solder balls flush with each other on the pads, after removing the slice part", 1, always, (
        L("balls on the bond pads, formed after the removal", (n.SOLDER_BALLS_SEATED,)),
        L("balls flush with each other", (n.SOLDER_BALLS_COPLANARITY,)),
    )),
    Claim(3, "The heat slug thinner than each solder ball is tall", 2, always, (
        L("slug thickness below every ball height", (n.SLUG_BELOW_BALLS,)),
    )),
    Claim(4, "The metal slice disposed with an adhesive agent", 1, always, (
        L("slice held to the substrate's bottom by an adhesive", (n.SLICE_ATTACHED,)),
    )),
    Claim(5, "Die smaller than the opening on the slice by adhesive, the gap filled with another adhesive", 1,
          lambda d: d.die.placement == "inside" and d.die_fit == "smaller", (
              L("die on an adhesive on the slice, inside the opening", (n.DIE_ATTACHED,)),
              L("gap between die and opening wall filled with another adhesive", (n.GAP_FILLED,)),
          )),
    Claim(6, "Die equal to the opening on the slice by adhesive", 1,
          lambda d: d.die.placement == "inside" and d.die_fit == "equal", (
              L("die on an adhesive on the slice, inside the opening", (n.DIE_ATTACHED,)),
              L("die fills the opening wall to wall", (n.NO_GAP,)),
          )),
    Claim(7, "Die larger than the opening on the substrate top by adhesive, the adhesive filling the opening", 1,
          lambda d: d.die.placement == "over", (
              L("die on an adhesive on the top surface, over the opening", (n.DIE_ATTACHED,)),
              L("adhesive fills the opening between die and slice", (n.OPENING_FILLED,)),
          )),
    Claim(8, "The die thermally connected to the heat slug by the adhesive", 7, always, (
        L("continuous adhesive path from die to slug", (n.THERMAL_PATH,)),
    )),
    Claim(9, "The metal slice made of copper", 1, lambda d: d.metal_slice.material == "Cu", (
        L("slice material copper", (n.SLICE_MATERIAL,)),
    )),
    Claim(10, "The heat slug made of copper", 9, always, (
        L("slug material copper", (n.SLUG_MATERIAL,)),
    )),
    Claim(11, "Removing by etching the slice into a heat slug thermally connected to the die", 1, always, (
        L("slice etched through a mask into the slug, pads exposed", (n.SLICE_ETCHED, n.BOTTOM_PADS_EXPOSED)),
        L("slug thermally connected to the die", (n.THERMAL_PATH,)),
    )),
)
"""The claim table, in claim order."""
