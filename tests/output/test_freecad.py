"""An independent reader: FreeCAD (Debian's ``freecad`` package, headless ``freecadcmd``) imports the STEP of every
recipe that is not production scale, as a FreeCAD user does: ``Import.insert`` and ``ImportGui.insert`` with the
merge option off (one object per body, named as the body) and on (one object holding every solid), and
``Part.read`` as scripts do. Solid counts and volumes are compared with the stack (mm3, to 1e-6).

FreeCAD takes 5-40 s per import of a 700-2,500-solid STEP, so the default run imports every recipe of at most
2,000 solids with ``ImportGui`` merge off (the import the README recommends) and ``Part.read``, and two of them in
every mode; the slow run does every mode of every recipe. One ``freecadcmd`` process per run does the imports (a
script written under tmp_path); an import that kills FreeCAD is recorded and the process restarted after it, and
the test of that mode is then an expected failure naming the FreeCAD defect (FreeCAD 0.20.2 ``Import.insert``
with merge on segfaults on any multi-part STEP, a plain CadQuery assembly included), not a pass. Without
``freecadcmd`` the tests are skipped with the reason; ``.ci/run`` installs it where it can.

Colours are view data: FreeCAD keeps them in view providers, which ``freecadcmd`` never creates
(``FreeCADGui.setupWithoutGUI()`` leaves every ``ViewObject`` None) and ``Import.insert`` never sets. So the colour
test runs FreeCAD's GUI itself, ``freecad`` under Qt's ``offscreen`` platform (no display), in hidden documents
(no 3D view, whose OpenGL teardown crashes offscreen), with the Part workbench loaded at start (the Start page's
QtWebEngine aborts there): ``ImportGui.insert`` with the merge off, the per-body objects' ``DiffuseColor`` and
``Transparency`` compared with the body palette (sRGB, as the STEP holds it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LARGE_SOLIDS, checked_recipe, design_file, recipe_files, solid_count

FREECADCMD = shutil.which("freecadcmd")
FREECAD = shutil.which("freecad")
"""FreeCAD's GUI, run offscreen for the colour test."""
RECIPES = [p for p in recipe_files() if "production" not in p.stem]
"""Every recipe of builds/ but the production-scale ones (fc-production, cavity-production)."""

MODES = ("Import", "Import-merge", "ImportGui", "ImportGui-merge", "Part.read", "ImportGui-colours")
GUI_MODES = ("ImportGui-colours",)
"""Modes run in FreeCAD's GUI (offscreen) rather than in ``freecadcmd``."""
EVERY_MODE = ("fc-basic", "cavity-smaller")
"""Recipes imported in every mode in the default run."""


def default_run(recipe: Path, mode: str) -> bool:
    """Whether (``recipe``, ``mode``) is imported in the default run (else in the slow run)."""
    if solid_count(recipe) > LARGE_SOLIDS:
        return False
    return mode in ("ImportGui", "Part.read") or recipe.stem in EVERY_MODE


def cases(modes: tuple[str, ...]) -> list:
    """pytest params (recipe, mode), those outside the default run marked slow."""
    return [pytest.param(r, m, id=f"{r.stem}-{m}", marks=() if default_run(r, m) else pytest.mark.slow)
            for r in RECIPES for m in modes]
CRASH_DEFECT = ("FreeCAD 0.20 defect: the importer segfaults on this STEP (Import.insert with merge on crashes on "
                "any multi-part STEP assembly, a 2-part CadQuery assembly included)")

SCRIPT = r'''
import json, os, sys, time
import FreeCAD, Part

jobs = json.load(open(os.environ["PKGCAD_FC_JOBS"]))
out = os.environ["PKGCAD_FC_RESULTS"]
done = {json.loads(line)["job"] for line in open(out)} if os.path.exists(out) else set()
gui = None


def features(obj):
    # the Part::Feature objects that show a body: links followed to what they link, groups expanded
    if obj.TypeId == "App::Link":
        return features(obj.LinkedObject)
    kids = getattr(obj, "ElementList", None) or getattr(obj, "Group", None)
    return [f for c in kids for f in features(c)] if kids else [obj]


def colours(obj):
    # what FreeCAD shows for a body: the colours (r, g, b) of every face of its solids, their transparency (%) and
    # the links that override their solid's colour
    shown = features(obj)
    links = [x for x in [obj, *getattr(obj, "ElementList", [])] if x.TypeId == "App::Link"]
    return {"rgb": sorted({tuple(round(v, 6) for v in c[:3]) for f in shown for c in f.ViewObject.DiffuseColor}),
            "transparency": sorted({f.ViewObject.Transparency for f in shown}),
            "overridden": [x.Label for x in links if x.ViewObject.OverrideMaterial]}


def solids(shape):
    # per solid: FreeCAD 0.20's Volume of a compound whose solids share one placed definition is off by up to 1 %
    # (cavity-over's bond wires), while each solid's volume is right
    return [len(shape.Solids), sum(s.Volume for s in shape.Solids)]


for i, job in enumerate(jobs):
    if i in done:
        continue
    with open(out, "a") as fh:  # the job being run: a crash leaves this line without its result
        fh.write(json.dumps({"job": i, "started": True}) + "\n")
    t = time.perf_counter()
    mode, path = job["mode"], job["path"]
    result = {"job": i}
    if mode == "Part.read":
        result["total"] = solids(Part.read(path))
    elif mode == "ImportGui-colours":
        import ImportGui
        doc = FreeCAD.newDocument("pkgcad", hidden=True)
        ImportGui.insert(path, doc.Name, merge=False)
        result["roots"] = [[o.TypeId, o.Label] for o in doc.RootObjects]
        result["colours"] = {c.Label: colours(c) for c in doc.RootObjects[0].ElementList}
        FreeCAD.closeDocument(doc.Name)
    else:
        if mode.startswith("ImportGui"):
            if gui is None:
                import FreeCADGui
                FreeCADGui.setupWithoutGUI()
                import ImportGui as gui
            module = gui
        else:
            import Import as module
        doc = FreeCAD.newDocument("pkgcad")
        module.insert(path, doc.Name, merge=mode.endswith("-merge"))
        roots = doc.RootObjects
        result["roots"] = [[o.TypeId, o.Label] for o in roots]
        per_root = [solids(Part.getShape(o)) for o in roots]
        result["total"] = [sum(c for c, _ in per_root), sum(v for _, v in per_root)]
        if len(roots) == 1 and hasattr(roots[0], "ElementList"):
            result["bodies"] = {c.Label: solids(Part.getShape(c)) for c in roots[0].ElementList}
        FreeCAD.closeDocument(doc.Name)
    result["seconds"] = time.perf_counter() - t
    with open(out, "a") as fh:
        fh.write(json.dumps(result) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
'''


GUI_LAUNCHER = r'''
import os, traceback
try:
    exec(open(os.environ["PKGCAD_FC_SCRIPT"]).read(), {"__name__": "pkgcad_import"})
    code = 0
except BaseException:
    open(os.environ["PKGCAD_FC_RESULTS"] + ".error", "w").write(traceback.format_exc())
    code = 3
os._exit(code)  # the GUI would otherwise wait for its window to be closed
'''

USER_CFG = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<FCParameters><FCParamGroup Name="Root"><FCParamGroup Name="BaseApp"><FCParamGroup Name="Preferences">
<FCParamGroup Name="General"><FCText Name="AutoloadModule">PartWorkbench</FCText></FCParamGroup>
</FCParamGroup></FCParamGroup></FCParamGroup></FCParameters>
"""
"""FreeCAD's user.cfg for the GUI run: start in the Part workbench, not the Start page (its QtWebEngine aborts
under the offscreen platform)."""


def run_freecad(jobs: list[dict], work: Path, attempts: int, gui: bool = False) -> list[dict]:
    """Run ``jobs`` (``{"mode", "path"}``) in ``freecadcmd`` (``gui``: in FreeCAD's GUI under Qt's offscreen
    platform); per job its result, or ``{"crashed": code}`` when FreeCAD died in it (the process is restarted
    after it, at most ``attempts`` times)."""
    tag = "gui" if gui else "cmd"
    script, jobs_file, results = work / "import_step.py", work / f"jobs-{tag}.json", work / f"results-{tag}.jsonl"
    script.write_text(SCRIPT)
    jobs_file.write_text(json.dumps(jobs))
    env = {**os.environ, "PKGCAD_FC_JOBS": str(jobs_file), "PKGCAD_FC_RESULTS": str(results),
           "PKGCAD_FC_SCRIPT": str(script),
           "HOME": str(work)}  # FreeCAD's user.cfg under tmp_path, whatever the user's preferences
    if gui:
        (work / "launch_gui.py").write_text(GUI_LAUNCHER)
        (work / ".config" / "FreeCAD").mkdir(parents=True, exist_ok=True)
        (work / ".config" / "FreeCAD" / "user.cfg").write_text(USER_CFG)
        env["QT_QPA_PLATFORM"] = "offscreen"
        command = [FREECAD, str(work / "launch_gui.py")]
    else:
        command = [FREECADCMD, "-c", f"exec(open({str(script)!r}).read())"]
    for _ in range(attempts):
        proc = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=1800)
        lines = [json.loads(x) for x in results.read_text().splitlines()] if results.exists() else []
        finished = {x["job"] for x in lines if "started" not in x}
        if len(finished) == len(jobs):
            break
        started = [x["job"] for x in lines if "started" in x and x["job"] not in finished]
        if not started:
            error = Path(f"{results}.error")
            detail = error.read_text() if error.exists() else proc.stderr[-2000:]
            if gui:
                return [{"skipped": f"FreeCAD's GUI ran no job under Qt's offscreen platform (exit "
                                    f"{proc.returncode}): {detail[-1000:]}"}] * len(jobs)
            raise AssertionError(f"freecadcmd ran no job (exit {proc.returncode}): {detail}")
        with results.open("a") as fh:
            fh.write(json.dumps({"job": started[-1], "crashed": proc.returncode}) + "\n")
    by_job: dict[int, dict] = {}
    for x in (json.loads(line) for line in results.read_text().splitlines()):
        if "started" not in x:
            by_job[x["job"]] = x
    return [by_job.get(i, {"crashed": "not run"}) for i in range(len(jobs))]


def _imports(tmp_path_factory, exported_recipe, default: bool) -> dict[tuple[str, str], tuple[dict, dict]]:
    """Per (recipe stem, mode) of the default run (or of the slow run): (FreeCAD's result, the stack's
    ``{body: (count, volume)}``), FreeCAD reading the STEP that ``pkgcad build`` writes."""
    if FREECADCMD is None:
        msg = ("freecadcmd not found: install Debian's freecad (apt-get install -y --no-install-recommends "
               "freecad; .ci/run does it when it runs as root) to read the STEP with FreeCAD")
        print(msg)
        pytest.skip(msg)
    work = tmp_path_factory.mktemp("freecad")
    expected, jobs = {}, []
    for recipe in reversed(RECIPES):  # the other readers' tests ask for the exports in the forward order: under
        # pytest-xdist the two workers then export different recipes at the same time, not one waiting on the other
        modes = [m for m in MODES if default_run(recipe, m) == default]
        if not modes:
            continue
        build = checked_recipe(recipe)[0]
        path = design_file(exported_recipe(recipe), ".step")
        expected[recipe.stem] = {b.name: (b.count, b.volume(), b.material.color) for b in build.stack}
        jobs += [{"mode": m, "path": str(path), "recipe": recipe.stem} for m in modes]
    out = {}
    for gui in (False, True):
        part = [j for j in jobs if (j["mode"] in GUI_MODES) == gui]
        if not part:
            continue
        if gui and FREECAD is None:
            results = [{"skipped": "FreeCAD's GUI (freecad) not found: Debian's freecad package installs it"}] * len(part)
        else:
            results = run_freecad(part, work, attempts=len(part) + 1, gui=gui)
        out |= {(j["recipe"], j["mode"]): (r, expected[j["recipe"]]) for j, r in zip(part, results, strict=True)}
    return out


@pytest.fixture(scope="module")
def default_imports(tmp_path_factory, exported_recipe):
    return _imports(tmp_path_factory, exported_recipe, default=True)


@pytest.fixture(scope="module")
def slow_imports(tmp_path_factory, exported_recipe):
    return _imports(tmp_path_factory, exported_recipe, default=False)


def _result(request, recipe: Path, mode: str) -> tuple[dict, dict]:
    imports = request.getfixturevalue("default_imports" if default_run(recipe, mode) else "slow_imports")
    got, expected = imports[recipe.stem, mode]
    if "skipped" in got:
        print(got["skipped"])
        pytest.skip(got["skipped"])
    if "crashed" in got:
        pytest.xfail(f"{mode} of {recipe.stem} (exit {got['crashed']}): {CRASH_DEFECT}")
    return got, expected


def _totals(expected: dict) -> tuple[int, float]:
    return sum(c for c, _, _ in expected.values()), sum(v for _, v, _ in expected.values())


@pytest.mark.parametrize(("recipe", "mode"), cases(("Import", "ImportGui")))
def test_freecad_imports_one_object_per_body_with_merge_off(request, recipe, mode):
    got, expected = _result(request, recipe, mode)
    name = recipe.stem
    assert got["roots"] == [["App::LinkGroup", name]]
    assert set(got["bodies"]) == set(expected)
    for body, (count, volume, _) in expected.items():
        assert got["bodies"][body][0] == count, body
        assert got["bodies"][body][1] == pytest.approx(volume, rel=1e-6), body


@pytest.mark.parametrize(("recipe", "mode"), cases(("Import-merge", "ImportGui-merge")))
def test_freecad_imports_one_object_with_merge_on(request, recipe, mode):
    got, expected = _result(request, recipe, mode)
    assert len(got["roots"]) == 1 and got["roots"][0][0] == "Part::Feature"
    count, volume = _totals(expected)
    assert got["total"][0] == count
    assert got["total"][1] == pytest.approx(volume, rel=1e-6)


@pytest.mark.parametrize(("recipe", "mode"), cases(("Part.read",)))
def test_freecad_part_read(request, recipe, mode):
    got, expected = _result(request, recipe, mode)
    count, volume = _totals(expected)
    assert got["total"][0] == count
    assert got["total"][1] == pytest.approx(volume, rel=1e-6)


@pytest.mark.parametrize(("recipe", "mode"), cases(GUI_MODES))
def test_freecad_gui_shows_every_body_in_its_palette_colour(request, recipe, mode):
    """FreeCAD's GUI, ``ImportGui.insert`` with the merge off: every face of every body's solids in the body's
    sRGB palette colour (FreeCAD stores colours as 32-bit floats: to 1e-6), its transparency 1 - alpha in whole
    percent (FreeCAD truncates: the encapsulants' alpha 0.85 shows as 14-15 %), no link overriding a colour."""
    got, expected = _result(request, recipe, mode)
    assert got["roots"] == [["App::LinkGroup", recipe.stem]]
    assert set(got["colours"]) == set(expected)
    for body, (_, _, rgba) in expected.items():
        shown = got["colours"][body]
        assert len(shown["rgb"]) == 1, (body, shown["rgb"])
        assert shown["rgb"][0] == pytest.approx(rgba[:3], abs=1e-6), body
        assert all(abs(t - 100 * (1 - rgba[3])) < 1 + 1e-9 for t in shown["transparency"]), (body, shown["transparency"])
        assert shown["overridden"] == [], body
