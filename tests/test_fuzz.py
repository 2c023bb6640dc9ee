"""Property-based tests over the parameter space of both flows (recipes from tests/fuzzing.py).

Every generated recipe is either refused with the project's :class:`ParameterError`, each line naming a field and
then the value and the rule, or accepted; every accepted one builds solids that are valid, closed and of positive
volume, with a complete check report. Builds run on the sweep's local pool, so a hang or a crash of the kernel is a
``timeout`` or ``error`` row instead of a stuck test run. The 10,000-recipe campaign is benchmarks/fuzz_campaign.py.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from geometry.core.flow import Flow
from geometry.core.occ import KernelError
from geometry.core.params import ParameterError
from geometry.flows import FLOWS, load_design
from geometry.sweep.runners import run_local
from tests.conftest import ROOT
from tests.fuzzing import LINE, bases, judge, recipes

QUICK = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


@QUICK
@given(recipes())
def test_every_recipe_is_accepted_or_refused_with_field_value_and_rule(recipe):
    try:
        design = load_design(recipe)
    except ParameterError as e:
        lines = str(e).splitlines()
        assert lines and all(LINE.match(line) for line in lines), str(e)
        flow = FLOWS.get(recipe.get("flow")) if isinstance(recipe.get("flow"), str) else None
        model = flow.model if flow else None
        known = set(model.model_fields) if model else {"flow"}
        for line in lines:  # the field is a parameter of the design, or the unknown key the recipe gave
            top = line.split(" ", 1)[0].split(".")[0].split("[")[0]
            assert top in known or top in recipe, (line, sorted(recipe))
        return
    assert design.flow == recipe["flow"] and design.name == recipe["name"]


@QUICK
@given(st.sampled_from(["flip-chip", "cavity"]), st.sampled_from([["x"], {"a": 1}, 3, None, True, "Flip-Chip"]))
def test_a_bad_flow_of_any_type_is_refused(flow_ok, flow):
    with pytest.raises(ParameterError, match=r"^flow .* must be one of 'flip-chip', 'cavity'$"):
        load_design({"name": "x", "flow": flow})
    assert load_design({"name": "x", "flow": flow_ok}).flow == flow_ok


def _generated(count: int, flow: str) -> list[dict]:
    out: list[dict] = []

    @settings(max_examples=count, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(recipes(max_mutations=3, valid_bias=True, flow=flow))
    def collect(recipe):
        out.append(recipe)

    collect()
    return out


def _batch(flow: str, accepted: int, refused: int, draws: int = 80) -> list[dict]:
    """The first ``accepted`` recipes of ``draws`` generated for ``flow`` that load and the first ``refused`` that
    do not: a fixed mix however the models' keys move the generator's draws (each new recipe key shifts them)."""
    ok, bad = [], []
    for recipe in _generated(draws, flow):
        try:
            load_design(recipe)
            ok.append(recipe)
        except ParameterError:
            bad.append(recipe)
    assert len(ok) >= accepted and len(bad) >= refused, (flow, len(ok), len(bad))
    return ok[:accepted] + bad[:refused]


def test_accepted_recipes_build_valid_closed_solids_with_complete_reports():
    batch = _batch("flip-chip", 5, 10) + _batch("cavity", 4, 10)
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        tasks = [(str(i), {"recipe": r, "export_dir": f"{scratch}/e{i}" if i % 8 == 0 else None})
                 for i, r in enumerate(batch)]
        run_local(tasks, lambda k, row: rows.__setitem__(k, row), workers=1, timeout=120.0, fn=judge)
    assert len(rows) == len(batch)
    bad = {k: (r.get("outcome") or r.get("status"), r.get("reason")) for k, r in rows.items()
           if r.get("outcome") not in ("accepted", "rejected")}
    assert not bad, bad
    accepted = [r for r in rows.values() if r["outcome"] == "accepted"]
    assert len(accepted) == 9 and {r["flow"] for r in accepted} == {"flip-chip", "cavity"}
    assert all(r["checks"] >= 7 for r in accepted)
    assert sum(r["partial"] for r in rows.values()) == 0


def test_judge_reports_a_kernel_exception_as_a_crash(monkeypatch):
    """The verdict can fail: an exception in the flow of an accepted recipe is a crash, not a rejection."""
    def boom(self, design, before_step=None):
        raise KernelError("injected")

    monkeypatch.setattr(Flow, "run", boom)
    row = judge(bases()[0])
    assert row["outcome"] == "crash" and row["reason"].startswith("build: KernelError: injected")


@pytest.mark.slow
def test_fuzz_campaign_of_a_thousand_recipes():
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz_campaign.py"), "--count", "1000"],
                       capture_output=True, text=True, timeout=3600, check=False)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "| 1000 |" in p.stdout
