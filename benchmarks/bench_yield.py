"""Draws per CPU second of the fast statistical paths (geometry.flows.flip_chip.tolerance and
geometry.flows.cavity.tolerance, issue 16).

Usage: python benchmarks/bench_yield.py [--quick]
Run by hand from the repository root; prints a table: the design, its bumps and balls, the draws, CPU and wall
seconds, draws per CPU second and the all-checks yield with its 95 % interval; every tolerance drawn (bump heights,
polish plane, ball and pad diameters, placement, warpage; the cavity's slice thickness). Targets (issue 16): the
mid-size design (1,600 bumps, 256 balls) at 10,000 draws under 60 s, fc-production (10,000 bumps, 1,156 balls) at
1,000 draws under 2 min, on 2 cores; cavity-production (676 balls) at 1,000 draws for reference. ``--quick`` runs
a tenth of the draws.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's geometry, not the installed one

MID = {
    "name": "fc-mid", "flow": "flip-chip",
    "substrate": {"width": 17.0, "length": 17.0, "thickness": 0.5},
    "chip_area": {"width": 9.0, "length": 9.0},
    "bump_pads": {"diameter": 0.11, "thickness": 0.015},
    "bumps": {"pitch": 0.2, "count_x": 40, "count_y": 40, "diameter": 0.12, "height": 0.09},
    "first_encapsulant": {"thickness": 0.12, "polish": True, "polish_plane": 0.1},
    "chip": {"width": 8.5, "length": 8.5, "thickness": 0.3},
    "second_encapsulant": {"cap_thickness": 0.6},
    "solder_balls": {"pitch": 1.0, "count_x": 16, "count_y": 16},
}
"""A mid-size flip-chip design: 40 x 40 bumps at 0.2 mm, 16 x 16 balls at 1.0 mm."""


def main(argv: list[str]) -> None:
    from geometry import api
    from geometry.flows import load_design
    from geometry.flows.cavity import tolerance as ct
    from geometry.flows.flip_chip import tolerance as ft

    scale = 10 if "--quick" in argv else 1
    fc = ft.Tolerances(bump_height=0.002, polish_plane=0.002, ball_diameter=0.01, placement=0.005, pad_diameter=0.003,
                       ball_pad_diameter=0.005, warpage=0.02, warpage_mean=0.03)
    cases = [("fc-mid", ft, load_design(MID), fc, 10_000 // scale),
             ("fc-production", ft, api.load(ROOT / "builds/flip-chip/fc-production.toml"), fc, 1_000 // scale),
             ("cavity-production", ct, api.load(ROOT / "builds/cavity/cavity-production.toml"),
              ct.Tolerances(slice_thickness=0.01, ball_diameter=0.01, pad_diameter=0.005), 1_000 // scale)]
    print(f"{'design':<18} {'bumps':>6} {'balls':>6} {'draws':>7} {'cpu s':>7} {'wall s':>7} {'draws/cpu s':>11} "
          f"{'yield':>7} {'95 % CI':>17}")
    for name, fast, d, tol, n in cases:
        c0, w0 = time.process_time(), time.perf_counter()
        s = fast.study(d, tol, n, seed=1)
        summary = s.summary()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        y = summary["yield"]["all"]
        bumps = getattr(s.nominal, "bump_count", 0)
        print(f"{name:<18} {bumps:>6} {len(s.nominal.ball_xy):>6} {n:>7} {cpu:>7.2f} {wall:>7.2f} {n / cpu:>11.0f} "
              f"{y['yield']:>7.4f} [{y['ci_low']:.4f}, {y['ci_high']:.4f}]")


if __name__ == "__main__":
    main(sys.argv[1:])
