"""Refusals without OpenCascade (issue 14): reading, validating and budgeting a recipe or a sweep spec never
imports cadquery or OCP, so every refusal answers in some 75 MB instead of 530; the budget applies to
``api.run`` and to every sweep variant; each input file is read once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geometry import api, cli
from geometry.core import toml
from geometry.core.params import ParameterError
from geometry.flows import load_design
from geometry.flows.budget import BudgetError
from geometry.sweep import run_sweep
from tests.conftest import make_spec, small_recipe, write_recipe

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "hostile" / "budget" / "small-budget.toml"
"""fc-basic: valid, 1,412 members, refused by ``--budget 0.01``."""
KERNEL = ("cadquery", "OCP")


def _kernel_loaded(code: str) -> tuple[list[str], str]:
    """Run ``code`` in a fresh interpreter at the project root; the kernel packages it left in ``sys.modules`` and
    its stderr."""
    probe = f"{code}\nimport sys\nprint('kernel:', *(m for m in {KERNEL!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=False)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()[-1].split()[1:], out.stderr


def test_validation_and_budget_need_no_kernel() -> None:
    loaded, _ = _kernel_loaded(
        "import geometry.flows\n"
        "from geometry.flows.budget import estimate\n"
        "from geometry.recipes import load\n"
        f"d = load({str(SMALL)!r})\n"
        "c = estimate(d)\n"
        "assert d.name == 'fc-basic' and c.members == 1412, c")
    assert loaded == []


def test_the_kernel_loads_when_a_flow_runs() -> None:
    """The probe is not vacuous: running the flow's steps imports OpenCascade."""
    loaded, _ = _kernel_loaded(
        "from geometry.flows import FLOWS\n"
        "steps = FLOWS['flip-chip'].all_steps\n"
        "assert steps and steps[0].key")
    assert set(loaded) == set(KERNEL)


def test_step_texts_are_the_steps_the_kernel_runs() -> None:
    """``pkgcad list`` reads each flow's step texts; they are exactly the kernel's steps, in order."""
    from geometry.flows import FLOWS

    for flow in FLOWS.values():
        kernel = [(s.key, s.title, s.claim, s.clause) for s in flow.all_steps]
        assert [(t.key, t.title, t.claim, t.clause) for t in flow.step_texts] == kernel
        assert len(kernel) >= 7


@pytest.mark.parametrize("argv, status, message", [
    (["--help"], 0, ""),
    (["check", "tests/hostile/messages/count-as-float.toml"], 2, "bumps.count_x 20.0"),
    (["check", str(SMALL), "--budget", "0.01"], 2, "raise the budget with --budget"),
    (["sweep", "tests/hostile/sweep/filter-power-of-powers.toml", "-o", "{tmp}/s"], 2, "filter"),
    (["build", str(SMALL), "--budget", "0.01", "-o", "{tmp}/b"], 2, "over the resource budget"),
    (["schema", "flip-chip"], 0, ""),
    (["schema", "cavity", "--markdown", "-o", "{tmp}/cavity.md"], 0, ""),
    (["list", "builds"], 0, ""),
], ids=["help", "check-invalid", "check-budget", "sweep-spec", "build-budget", "schema", "schema-markdown", "list"])
def test_cli_refusals_and_schema_load_no_kernel(argv, status, message, tmp_path) -> None:
    """Refusals, ``pkgcad schema`` (from the pydantic models) and ``pkgcad list`` (step texts) answer without
    OpenCascade."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    loaded, err = _kernel_loaded(
        "from geometry.cli import main\n"
        "try:\n"
        f"    rc = main({args!r})\n"
        "except SystemExit as e:\n"
        "    rc = e.code\n"
        f"assert rc == {status}, rc")
    assert loaded == []
    assert message in err
    assert not (tmp_path / "b").exists() and not (tmp_path / "s").exists()
    if "-o" in argv and argv[0] == "schema":
        assert (tmp_path / "cavity.md").read_text() == (ROOT / "docs" / "recipes" / "cavity.md").read_text()


def test_api_run_applies_the_budget() -> None:
    design = load_design(small_recipe(solder_balls={"diameter_spread": 0.005}))  # 29 distinct prototypes
    with pytest.raises(BudgetError, match=r"29 distinct prototypes \(budget 20\).*budget=0\.1\)"):
        api.run(design, budget=0.05)
    assert issubclass(BudgetError, ParameterError)  # bad input: exit 2 in the CLI
    build = api.run(design, budget=None)
    assert build.ran("implant_solder_balls") and build.stack["solder_balls"].count == 25
    assert api.run(design, budget=0.1).stack["solder_balls"].count == 25


def test_api_run_default_budget_refuses_a_huge_design() -> None:
    d = load_design(small_recipe(substrate={"width": 200.0, "length": 200.0},
                                 solder_balls={"pitch": 1.0, "count_x": 195, "count_y": 195}))
    with pytest.raises(BudgetError, match=r"5,715,350 triangles \(budget 3,000,000\).*--budget 2 "):
        api.run(d)


def test_a_sweep_variant_over_the_budget_is_a_refused_row(tmp_path) -> None:
    spec = make_spec(axes={"solder_balls.diameter_spread": [0.0, 0.005]}, tolerances={})
    result = run_sweep(spec, tmp_path / "a", workers=1, progress=False, plots=False, budget=0.05)
    rows = {r["solder_balls.diameter_spread"]: r for r in result.rows}
    assert rows[0.0]["status"] == "ok" and rows[0.0]["passed"] is True
    assert rows[0.005]["status"] == "invalid" and rows[0.005].get("body.chip.volume_mm3") is None
    assert "29 distinct prototypes (budget 20)" in rows[0.005]["reason"] and "--budget 0.1" in rows[0.005]["reason"]
    assert result.built == 1 and result.status == {"ok": 1, "invalid": 1, "error": 0, "timeout": 0}
    cached = {json.loads(p.read_text())["row"]["status"] for p in (tmp_path / "a" / "cache").glob("*.json")}
    assert cached == {"ok"}  # the refusal is not cached: a larger budget builds the variant on a rerun
    again = run_sweep(spec, tmp_path / "a", workers=1, progress=False, plots=False, budget=0.1)
    assert again.cached == 1 and again.built == 1 and again.status["ok"] == 2


def _count_reads(monkeypatch) -> dict[str, int]:
    counts: dict[str, int] = {}
    real = toml.read_bytes

    def counted(path, *args, **kwargs):
        counts[Path(path).name] = counts.get(Path(path).name, 0) + 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(toml, "read_bytes", counted)
    return counts


def test_each_recipe_is_read_once(monkeypatch, tmp_path, capsys) -> None:
    a = write_recipe(tmp_path / "a.toml", small_recipe(name="a"))
    folder = tmp_path / "more"
    folder.mkdir()
    write_recipe(folder / "b.toml", small_recipe(name="b"))
    counts = _count_reads(monkeypatch)
    assert cli.main(["check", "--explain", "--budget", "1e-6", str(a), str(folder)]) == 2  # refused: no build
    assert counts == {"a.toml": 1, "b.toml": 1}
    assert "over the resource budget" in capsys.readouterr().err
    counts.clear()
    assert cli.main(["check", "--explain", str(a)]) == 0  # validated, built, checked, defaults explained
    assert counts == {"a.toml": 1}
    assert "defaults taken" in capsys.readouterr().out


def test_a_sweep_spec_and_its_base_are_read_once(monkeypatch, tmp_path, capsys) -> None:
    write_recipe(tmp_path / "base.toml", small_recipe())
    spec = tmp_path / "s.toml"
    spec.write_text('name = "once"\nbase = "base.toml"\n[axes]\n"chip.thickness" = [0.3, 0.35]\n', encoding="utf-8")
    counts = _count_reads(monkeypatch)
    assert cli.main(["sweep", str(spec), "-o", str(tmp_path / "out"), "--budget", "1e-6", "--no-plots"]) == 0
    assert counts == {"s.toml": 1, "base.toml": 1}
    assert "0 ok, 2 invalid" in capsys.readouterr().out
