"""The command line: exit codes 0/1/2, what is written and what is not, STEP round trips of every recipe, the
sweep command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from geometry.cli import main
from geometry.output.step import read_step
from geometry.sweep.results import read_csv
from tests.conftest import (
    RECIPES,
    ROOT,
    design_file,
    files_under,
    large_recipe_files,
    small_recipe,
    write_recipe,
)


def test_build_writes_the_design_and_steps(tmp_path, capsys):
    r = write_recipe(tmp_path / "small.toml", small_recipe())
    out = tmp_path / "out"
    assert main(["build", str(r), "-o", str(out), "--steps"]) == 0
    d = out / "small"
    assert {p.name for p in d.iterdir()} >= {"small.step", "small.stl", "small.glb", "small.html", "manifest.json",
                                          "steps"}
    steps = sorted(p.name for p in (d / "steps").iterdir())
    assert steps == [f"small-{s}.step" for s in ("01-prepare_substrate", "02-dispose_bumps", "03-form_first_encapsulant",
                                              "04-mount_chip", "05-form_second_encapsulant",
                                              "06-implant_solder_balls")]
    assert set(read_step(d / "steps" / "small-02-dispose_bumps.step")) == {"substrate", "substrate_pads", "ball_pads",
                                                                     "bumps"}
    assert "pass" in capsys.readouterr().out


def test_build_ap242_writes_every_step_as_ap242(tmp_path):
    r = write_recipe(tmp_path / "small.toml", small_recipe())
    out = tmp_path / "out"
    assert main(["build", str(r), "-o", str(out), "--steps", "--ap242", "-q"]) == 0
    files = [out / "small" / "small.step", *sorted((out / "small" / "steps").iterdir())]
    assert len(files) == 7
    for f in files:
        text = f.read_text(encoding="latin-1")
        assert "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING" in text and "AUTOMOTIVE_DESIGN" not in text, f.name
        assert f"FILE_NAME('{f.stem}'," in text, f.name


def test_failing_check_exits_1_and_writes_nothing(tmp_path, capsys):
    # deposited thicker than the bumps and never polished: the bump ends stay buried (claim 1, step 3)
    r = write_recipe(tmp_path / "buried.toml", small_recipe(name="buried", first_encapsulant={"thickness": 0.2}))
    out = tmp_path / "out"
    assert main(["build", str(r), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "FAIL" in err and "nothing written" in err
    assert files_under(out) == []
    assert main(["check", str(r)]) == 1
    assert main(["build", str(r), "-o", str(out), "--force"]) == 0
    manifest = json.loads((out / "buried" / "manifest.json").read_text())
    assert any(not c["passed"] for c in manifest["checks"])


def test_build_holds_one_built_design_at_a_time(tmp_path, monkeypatch, capsys):
    """``pkgcad build`` of several recipes (``make run``) builds, checks, exports and reports each design and drops
    it before building the next: when the second build starts, the first is no longer alive."""
    import gc
    import weakref

    from geometry import api

    recipes = [write_recipe(tmp_path / f"{n}.toml", small_recipe(name=n)) for n in ("one", "two")]
    built, alive_at_start = [], []
    real = api.run

    def run(design, budget=1.0):
        gc.collect()
        alive_at_start.append(sum(r() is not None for r in built))
        b = real(design, budget=budget)
        built.append(weakref.ref(b))
        return b

    monkeypatch.setattr(api, "run", run)
    out = tmp_path / "out"
    assert main(["build", "-q", "--report", *map(str, recipes), "-o", str(out)]) == 0
    assert alive_at_start == [0, 0]
    assert {"one.step", "report.html"} <= {p.name for p in (out / "one").iterdir()}
    assert {"two.step", "report.html"} <= {p.name for p in (out / "two").iterdir()}
    assert sorted(p.name for p in out.iterdir()) == ["one", "two"]  # no staging folder left
    assert capsys.readouterr().out.count("report.html") == 2


def test_a_failing_later_design_writes_nothing_of_the_earlier_ones(tmp_path, capsys):
    good = write_recipe(tmp_path / "good.toml", small_recipe(name="good"))
    bad = write_recipe(tmp_path / "buried.toml", small_recipe(name="buried", first_encapsulant={"thickness": 0.2}))
    out = tmp_path / "out"
    assert main(["build", str(good), str(bad), "-o", str(out)]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert files_under(out) == [] and not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["build", str(good), str(bad), "-o", str(out)]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert main(["build", "-q", str(good), str(bad), "-o", str(out), "--force"]) == 0
    assert (out / "good" / "good.step").is_file() and (out / "buried" / "buried.step").is_file()


@pytest.mark.parametrize("recipe, message", [
    (small_recipe(bumps={"pitch": 0.1}), "bumps.pitch 0.1 must be larger than the diameter 0.12"),
    (small_recipe(chip={"widht": 2.0}), "chip.widht is not a known parameter, did you mean 'width'?"),
    (small_recipe(name="../../escape"), "name '../../escape'"),
])
def test_bad_input_exits_2_with_one_message_and_no_files(tmp_path, capsys, recipe, message):
    good = write_recipe(tmp_path / "good.toml", small_recipe(name="good"))
    bad = write_recipe(tmp_path / "bad.toml", recipe)
    out = tmp_path / "out"
    assert main(["build", str(good), str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert files_under(out) == [] and not (tmp_path.parent / "escape").exists()


def test_missing_file_and_broken_toml_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.toml")]) == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    assert main(["check", str(broken)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_console_script_exit_code_for_bad_input(tmp_path):
    bad = write_recipe(tmp_path / "bad.toml", small_recipe(solder_balls={"pitch": 0.5}))
    exe = Path(sys.executable).with_name("pkgcad")
    p = subprocess.run([str(exe), "check", str(bad)], check=False, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 2
    assert "solder_balls.pitch 0.5" in p.stderr and "Traceback" not in p.stderr


def test_list_shows_flows_steps_and_recipes(capsys):
    assert main(["list", str(RECIPES)]) == 0
    out = capsys.readouterr().out
    assert "flow flip-chip" in out and "claim 1, step 4)" in out and "fc-production" in out


CLI_RECIPES = [RECIPES / "flip-chip" / "fc-basic.toml", RECIPES / "cavity" / "cavity-smaller.toml"]
"""One recipe per flow built through the command line here; every recipe of builds/ is read back from the same
writer (``api.export``) by cadquery, gmsh and FreeCAD in tests/output/, and built by ``make run``."""


def test_cli_build_writes_what_the_api_writes_and_its_step_reimports(tmp_path, exported_recipe):
    out = tmp_path / "exports"
    assert main(["build", *map(str, CLI_RECIPES), "-o", str(out), "-q"]) == 0
    for recipe in CLI_RECIPES:
        name = tomllib.loads(recipe.read_text())["name"]
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert all(c["passed"] for c in manifest["checks"] if c["kind"] == "rule"), name
        api_folder = exported_recipe(recipe)
        for f in ("manifest.json", f"{name}.step", f"{name}.stl", f"{name}.glb"):
            assert (out / name / f).read_bytes() == (api_folder / f).read_bytes(), f
        back = read_step(out / name / f"{name}.step")
        bodies = {b["name"]: b for b in manifest["bodies"]}
        assert set(back) == set(bodies)
        for n, b in bodies.items():
            assert back[n]["count"] == b["count"], n
            assert back[n]["volume"] == pytest.approx(b["volume_mm3"], rel=1e-6), n


def test_cavity_steps_hold_the_slice_before_and_the_slug_after_the_etch(tmp_path):
    recipe = RECIPES / "cavity" / "cavity-equal.toml"
    assert main(["build", str(recipe), "-o", str(tmp_path), "--steps", "-q"]) == 0
    steps = tmp_path / "cavity-equal" / "steps"
    before, after = read_step(steps / "cavity-equal-05-form_mold.step"), read_step(steps / "cavity-equal-06-etch_slice.step")
    assert "metal_slice" in before and "heat_slug" not in before
    assert "heat_slug" in after and "metal_slice" not in after
    assert after["heat_slug"]["volume"] < before["metal_slice"]["volume"]
    assert after["bond_wires"]["count"] == 80  # each wire one solid: ball bond, loop and stitch fused


KNOWN_COUNTS = {"fc-production": {"bumps": 10_000, "solder_balls": 1_156, "first_encapsulant": 1},
                "cavity-production": {"bond_wires": 400, "solder_balls": 676},
                "fc-two-chip": {"bumps_cpu": 1_296, "bumps_hbm": 1_040, "pillars_hbm": 1_040, "solder_balls": 247},
                "fc-bga15-map": {"bumps": 900, "solder_balls": 284},
                "cavity-bga23": {"bond_wires": 360, "solder_balls": 340}}
"""Counts an engineer counts on each large recipe's drawing (bond_wires: one solid per wire)."""


@pytest.mark.slow
@pytest.mark.parametrize("recipe", large_recipe_files(), ids=lambda p: p.stem)
def test_large_recipe_builds_and_reimports(tmp_path, recipe):
    name = tomllib.loads(recipe.read_text())["name"]
    assert main(["build", str(recipe), "-o", str(tmp_path), "-q"]) == 0
    manifest = json.loads((tmp_path / name / "manifest.json").read_text())
    back = read_step(tmp_path / name / f"{name}.step")
    assert {b["name"]: b["count"] for b in manifest["bodies"]} == {k: v["count"] for k, v in back.items()}
    counts = KNOWN_COUNTS[name]
    assert {k: back[k]["count"] for k in counts} == counts


def test_section_command_writes_a_figure_and_refuses_other_formats(tmp_path, capsys):
    r = write_recipe(tmp_path / "small.toml", small_recipe())
    out = tmp_path / "strip.svg"
    assert main(["section", str(r), "--steps", "--plane", "row", "-o", str(out)]) == 0
    text = out.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert main(["section", str(r), "-o", str(tmp_path / "x.pdf")]) == 2
    assert not (tmp_path / "x.pdf").exists()


def test_sweep_command_line(tmp_path, capsys):
    base = tmp_path / "small.toml"
    lines = ['name = "small"', 'flow = "flip-chip"']
    for section, values in small_recipe().items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    base.write_text("\n".join(lines) + "\n")
    spec = tmp_path / "s.toml"
    spec.write_text('name = "cli"\nbase = "small.toml"\n[axes]\n"chip.thickness" = [0.3, 0.35, 0.4]\n'
                    '[keep]\nstep = "all"\nparameters = "all"\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--workers", "1", "--limit", "1"]) == 0
    printed = capsys.readouterr().out
    assert "1 of 1 variants" in printed and f"wrote {out}" in printed
    (row,) = read_csv(out / "results.csv")
    assert row["substrate.width"] == "6.0" and row["bumps.material"] == "SnPb63"  # parameters = "all"
    design = Path(row["exported"])
    assert design.parent == out / "designs" and design_file(design, ".step").is_file()
    assert (design / "manifest.json").is_file()

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nbase = "small.toml"\n[axes]\n"chip.thicknes" = [0.3]\n')
    assert main(["sweep", str(bad), "-o", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "'chip.thicknes' is not a parameter" in err and "did you mean 'chip.thickness'" in err
    assert not (tmp_path / "o2").exists()


def test_lead_free_design_builds_and_reports_claim_3_not_embodied(tmp_path, capsys):
    """A SAC305 design (issue 12): claim 3 names tin, lead or tin/lead bumps, so the design does not embody it;
    that is reported in the check table and the manifest and the design still exports (claims are not design
    rules)."""
    r = write_recipe(tmp_path / "sac.toml", small_recipe(name="sac", bumps={"material": "SAC305"}))
    out = tmp_path / "out"
    assert main(["build", str(r), "-o", str(out)]) == 0
    table = capsys.readouterr().out
    line = next(x for x in table.splitlines() if x.strip().startswith("bump_material"))
    assert line.split()[1] == "claim" and "not met" in line and "FAIL" not in table
    assert "claims embodied: 1, 2, 5, 6" in table
    data = json.loads((out / "sac" / "manifest.json").read_text())
    claims = {c["number"]: c for c in data["claims"]}
    assert claims[3]["embodied"] is False and "bump_material" in claims[3]["not_embodied_because"]
    assert claims[2]["embodied"] is True and data["design_rules_pass"] is True
    assert {c["name"]: c["kind"] for c in data["checks"]}["no_interference"] == "rule"


def test_require_claims_refuses_a_design_that_does_not_embody_them(tmp_path, capsys):
    r = write_recipe(tmp_path / "sac.toml", small_recipe(name="sac", bumps={"material": "SAC305"}))
    out = tmp_path / "out"
    assert main(["build", str(r), "-o", str(out), "--require-claims", "1,3"]) == 1
    err = capsys.readouterr().err
    assert "claim 3 is required (--require-claims) but not embodied" in err and "nothing written" in err
    assert files_under(out) == []
    assert main(["build", str(r), "-o", str(out), "--require-claims", "1,2"]) == 0
    assert main(["build", str(r), "-o", str(out), "--require-claims", "12"]) == 2
    assert "--require-claims 12 is not a claim of the flip-chip flow (claims 1-8)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["build", str(r), "--require-claims", "one"])


def test_check_of_a_folder_reports_every_invalid_recipe(tmp_path, capsys):
    write_recipe(tmp_path / "a.toml", small_recipe(name="a", bumps={"pitch": 0.1}))
    write_recipe(tmp_path / "b.toml", small_recipe(name="b"))
    write_recipe(tmp_path / "c.toml", small_recipe(name="c", solder_balls={"diameter": 2.0}))
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "a.toml: bumps.pitch 0.1" in err and "c.toml: solder_balls." in err and "2 of 3 recipes are invalid" in err


def test_footprint_writes_a_kicad_footprint_per_design_and_refuses_a_failing_design_rule(tmp_path, capsys):
    """``pkgcad footprint``: one ``<design>.kicad_mod`` per design in the library folder (25 pads for the 5 x 5
    balls of the small design, the model its STEP); a design whose rule fails writes nothing, for any design."""
    good = write_recipe(tmp_path / "small.toml", small_recipe())
    bad = write_recipe(tmp_path / "buried.toml", small_recipe(name="buried", first_encapsulant={"thickness": 0.2}))
    lib = tmp_path / "lib.pretty"
    assert main(["footprint", str(good), str(bad), "-o", str(lib)]) == 1
    err = capsys.readouterr().err
    assert "FAIL" in err and "no footprint written" in err
    assert files_under(tmp_path / "lib.pretty") == []
    assert main(["footprint", str(good), "-o", str(lib), "--density", "least"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert files_under(lib) == [lib / "small.kicad_mod"]
    text = (lib / "small.kicad_mod").read_text(encoding="utf-8")
    assert text.startswith('(footprint "small"\n\t(version 20240108)\n\t(generator "pkgcad")')
    assert text.count("(pad ") == 25 and '(pad "A1" smd circle' in text and '(pad "E5" smd circle' in text
    assert '(model "${KIPRJMOD}/small.step" (offset (xyz 0 0 0.52))' in text
    assert "(fp_rect (start -3.5 -3.5) (end 3.5 3.5)" in text  # 6 mm body plus the 0.5 mm least-density excess
    assert main(["footprint", str(good), "-o", str(tmp_path / "plain")]) == 0
    assert "ends in .pretty" in capsys.readouterr().err and (tmp_path / "plain" / "small.kicad_mod").is_file()


def test_footprint_of_a_ball_outside_the_ipc_table_needs_the_makers_land(tmp_path, capsys):
    r = write_recipe(tmp_path / "big.toml", small_recipe(name="big", solder_balls={"diameter": 0.8, "height": 0.65},
                                                          ball_pads={"diameter": 0.7}))
    lib = tmp_path / "lib.pretty"
    assert main(["footprint", str(r), "-o", str(lib)]) == 2
    assert "big: ball diameter 0.8 mm is outside the IPC-7351B collapsing-ball table" in capsys.readouterr().err
    assert files_under(tmp_path / "lib.pretty") == []
    assert main(["footprint", str(r), "-o", str(lib), "--land", "0.6"]) == 0
    text = (lib / "big.kicad_mod").read_text(encoding="utf-8")
    assert text.count("(size 0.6 0.6)") == 25 and "land 0.6 mm NSMD (given)" in text
