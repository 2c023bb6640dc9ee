"""Names of the flip-chip flow's bodies, steps and checks: the STEP component names, manifest keys and claim-table
entries, each written once here so a failing check name can be found with grep."""

from ...core.flow import StepText

# bodies
SUBSTRATE = "substrate"
SUBSTRATE_PADS = "substrate_pads"
BALL_PADS = "ball_pads"
BUMPS = "bumps"
PILLARS = "pillars"
FIRST_ENCAPSULANT = "first_encapsulant"
CHIP_PADS = "chip_pads"
CHIP = "chip"
HEAT_SINK = "heat_sink"
SECOND_ENCAPSULANT = "second_encapsulant"
SOLDER_BALLS = "solder_balls"

# steps
PREPARE_SUBSTRATE = "prepare_substrate"
DISPOSE_BUMPS = "dispose_bumps"
FORM_FIRST_ENCAPSULANT = "form_first_encapsulant"
POLISH = "polish"
MOUNT_CHIP = "mount_chip"
ATTACH_HEAT_SINK = "attach_heat_sink"
FORM_SECOND_ENCAPSULANT = "form_second_encapsulant"
IMPLANT_SOLDER_BALLS = "implant_solder_balls"

STEP_TEXTS = (
    StepText(PREPARE_SUBSTRATE, "Prepare the substrate with a chip-mounting area", "1", "1)"),
    StepText(DISPOSE_BUMPS, "Dispose conductive bumps with flat ends on the chip-mounting area", "1", "2)"),
    StepText(FORM_FIRST_ENCAPSULANT, "Form the first encapsulant, top coplanar with the bump ends", "1", "3)"),
    StepText(POLISH, "Polish the first encapsulant and the bumps", "4", ""),
    StepText(MOUNT_CHIP, "Mount the chip face-down, bond pads on the bump ends", "1", "4)"),
    StepText(ATTACH_HEAT_SINK, "Attach a heat sink to the first surface", "8", ""),
    StepText(FORM_SECOND_ENCAPSULANT, "Form the second encapsulant over the chip", "1", "5)"),
    StepText(IMPLANT_SOLDER_BALLS, "Implant solder balls on the second surface", "1", "6)"),
)
"""Every step of the flow in process order, with the claim text it realises."""

# checks
BUMPS_END_COPLANARITY = "bumps_end_coplanarity"
BUMPS_ENDS_EXPOSED = "bumps_ends_exposed"
CHIP_PADS_ON_BUMPS = "chip_pads_on_bumps"
NO_INTERFERENCE = "no_interference"
CHIP_BACK_ENCAPSULATED = "chip_back_encapsulated"
CHIP_BACK_EXPOSED = "chip_back_exposed"
HEAT_SINK_ENCAPSULATED = "heat_sink_encapsulated"
HEAT_SINK_CLEARANCE = "heat_sink_clearance"
SOLDER_BALLS_COPLANARITY = "solder_balls_coplanarity"
SOLDER_BALLS_GAP = "solder_balls_gap"
BUMPS_GAP = "bumps_gap"
SUBSTRATE_PADS_GAP = "substrate_pads_gap"
BALL_PADS_GAP = "ball_pads_gap"
VALID_SOLIDS = "valid_solids"
CHIP_MOUNTING_AREA = "chip_mounting_area"
BUMPS_SEATED = "bumps_seated"
PILLARS_SEATED = "pillars_seated"
PILLARS_CONDUCTIVE = "pillars_conductive"
CHIP_AREAS_APART = "chip_areas_apart"
CHIP_ENCAPSULATED = "chip_encapsulated"
BALL_PADS_SEATED = "ball_pads_seated"
SOLDER_BALLS_SEATED = "solder_balls_seated"
BUMPS_CONDUCTIVE = "bumps_conductive"
BUMP_MATERIAL = "bump_material"
SUBSTRATE_PADS_SEATED = "substrate_pads_seated"
POLISH_AFTER_FIRST_ENCAPSULANT = "polish_after_first_encapsulant"
HEAT_SINK_ATTACHED = "heat_sink_attached"

# materials
SOLDERS_CLAIM_3 = ("Sn", "Pb", "SnPb63")
"""Bump materials of claim 3: tin, lead or tin/lead alloy."""

CLAIM_LIMITATIONS = frozenset({CHIP_BACK_ENCAPSULATED, CHIP_BACK_EXPOSED, HEAT_SINK_ENCAPSULATED, CHIP_ENCAPSULATED,
                               BUMP_MATERIAL, POLISH_AFTER_FIRST_ENCAPSULANT, HEAT_SINK_ATTACHED})
"""Checks that only say whether the design embodies a claim (chip back covered or exposed, the heat sink and the
polish in their claimed order, the claim-3 solders, the chip wrapped by its mold): a design that fails them is
reported as not embodying those claims and still exports. Every other check is a design rule."""
