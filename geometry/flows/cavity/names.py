"""Names of the cavity flow's bodies, steps and checks: the STEP component names, manifest keys and claim-table
entries, each written once here so a failing check name can be found with grep."""

from ...core.flow import StepText

# bodies
SUBSTRATE = "substrate"
BOND_FINGERS = "bond_fingers"
BOTTOM_PADS = "bottom_pads"
SLICE_ADHESIVE = "slice_adhesive"
METAL_SLICE = "metal_slice"
HEAT_SLUG = "heat_slug"
DIE_ADHESIVE = "die_adhesive"
GAP_FILL = "gap_fill"
DIE = "die"
DIE_PADS = "die_pads"
BOND_WIRES = "bond_wires"
MOLD_COMPOUND = "mold_compound"
SOLDER_BALLS = "solder_balls"

# steps
PROVIDE_SUBSTRATE = "provide_substrate"
DISPOSE_SLICE = "dispose_slice"
DISPOSE_DIE = "dispose_die"
FORM_BOND_WIRES = "form_bond_wires"
FORM_MOLD = "form_mold"
ETCH_SLICE = "etch_slice"
FORM_SOLDER_BALLS = "form_solder_balls"

STEP_TEXTS = (
    StepText(PROVIDE_SUBSTRATE, "Provide a substrate with an opening and bottom bond pads", "1", "providing"),
    StepText(DISPOSE_SLICE, "Dispose the metal slice with adhesive under the substrate", "1; 4; 9",
             "disposing a metal slice"),
    StepText(DISPOSE_DIE, "Dispose the die in or over the opening", "1; 5, 6 or 7-8", "disposing a die"),
    StepText(FORM_BOND_WIRES, "Form bond wires from the die to the substrate top", "1", "forming bond wires"),
    StepText(FORM_MOLD, "Form the mold compound over die, wires and part of the substrate", "1",
             "forming an encapsulating mold compound"),
    StepText(ETCH_SLICE, "Etch the slice into a heat slug, exposing the bottom pads", "1; 10; 11",
             "removing a part of the metal slice"),
    StepText(FORM_SOLDER_BALLS, "Form solder balls flush with each other on the bottom pads", "2; 3", ""),
)
"""Every step of the flow in process order, with the claim text it realises."""

# checks
NO_INTERFERENCE = "no_interference"
BOND_WIRES_CLEAR = "bond_wires_clear"
EMBEDDED_IN_MOLD = "embedded_in_mold_compound"
DIE_ENCAPSULATED = "die_encapsulated"
MOLD_ON_SUBSTRATE = "mold_on_substrate"
BOND_WIRES_COVER = "bond_wires_cover"
BOND_WIRES_CONNECT = "bond_wires_connect"
BOND_WIRES_CLEARANCE = "bond_wires_clearance"
BALL_BOND_CLEARANCE = "ball_bond_clearance"
WIRES_CLEAR_OF_DIE_EDGES = "wires_clear_of_die_edges"
SLICE_COVERS = "slice_covers"
SLICE_ATTACHED = "slice_attached"
DIE_ATTACHED = "die_attached"
GAP_FILLED = "gap_filled"
NO_GAP = "no_gap"
OPENING_FILLED = "opening_filled"
THERMAL_PATH = "thermal_path"
BOTTOM_PADS_EXPOSED = "bottom_pads_exposed"
SOLDER_BALLS_COPLANARITY = "solder_balls_coplanarity"
SOLDER_BALLS_GAP = "solder_balls_gap"
BOTTOM_PADS_GAP = "bottom_pads_gap"
SLUG_BELOW_BALLS = "heat_slug_below_solder_balls"
VALID_SOLIDS = "valid_solids"
SUBSTRATE_OPENING = "substrate_opening"
BOTTOM_PADS_SEATED = "bottom_pads_seated"
SLICE_ETCHED = "slice_etched"
SOLDER_BALLS_SEATED = "solder_balls_seated"
BALLS_AFTER_ETCH = "balls_after_etch"
SLICE_MATERIAL = "slice_material"
SLUG_MATERIAL = "slug_material"

CLAIM_LIMITATIONS = frozenset({DIE_ENCAPSULATED, MOLD_ON_SUBSTRATE, SLICE_COVERS, SLICE_ATTACHED, GAP_FILLED, NO_GAP,
                               OPENING_FILLED, THERMAL_PATH, SUBSTRATE_OPENING, SLICE_ETCHED, SLICE_MATERIAL,
                               SLUG_MATERIAL})
"""Checks that only say whether the design embodies a claim (the die's mold cover, the slice's cover, adhesive and
etch, the gap fills of claims 5-7, the thermal path, the opening, copper): a design that fails them is reported as
not embodying those claims and still exports. Every other check is a design rule."""
