"""The flip-chip flow's claim table: claims 1-8 of 000_9630dddb18a83760.txt, whether a design is the variant each
claims, and the checks that verify every limitation (names from :mod:`.names`).

With several chips: claims 2, 3 and 5 apply when every chip site has bumps (solder bumps, not copper pillars), of
tin, lead or tin/lead, on bond pads; claims 6 and 7 when some chip's back is covered, or exposed ("the chip" of a
dependent claim reads as at least one of the chips of claim 1); their checks run on each such chip.
"""

from __future__ import annotations

from ...core.claims import Claim, Limitation, always
from . import names as n

L = Limitation

CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Packaging process: substrate, bumps with flat ends, first encapsulant flush with the ends, chip "
             "face-down on the ends, second encapsulant over the chip, solder balls", None, always, (
        L("1) substrate with a first and a second surface, chip-mounting area on the first",
          (n.CHIP_MOUNTING_AREA, n.VALID_SOLIDS)),
        L("2) conductive elements on the chip-mounting area, connected to the substrate, each with a flat end",
          (n.BUMPS_SEATED, n.BUMPS_ENDS_EXPOSED)),
        L("3) first encapsulant on the chip-mounting area, top coplanar with the element ends, ends exposed",
          (n.BUMPS_END_COPLANARITY, n.BUMPS_ENDS_EXPOSED)),
        L("4) chip mounted face-down on the first encapsulant, bond pads on the exposed ends",
          (n.CHIP_PADS_ON_BUMPS, n.NO_INTERFERENCE)),
        L("5) second encapsulant on the first surface encapsulating the chip", (n.CHIP_ENCAPSULATED,)),
        L("6) solder balls on the second surface, connected to the substrate",
          (n.BALL_PADS_SEATED, n.SOLDER_BALLS_SEATED, n.SOLDER_BALLS_COPLANARITY)),
    )),
    Claim(2, "The conductive elements are conductive bumps", 1, lambda d: all(s.bumps.is_bump for s in d.sites()), (
        L("elements are bumps of an electrically conductive material", (n.BUMPS_CONDUCTIVE,)),
    )),
    Claim(3, "The bumps are made of tin, lead or tin/lead alloy", 2,
          lambda d: all(s.bumps.material in n.SOLDERS_CLAIM_3 for s in d.sites()), (
              L("bump material Sn, Pb or Sn/Pb", (n.BUMP_MATERIAL,)),
          )),
    Claim(4, "Polishing the first encapsulant and the elements after step 3)", 1,
          lambda d: d.first_encapsulant.polish, (
              L("a polish after forming the first encapsulant, removing encapsulant and bumps",
                (n.POLISH_AFTER_FIRST_ENCAPSULANT,)),
              L("polished ends coplanar with the encapsulant and exposed",
                (n.BUMPS_END_COPLANARITY, n.BUMPS_ENDS_EXPOSED)),
          )),
    Claim(5, "Bond pads on the chip-mounting area bonded to the elements, connected to the substrate", 1,
          lambda d: all(s.pads.enabled for s in d.sites()), (
              L("a bond pad on the substrate under each element", (n.SUBSTRATE_PADS_SEATED, n.BUMPS_SEATED)),
              L("chip pads bonded to the element ends", (n.CHIP_PADS_ON_BUMPS,)),
          )),
    Claim(6, "The chip's back (no bond pads) encapsulated by the second encapsulant", 1,
          lambda d: any(s.back == "encapsulated" for s in d.sites()), (
              L("chip back covered by the second encapsulant", (n.CHIP_BACK_ENCAPSULATED,)),
          )),
    Claim(7, "The chip's back exposed to the atmosphere", 1,
          lambda d: any(s.back == "exposed" for s in d.sites()), (
              L("chip back flush with the mold top and bare", (n.CHIP_BACK_EXPOSED,)),
          )),
    Claim(8, "A heat sink attached to the first surface after step 4), encapsulated in step 5)", 1,
          lambda d: d.heat_sink is not None, (
              L("attached to the first surface after mounting the chip, before the second encapsulant",
                (n.HEAT_SINK_ATTACHED,)),
              L("encapsulated by the second encapsulant, clear of the chip",
                (n.HEAT_SINK_ENCAPSULATED, n.HEAT_SINK_CLEARANCE)),
          )),
)
"""The claim table, in claim order."""
