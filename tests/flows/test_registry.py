"""The flow registry: both claimed flows are registered, and a third flow needs nothing but its own Flow object and
one registry entry: every layer above (recipes, API, checks, claims, manifest, export, report, sections) reaches it
through the build, never by name."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from geometry import api, flows
from geometry.checks import arrays, solids
from geometry.core import parts, process
from geometry.core.claims import Claim, Limitation, always
from geometry.core.flow import Flow, Kernel, Step, Views
from geometry.core.models import BallPads, DesignBase, SolderBalls, Substrate
from geometry.core.params import ParameterError
from geometry.core.stack import Body
from geometry.output.drawing import section_figure
from geometry.thermal.network import Thermal, slab


class SlabDesign(DesignBase):
    """A toy third process: a substrate on solder balls."""

    flow: Literal["slab"] = "slab"
    substrate: Substrate = Substrate()
    ball_pads: BallPads = BallPads()
    solder_balls: SolderBalls = SolderBalls()


def _substrate(stack, d: SlabDesign):
    s = d.substrate
    pads = process.pad_array("ball_pads", d.ball_pads, d.solder_balls.positions(), -d.ball_pads.thickness)
    return process.attach(stack, Body.one("substrate", s.material, parts.slab(s.width, s.length, 0.0, s.thickness)),
                          pads)


def _balls(stack, d: SlabDesign):
    return process.place_balls(stack, "solder_balls", d.solder_balls, -d.ball_pads.thickness, d.seed)


def _checks(build):
    return [solids.valid_solids(build.stack, "valid_solids", claim="claim 1"),
            arrays.ball_coplanarity(build.stack, "solder_balls_coplanarity", "solder_balls", claim="claim 1")]


def _thermal(build) -> Thermal:
    b = build.stack["substrate"].bounds()
    e = slab("board", "substrate", "BT", float(b[5] - b[2]), float((b[3] - b[0]) * (b[4] - b[1])))
    return Thermal((e,), float("inf"), e.r)


STEPS = (Step("substrate", "Provide the substrate and its pads", "1", "a)", _substrate),
         Step("balls", "Attach the balls", "1", "b)", _balls))
SLAB = Flow("slab", "toy.txt", SlabDesign,
            (Claim(1, "A substrate on flush balls", None, always,
                   (Limitation("balls flush", ("solder_balls_coplanarity", "valid_solids")),)),),
            lambda: Kernel(lambda d: STEPS, STEPS, (_checks,), _thermal,
                           Views(lambda d: {"z_top": d.substrate.thickness},
                                 {"centre": lambda d: 0.0, "row": lambda d: 0.0, "balls": lambda d: 0.0})))


def test_the_claimed_flows_are_registered() -> None:
    assert sorted(flows.FLOWS) == ["cavity", "flip-chip"]
    for name, flow in flows.FLOWS.items():
        assert flow.name == name and flow.checks and flow.claims and flow.all_steps
        assert flows.flow_named(name) is flow


def test_unknown_flow_refused_with_the_registry() -> None:
    with pytest.raises(ParameterError, match="flow 'nope' must be one of 'flip-chip', 'cavity'"):
        flows.flow_named("nope")
    with pytest.raises(ParameterError, match="flow 3 must be one of"):
        flows.load_design({"name": "x", "flow": 3})


def test_a_third_flow_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setitem(flows.FLOWS, "slab", SLAB)
    design = api.parse('name = "toy"\nflow = "slab"\n[solder_balls]\ncount_x = 3\ncount_y = 2\n')
    build = api.run(design)
    assert build.flow is SLAB and [r.step.key for r in build.history] == ["substrate", "balls"]
    results = api.check(build)
    assert [r.name for r in results] == ["valid_solids", "solder_balls_coplanarity"] and all(r.passed for r in results)
    rows, _ = api.claims(build, results)
    assert [(r.number, r.status) for r in rows] == [(1, "embodied")]
    folder = api.export(build, results, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["flow"] == "slab"
    assert {b["name"]: b["count"] for b in manifest["bodies"]} == {"substrate": 1, "ball_pads": 6, "solder_balls": 6}
    _, content = api.report(build, results, tmp_path)
    assert content["claims_file"] == "toy.txt" and content["passed"]
    assert "A substrate on flush balls" in (folder / "report.md").read_text(encoding="utf-8")
    assert section_figure(build, tmp_path / "s.png").stat().st_size > 1000
