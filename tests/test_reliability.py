"""Bad input and faults: malformed recipe files, hostile names, recipes as data, reproducible outputs, an export
killed mid-write, a sweep worker killed mid-variant."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geometry import sweep
from geometry.cli import main
from tests.conftest import RECIPES, ROOT, design_file, files_under, small_recipe, write_recipe
from tests.fuzzing import MALFORMED, write_malformed

STAMP = re.compile(rb"^(FILE_NAME\('[^']*',')[^']*(')", re.MULTILINE)
"""The header timestamp of a STEP file (second field of FILE_NAME)."""


def _masked(step: bytes) -> bytes:
    return STAMP.sub(rb"\1<time>\2", step)


def _run(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])})


# ---------------------------------------------------------------------------------------------------------------
# Malformed recipes


@pytest.mark.parametrize("label", list(MALFORMED))
@pytest.mark.parametrize("command", ["check", "build"])
def test_malformed_recipe_is_refused_with_exit_2_and_one_line(tmp_path, capsys, label, command):
    recipe = write_malformed(tmp_path, label)
    out = tmp_path / "out"
    argv = [command, str(recipe)] + (["-o", str(out)] if command == "build" else [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith(f"error: {recipe}: ") and MALFORMED[label][1] in err, err
    assert "Traceback" not in err and len(err.splitlines()) <= 2  # two lines only for two bad counts
    assert captured.out == "" and files_under(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [recipe.name]


def test_absurd_grid_is_refused_before_any_kernel_work(tmp_path, capsys, monkeypatch):
    """A 100,000 x 100,000 ball grid and a 1000 x 1000 one (within the per-axis limit) never reach the flow."""
    from geometry.core.flow import Flow

    def no_kernel(*args, **kwargs):
        raise AssertionError("the flow ran")

    monkeypatch.setattr(Flow, "run", no_kernel)
    for label in ("absurd count", "absurd grid within count limits"):
        assert main(["check", str(write_malformed(tmp_path, label))]) == 2
    assert "exceeds the limit of 40000" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# Output safety


HOSTILE_NAMES = ["../x", "../../escape", "/abs", "/tmp/abs", "a/b", "..", ".", ".hidden", "x\x00y", "a" * 65,
                 "a" * 5000, "con", "NUL", "CON.step", "ｘ", "naïve", "x\u202ey", "x\u200by", "a b", "x\\y",
                 "C:\\x", "~", "-rf", "name\n"]
"""Path tricks, NUL, very long, Unicode look-alikes and direction overrides, zero-width space, Windows names."""


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_design_names_are_refused(tmp_path, capsys, name):
    recipe = write_recipe(tmp_path / "r.toml", small_recipe(name=name))
    out = tmp_path / "out"
    code = main(["build", str(recipe), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    rule = "reserved by Windows" if name.split(".")[0].lower() in ("con", "nul") else "string should match pattern"
    assert code == 2 and err.startswith(f"error: {recipe}: name ") and rule in err and len(err.splitlines()) == 1
    assert files_under(out) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["r.toml"]


@pytest.mark.parametrize("name", ["../x", "/abs", "a" * 65, "x\u202ey", "a b"])
def test_hostile_sweep_names_are_refused(tmp_path, capsys, name):
    base = write_recipe(tmp_path / "base.toml", small_recipe())
    spec = tmp_path / "s.toml"
    spec.write_text(f'name = {json.dumps(name)}\nbase = "{base.name}"\n[axes]\n"chip.thickness" = [0.3]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--workers", "1"]) == 2
    assert "error: " in capsys.readouterr().err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["base.toml", "s.toml"]


def test_sweep_base_with_a_hostile_name_writes_only_under_its_output(tmp_path):
    """A base path with ``..`` is only read, and the base's own name never names an output: variants are named
    after the spec."""
    (tmp_path / "specs").mkdir()
    write_recipe(tmp_path / "base.toml", small_recipe(name="../../escape"))
    spec = tmp_path / "specs" / "s.toml"
    spec.write_text('name = "s"\nbase = "../base.toml"\n[axes]\n"chip.thickness" = [0.3]\n[keep]\nstep = "all"\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--workers", "1", "--no-plots"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.toml", "out", "specs"]
    assert not (tmp_path.parent / "escape").exists() and not (tmp_path.parent.parent / "escape").exists()
    (design,) = (out / "designs").iterdir()
    assert design.name.startswith("s-") and design_file(design, ".step").is_file()


CODE = "__import__('os').system('touch {marker}')"


def test_recipes_are_data_never_code(tmp_path, capsys):
    marker = tmp_path / "PWNED"
    evil = CODE.format(marker=marker)
    cases = {
        "description": small_recipe(name="data", description=evil),
        "name": small_recipe(name=evil),
        "value": small_recipe(name="value", chip={"width": evil}),
        "key": small_recipe(name="key", chip={evil: 1.0}),
    }
    out = tmp_path / "out"
    codes = {k: main(["build", str(write_recipe(tmp_path / f"{k}.toml", r)), "-o", str(out), "-q"])
             for k, r in cases.items()}
    assert codes == {"description": 0, "name": 2, "value": 2, "key": 2}
    manifest = json.loads((out / "data" / "manifest.json").read_text())
    assert manifest["parameters"]["description"] == evil  # stored verbatim
    spec = tmp_path / "s.toml"
    spec.write_text(f'name = "s"\nbase = "description.toml"\nfilter = {json.dumps(evil)}\n'
                    '[axes]\n"chip.thickness" = [0.3]\n'
                    f'[derived]\n"chip.width" = {json.dumps(evil)}\n')
    assert main(["sweep", str(spec), "-o", str(tmp_path / "sweep"), "--workers", "1"]) == 2
    assert "is not allowed" in capsys.readouterr().err
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------------------------
# Reproducibility

BUILD = """
import json, sys
from pathlib import Path
from tests.conftest import small_cavity, small_recipe
from geometry import api
from geometry.flows import load_design
from geometry.output.design import write_design
from geometry.output.digest import stack_digest

out = Path(sys.argv[1])
digests = {}
for recipe in (small_recipe(), small_cavity()):
    build = api.run(load_design(recipe))
    results = api.check(build)
    api.export(build, results, out / "now")
    write_design(out / "fixed", build.design.name, build.stack, api.manifest(build, results),
                 timestamp="2026-01-01T00:00:00")
    digests[build.design.name] = stack_digest(build.stack)
print(json.dumps(digests))
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The small designs of both flows built and written by two separate processes."""
    runs = []
    for i in range(2):
        out = tmp_path_factory.mktemp(f"run{i}")
        p = _run(BUILD, str(out))
        assert p.returncode == 0, p.stderr[-2000:]
        runs.append((out, json.loads(p.stdout.splitlines()[-1])))
    return runs


def test_same_recipe_same_manifest_and_digest(two_runs):
    (a, da), (b, db) = two_runs
    assert da == db and set(da) == {"small", "small-cavity"}
    assert len(set(da.values())) == 2
    for name in da:
        ma, mb = (x / "now" / name / "manifest.json" for x in (a, b))
        assert ma.read_bytes() == mb.read_bytes()
        assert json.loads(ma.read_text())["geometry_digest"] == da[name]


def test_step_is_byte_identical_with_a_fixed_timestamp(two_runs):
    """api.export writes SOURCE_DATE_EPOCH or the fixed epoch; write_design keeps any given timestamp."""
    from geometry.output.step import reproducible_timestamp

    (a, _), (b, _) = two_runs
    for name in ("small", "small-cavity"):
        sa, sb = (design_file(x / "now" / name, ".step").read_bytes() for x in (a, b))
        assert sa == sb and f"'{reproducible_timestamp()}'".encode() in sa
        fa, fb = (design_file(x / "fixed" / name, ".step").read_bytes() for x in (a, b))
        assert fa == fb and b"'2026-01-01T00:00:00'" in fa
        assert _masked(fa) == _masked(sa)
        for f in (".stl", ".glb"):
            assert design_file(a / "now" / name, f).read_bytes() == design_file(b / "now" / name, f).read_bytes(), f


def test_digest_follows_the_geometry_not_the_objects():
    from geometry import api
    from geometry.flows import load_design
    from geometry.output.digest import stack_digest

    one = api.run(load_design(small_recipe())).stack
    again = api.run(load_design(small_recipe(description="other text, same geometry"))).stack
    thicker = api.run(load_design(small_recipe(chip={"thickness": 0.31}))).stack
    moved = api.run(load_design(small_recipe(chip={"offset_x": 0.001}))).stack
    assert stack_digest(one) == stack_digest(again)
    assert len({stack_digest(s) for s in (one, thicker, moved)}) == 3


# ---------------------------------------------------------------------------------------------------------------
# Faults

WRITE = """
import sys
from pathlib import Path
from geometry import api
from geometry.output.design import write_design

build = api.run(api.load(sys.argv[1]))
manifest = api.manifest(build, [])
print("built", flush=True)
write_design(Path(sys.argv[2]), build.design.name, build.stack, manifest, [(r.step.key, r.stack)
             for r in build.history])
print("written", flush=True)
"""


def _kill_mid_write(recipe: Path, out: Path, name: str) -> None:
    """Start writing ``recipe`` into ``out`` and SIGKILL the writer as soon as its work folder appears."""
    before = set(out.iterdir()) if out.exists() else set()
    proc = subprocess.Popen([sys.executable, "-c", WRITE, str(recipe), str(out)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            work = [p for p in out.iterdir() if p not in before and p.name.startswith(f".{name}.tmp-")] \
                if out.exists() else []
            if work and any(work[0].iterdir()):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr.read()[-2000:])


def test_export_killed_mid_write_leaves_no_partial_design(tmp_path):
    from geometry import api
    from geometry.output.folder import remove_stale

    recipe = RECIPES / "flip-chip" / "fc-basic.toml"
    out = tmp_path / "out"
    _kill_mid_write(recipe, out, "fc-basic")
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert visible == []  # no design folder, partial or whole
    hidden = [p for p in out.iterdir()]
    assert len(hidden) == 1 and hidden[0].is_dir() and files_under(hidden[0])  # the killed writer's work
    assert remove_stale(out) == hidden and list(out.iterdir()) == []

    # a previous design stays whole when its rewrite is killed, and the next write clears the leftovers
    build = api.run(api.load(RECIPES / "flip-chip" / "fc-exposed.toml"))
    first = api.export(build, [], out)
    before = {p.relative_to(out): p.read_bytes() for p in files_under(first)}
    small = write_recipe(tmp_path / "fc-exposed.toml", small_recipe(name="fc-exposed"))
    _kill_mid_write(small, out, "fc-exposed")
    assert {p.relative_to(out): p.read_bytes() for p in files_under(first)} == before
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["fc-exposed"]
    (left,) = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert left.startswith(".fc-exposed.tmp-")
    api.export(api.run(api.load(small)), [], out)
    assert sorted(p.name for p in out.iterdir()) == ["fc-exposed"]
    assert json.loads((out / "fc-exposed" / "manifest.json").read_text())["bodies"] != []


def test_only_work_of_dead_writers_of_this_host_is_removed(tmp_path):
    from geometry.output.folder import host_tag, remove_stale

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    keep = [f".d.tmp-{host_tag()}-{os.getppid()}-0123abcd",  # a live writer
            f".d.tmp-{host_tag()}-{os.getpid()}-0123abcd",  # this process
            f".d.tmp-otherhost-{dead.pid}-0123abcd",  # a writer on another host sharing the folder
            ".d.tmp-notapid-0123abcd", "d"]
    dead_work = [f".d.tmp-{host_tag()}-{dead.pid}-0123abcd", f".d.old-{host_tag()}-{dead.pid}-4567abcd"]
    for name in keep + dead_work:
        (tmp_path / name).mkdir()
    assert len(remove_stale(tmp_path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


KILL_AT = 0.33
"""Chip thickness at which :func:`killed_worker` kills its own process with SIGKILL (once)."""


def killed_worker(recipe: dict, **kwargs) -> dict:
    """The sweep job; for chip thickness :data:`KILL_AT`, the first time only (a marker file beside the sweep's
    ``designs`` folder), the worker process is SIGKILLed mid-variant, as the OOM killer would."""
    from geometry.sweep.worker import run_variant

    marker = Path(kwargs["export_dir"]).parent / "killed-once"
    if recipe["chip"]["thickness"] == KILL_AT and not marker.exists():
        marker.write_text("killed once")
        os.kill(os.getpid(), signal.SIGKILL)
    return run_variant(recipe, **kwargs)


def test_sweep_worker_killed_mid_variant_then_resumed(tmp_path):
    from geometry.sweep.results import read_csv

    spec = sweep.parse_spec({"name": "k", "base": small_recipe(), "keep": {"step": "failing"},
                             "axes": {"chip.thickness": [0.30, 0.31, 0.32, KILL_AT, 0.34]}})
    out = tmp_path / "sweep"
    first = sweep.run_sweep(spec, out, workers=1, progress=False, plots=False, worker=killed_worker)
    by = {r["chip.thickness"]: r for r in first.rows}
    assert len(first.rows) == 5 and by[KILL_AT]["status"] == "error"
    assert by[KILL_AT]["reason"] == "worker process died (SIGKILL)"
    assert all(by[t]["status"] == "ok" for t in by if t != KILL_AT)
    assert [r["status"] for r in read_csv(out / "results.csv")] == [r["status"] for r in first.rows]
    cache = {p.name: p.stat().st_mtime_ns for p in (out / "cache").glob("*.json")}
    assert len(cache) == 4 and (out / "killed-once").exists()

    second = sweep.run_sweep(spec, out, workers=1, progress=False, plots=False, worker=killed_worker)
    assert (second.cached, second.built) == (4, 1)
    assert all(r["status"] == "ok" for r in second.rows) and len(read_csv(out / "results.csv")) == 5
    assert {p.name: p.stat().st_mtime_ns for p in (out / "cache").glob("*.json") if p.name in cache} == cache
