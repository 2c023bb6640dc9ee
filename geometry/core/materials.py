"""Material table: density (g/cm3), thermal conductivity (W/m.K), whether it conducts electricity, a display
colour (RGBA, 0-1) and the public source of the conductivity.

Figures are typical public datasheet or handbook values at about 300 K, rounded; they feed masses in the
manifest and the first-order thermal estimate (:mod:`geometry.thermal`), not sign-off analyses. Mass in mg is
volume in mm3 times density in g/cm3.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Material:
    name: str
    description: str
    density: float  # g/cm3
    conductivity: float  # W/(m.K)
    color: tuple[float, float, float, float]
    conductor: bool = False
    """An electrical conductor (a metal): what "conductive" means in a claim."""
    source: str = ""
    """Where the conductivity figure comes from (handbook or datasheet, by name)."""

    def mass_mg(self, volume_mm3: float) -> float:
        """Mass in mg of ``volume_mm3`` of this material."""
        return volume_mm3 * self.density


CRC = "CRC Handbook of Chemistry and Physics, thermal conductivity of the elements at 300 K"

MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("BT", "BT-epoxy laminate substrate core", 1.85, 0.4, (0.20, 0.45, 0.25, 1.0),
                 conductor=False,
                 source="Mitsubishi Gas Chemical BT laminate datasheets: through-plane 0.35-0.6 W/m.K"),
        Material("Cu", "copper", 8.96, 398.0, (0.85, 0.50, 0.20, 1.0),
                 conductor=True, source=CRC + " (401); 398 for commercial OFHC copper"),
        Material("Si", "silicon", 2.33, 148.0, (0.30, 0.32, 0.40, 1.0),
                 conductor=False,
                 source="Glassbrenner and Slack, Phys. Rev. 134, A1058 (1964); CRC Handbook: 148 at 300 K"),
        Material("Al", "aluminium (chip bond pads)", 2.70, 237.0, (0.80, 0.80, 0.85, 1.0),
                 conductor=True, source=CRC + " (237)"),
        Material("Sn", "pure tin (claim 3)", 7.29, 66.8, (0.75, 0.75, 0.78, 1.0),
                 conductor=True, source=CRC + " (66.8)"),
        Material("Pb", "lead (claim 3)", 11.34, 35.3, (0.45, 0.45, 0.50, 1.0),
                 conductor=True, source=CRC + " (35.3)"),
        Material("SnPb63", "eutectic tin/lead 63/37 (claim 3)", 8.40, 50.0, (0.70, 0.70, 0.72, 1.0),
                 conductor=True,
                 source="NIST solder properties database (Sn63Pb37, about 50 W/m.K at room temperature)"),
        Material("SAC305", "Sn96.5Ag3.0Cu0.5 lead-free solder", 7.38, 58.0, (0.78, 0.78, 0.80, 1.0),
                 conductor=True,
                 source="Indium Corporation and Kester SAC305 alloy datasheets (58-64 W/m.K)"),
        Material("EMC", "epoxy mold compound, silica filled", 1.95, 0.9, (0.12, 0.12, 0.13, 0.85),
                 conductor=False,
                 source="silica-filled epoxy mold compound datasheets (e.g. Sumitomo EME series): 0.7-1.0"),
        Material("EMC_fine", "fine-filler epoxy encapsulant for bump layers", 1.90, 0.7, (0.35, 0.30, 0.25, 0.85),
                 conductor=False,
                 source="fine-filler epoxy encapsulant and molded-underfill datasheets: 0.5-0.8"),
        Material("Au", "gold bond wire", 19.32, 318.0, (1.00, 0.80, 0.20, 1.0),
                 conductor=True, source=CRC + " (317)"),
        Material("die_attach", "silver-filled epoxy die attach", 3.60, 2.5, (0.65, 0.65, 0.60, 1.0),
                 conductor=False,
                 source="silver-filled epoxy die-attach datasheets (e.g. Loctite Ablestik 84-1LMISR4: 2.5)"),
        Material("adhesive_film", "epoxy film adhesive", 1.30, 0.3, (0.90, 0.85, 0.55, 1.0),
                 conductor=False, source="epoxy film adhesive datasheets, unfilled epoxy: 0.2-0.3"),
        Material("underfill", "epoxy gap-fill adhesive, silica filled", 1.70, 0.55, (0.55, 0.45, 0.70, 1.0),
                 conductor=False, source="silica-filled epoxy underfill datasheets: 0.4-0.7"),
    )
}


def material(name: str) -> Material:
    """Look up a material by name; KeyError names the known ones."""
    try:
        return MATERIALS[name]
    except KeyError:
        raise KeyError(f"unknown material {name!r}; known: {', '.join(sorted(MATERIALS))}") from None
