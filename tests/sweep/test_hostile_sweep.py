"""Hostile sweep specs (issue 14): expressions bounded in text, tree and every intermediate size (geometry/sweep/
expr.py), a non-finite derived value refused by name, lazy expansion (O(limit), not O(grid)), the timeout's lower
bound, the designs/ folder under build's symlink rule and one results column order whatever the rows' order; and
the reproducers tests/hostile/sweep/*.toml run through the CLI."""

from __future__ import annotations

import ast
import csv
import random
import shlex
import signal
import sys
import tracemalloc
from pathlib import Path

import pytest

from geometry import sweep
from geometry.cli import main
from geometry.core import expr
from geometry.core.expr import Expression
from geometry.core.params import ParameterError
from geometry.output.files import OutputError
from geometry.sweep.results import columns
from tests.conftest import make_spec

CASES = sorted((Path(__file__).parents[1] / "hostile" / "sweep").glob("*.toml"))
BIG_AXES = {"bumps.pitch": {"start": 0.01, "stop": 0.209, "count": 200},
            "chip.thickness": {"start": 0.2, "stop": 0.4, "count": 999}}
"""A 200 x 999 = 199,800-variant grid."""


def header(path: Path) -> tuple[list[str], int, list[str], bool]:
    """(pkgcad arguments, expected exit code, texts stderr must hold, slow) of a reproducer's header."""
    lines = [ln[1:].strip() for ln in path.read_text(encoding="utf-8").splitlines()[:12] if ln.startswith("#")]
    args, expect = lines[0].removeprefix("pkgcad:"), int(lines[1].removeprefix("expect:"))
    stderr = [ln.removeprefix("stderr:").strip() for ln in lines[2:] if ln.startswith("stderr:")]
    return shlex.split(args), expect, stderr, "slow" in lines or expect in (0, 1)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if header(p)[3] else [])
                                  for p in CASES])
def test_reproducer(path, tmp_path, capsys):
    args, expect, texts, _ = header(path)
    argv = [a.replace("{path}", str(path)).replace("{tmp}", str(tmp_path)) for a in args]
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(120)  # a hang guard, not a timing: a hung case fails instead of stopping the suite
    try:
        code = main(argv)
    except Hang:
        pytest.fail(f"{path.name} still running after 120 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = capsys.readouterr().err
    assert code == expect, err[-2000:]
    assert "Traceback" not in err and len(err) < 1000, err[-2000:]
    if expect == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    for text in texts:
        assert text in err, err


def test_reproducers_cover_the_issue():
    assert {p.stem for p in CASES} >= {"filter-power-of-powers", "filter-round-ndigits", "derived-inf", "derived-nan",
                                       "derived-huge-integer", "timeout-tiny", "grid-199800-limit-1"}


# ---------------------------------------------------------------------------------------------------------------
# Expressions


def evaluate(text: str, values: dict | None = None):
    values = values or {}
    return Expression(text, "filter")(lambda name: values[name])


@pytest.mark.parametrize("text, rule", [
    ("((((10**64)**64)**64)**64)**64 > 0", "raises an integer of 213 bits to the power 64"),
    ("10 ** 10 ** 10 > 0", "to the power 10000000000"),
    ("round(1, -10**9) == 0", "round's ndigits must lie within +-308"),
    ("round(1.5, 10**9) > 0", "round's ndigits"),
    ("2**1024 > 0", "an integer of 1025 bits, more than the 1024 allowed"),
    ("2**600 * 2**600 > 0", "an integer of 1201 bits"),
    ("'ab' * 10**9 == ''", "repeats a str of 2 1000000000 times"),
    ("10**6 * 'ab' == ''", "repeats a str of 2 1000000 times"),
    ("'%.999999999f' % 1.0 == ''", "formats a string with %"),
    ("1 << 100000 > 0", "uses the operator LShift"),
    ("'a' in 'abc'", "uses the comparison In"),
])
def test_oversized_operations_are_refused_from_their_operands(text, rule):
    with pytest.raises(ParameterError) as e:
        evaluate(text)
    msg = str(e.value)
    assert rule in msg and msg.startswith(f"filter {text!r}") and "\n" not in msg


def test_sequence_parameters_are_bounded_too():
    with pytest.raises(ParameterError, match="repeats a list of 3 100000 times"):
        evaluate("p.q * 100000 == p.q", {"p.q": [1, 2, 3]})
    assert evaluate("p.q * 2 == p.q + p.q", {"p.q": [1, 2, 3]}) is True


@pytest.mark.parametrize("text, value", [
    ("2**10", 1024), ("2**1023 > 10**307", True), ("(-1)**(10**18)", 1), ("0**(10**18)", 0),
    ("round(1234.5678, 2)", 1234.57), ("round(1234, -2)", 1200), ("'ab' * 3", "ababab"), ("sqrt(16) + abs(-1)", 5.0),
    ("10 ** -400", 0.0), ("max(1, 2.5) if 1 < 2 < 3 else 0", 2.5), ("7 % 3", 1),
])
def test_ordinary_expressions_still_evaluate(text, value):
    assert evaluate(text) == value


@pytest.mark.parametrize("text", ["1+" * 100_000 + "1", "-" * 50_000 + "1", "(" * 100_000 + "1" + ")" * 100_000])
def test_huge_texts_are_refused_in_one_short_line(text):
    with pytest.raises(ParameterError) as e:
        Expression(text, "filter")
    msg = str(e.value)
    assert "longer than the 2000 characters allowed" in msg and f"({len(text)} characters)" in msg
    assert len(msg) < 200 and "\n" not in msg


@pytest.mark.parametrize("text", ["1+" * 100_000 + "1", "-" * 50_000 + "1"])
def test_parser_recursion_is_caught_into_one_line(text, monkeypatch):
    """Past the length bound (lifted here) Python's own parser gives up with RecursionError or MemoryError."""
    monkeypatch.setattr(expr, "MAX_CHARS", 10**7)
    with pytest.raises(ParameterError, match=r"is nested too deeply to parse|levels deep") as e:
        Expression(text, "filter")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("text, rule", [
    ("+".join(["1"] * 150), "is nested more than 100 levels deep"),
    ("-" * 500 + "1", "is nested more than 100 levels deep"),
    ("not " * 200 + "x", "is nested more than 100 levels deep"),
    ("max(" + ",".join(["-1"] * 600) + ")", "has more than 1000 terms"),
])
def test_tree_depth_and_size_are_checked_before_compiling(text, rule):
    with pytest.raises(ParameterError, match=rule):
        Expression(text, "filter")


def test_depth_check_needs_no_recursion():
    """A 900-deep tree is measured with the recursion limit at 100: the walk keeps its own stack."""
    tree = ast.parse("+".join(["1"] * 900), mode="eval")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100)
    try:
        rule = expr.tree_rule(tree.body)
    finally:
        sys.setrecursionlimit(limit)
    assert rule == "is nested more than 100 levels deep"


def test_messages_cut_long_expressions_and_escape_control_characters():
    text = "x\x1b[2J" + " + 1" * 400 + " > '" + "a" * 10 + "'"
    with pytest.raises(ParameterError) as e:
        Expression(text, "filter")
    msg = str(e.value)
    assert "\x1b" not in msg and "\\x1b" in msg and len(msg) < 300


@pytest.mark.parametrize("text, shown", [("1e308 * 10", "inf"), ("1e999 - 1e999", "nan"), ("-1e999", "-inf"),
                                         ("bumps.pitch * 1e308 * 1e308", "inf"), ("bumps.pitch * 1e999 * 0", "nan")])
def test_non_finite_derived_values_are_refused_by_name(text, shown):
    """A constant when the spec is read, one of parameters when its variants are expanded."""
    rule = f"derived.chip.thickness = {text!r} gives {shown}: a derived value must be a finite number"
    with pytest.raises(ParameterError) as e:
        sweep.expand(make_spec(axes={"bumps.pitch": [0.2]}, derived={"chip.thickness": text}, tolerances={}))
    assert str(e.value) == (rule if "bumps" in text else f"<spec>: {rule}")


def test_a_derived_integer_past_the_conversion_limit_is_refused_by_name():
    """Constant: refused when the spec is read; from a parameter: when the variant is expanded."""
    with pytest.raises(ParameterError, match=r"^<spec>: derived\.bumps\.count_x '10\*\*5000' raises 10 to the power"):
        make_spec(derived={"bumps.count_x": "10**5000"}, tolerances={})
    spec = make_spec(derived={"bumps.count_x": "bumps.count_y ** 5000"}, tolerances={})
    with pytest.raises(ParameterError, match=r"^derived\.bumps\.count_x .* raises \d+ to the power 5000"):
        sweep.expand(spec)
    product = make_spec(derived={"bumps.count_x": "bumps.count_y * 10**300 * 10**300 * 10**300"}, tolerances={})
    with pytest.raises(ParameterError, match=r"^derived\.bumps\.count_x .* more than the 1024 allowed"):
        sweep.expand(product)


# ---------------------------------------------------------------------------------------------------------------
# Lazy expansion


def test_a_limit_makes_only_the_variants_it_needs(monkeypatch):
    expand_module = sys.modules["geometry.sweep.expand"]
    keys = []
    real = expand_module.variant_key
    monkeypatch.setattr(expand_module, "variant_key", lambda r: keys.append(1) or real(r))
    spec = make_spec(axes=BIG_AXES, tolerances={})
    plan = sweep.expand(spec, 3)
    assert len(plan.variants) == 3 and len(keys) == 3
    assert plan.points == 199_800 and plan.examined == 3 and plan.total == 199_800 and not plan.complete
    thickness = spec.axes["chip.thickness"].levels()
    assert [v.values for v in plan.variants] == [{"bumps.pitch": 0.01, "chip.thickness": t} for t in thickness[:3]]


def test_a_limit_costs_memory_of_the_limit_not_of_the_grid():
    """An eager expansion lists 199,800 point dicts (tens of MB) before taking the first ten."""
    spec = make_spec(axes=BIG_AXES, tolerances={})
    tracemalloc.start()
    try:
        plan = sweep.expand(spec, 10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(plan.variants) == 10 and peak < 5_000_000, peak


def test_the_filter_is_applied_lazily():
    spec = make_spec(axes=BIG_AXES, tolerances={}, filter="chip.thickness > 0.2")
    plan = sweep.expand(spec, 2)
    assert plan.examined == 3 and plan.filtered == 1 and plan.total is None and plan.most == 199_799
    assert [v.values["chip.thickness"] for v in plan.variants] == spec.axes["chip.thickness"].levels()[1:3]


@pytest.mark.parametrize("limit", [0, 1, 5, 7, 8, 100])
def test_limited_expansions_are_prefixes_of_the_whole(limit):
    """The standard spec with a filter and 4 replicates: a limit inside a design point's replicates too."""
    changes = {"filter": "bumps.pitch > 0.15", "sample": {"replicates": 4}}
    whole = sweep.expand(make_spec(**changes))
    part = sweep.expand(make_spec(**changes), limit)
    assert [v.key for v in part.variants] == [v.key for v in whole.variants][:limit]
    assert part.complete == (limit >= len(whole.variants)) and whole.complete and whole.total == 12
    assert part.points == whole.points == 6


def test_the_summary_states_the_limit_against_the_grid():
    from geometry.sweep.results import summary

    plan = sweep.expand(make_spec(axes=BIG_AXES, tolerances={}), 1)
    text = summary(plan, [], built=0, cached=0, elapsed_s=0.0, workers="-", interrupted=False, planned=1)
    assert "0 of 1 variants (limited to the first 1 of 199800)" in text
    filtered = sweep.expand(make_spec(axes=BIG_AXES, tolerances={}, filter="chip.thickness > 0.2"), 1)
    text = summary(filtered, [], built=0, cached=0, elapsed_s=0.0, workers="-", interrupted=False, planned=1)
    assert "(limited to the first 1 of at most 199799)" in text and "1 of the first 2 removed by the filter" in text


# ---------------------------------------------------------------------------------------------------------------
# Timeout, designs folder, column order


@pytest.mark.parametrize("timeout", [1e-300, 0.5, 0, -1])
def test_a_timeout_below_one_second_is_refused(timeout):
    with pytest.raises(ParameterError, match=r"timeout .* greater than or equal to 1"):
        make_spec(timeout=timeout)


def test_run_sweep_refuses_a_short_timeout_before_writing(tmp_path):
    with pytest.raises(ParameterError, match=r"timeout 0.001 s must lie within 1 s and 604800 s"):
        sweep.run_sweep(make_spec(), tmp_path / "out", timeout=0.001, plots=False)
    assert not (tmp_path / "out").exists()


def test_a_symlinked_designs_folder_is_refused_as_build_refuses_it(tmp_path):
    elsewhere, out = tmp_path / "elsewhere", tmp_path / "out"
    elsewhere.mkdir()
    out.mkdir()
    (out / "designs").symlink_to(elsewhere)
    with pytest.raises(OutputError) as e:
        sweep.run_sweep(make_spec(keep={"step": "all"}), out, plots=False)
    msg = str(e.value)
    assert "is a symbolic link to" in msg and str(elsewhere) in msg and "\n" not in msg
    assert sorted(p.name for p in out.iterdir()) == ["designs"] and not list(elsewhere.iterdir())


def _rows(shuffle: random.Random) -> list[dict]:
    """Rows of a fresh run and of a resumed one (cached rows come back from JSON with sorted keys), in any order."""
    base = {"variant": 0, "status": "ok", "chip.thickness": 0.3, "bumps.pitch": 0.2, "seed": 1,
            "chip.thickness@nominal": 0.3, "check.solder_balls_coplanarity.passed": True,
            "check.solder_balls_coplanarity.value": 0.01, "check.solder_balls_coplanarity.limit": 0.08,
            "check.solder_balls_coplanarity.margin": 0.07, "check.chip_back_encapsulated.passed": True,
            "body.substrate.volume_mm3": 18.0, "body.substrate.mass_mg": 36.0, "body.chip.volume_mm3": 1.2,
            "body.chip.mass_mg": 2.8, "total.volume_mm3": 19.2, "total.mass_mg": 38.8,
            "metric.claim_10_embodied": False, "metric.claim_2_embodied": True, "metric.theta_j_KW": 30.0}
    invalid = {k: base[k] for k in ("variant", "status", "chip.thickness", "bumps.pitch", "seed")}
    rows = []
    for r in (base, invalid, dict(sorted(base.items()))):
        items = list(r.items())
        shuffle.shuffle(items)
        rows.append(dict(items))
    shuffle.shuffle(rows)
    return rows


def test_columns_follow_the_spec_and_fixed_groups_never_the_rows_order():
    params = ["chip.thickness", "bumps.pitch", "seed"]
    orders = {tuple(columns(_rows(random.Random(i)), params)) for i in range(20)}
    assert len(orders) == 1
    (order,) = orders
    assert list(order[2:9]) == ["chip.thickness", "bumps.pitch", "seed", "chip.thickness@nominal",
                                "check.chip_back_encapsulated.passed", "check.solder_balls_coplanarity.passed",
                                "check.solder_balls_coplanarity.value"]
    assert order.index("body.chip.mass_mg") < order.index("body.substrate.volume_mm3") < order.index("total.volume_mm3")
    assert order.index("metric.claim_2_embodied") < order.index("metric.claim_10_embodied")


def test_csv_header_is_the_same_for_rows_in_any_order(tmp_path):
    from geometry.sweep.results import write_csv

    heads = set()
    for i in range(5):
        path = write_csv(_rows(random.Random(i)), tmp_path / f"r{i}.csv", ["chip.thickness", "bumps.pitch", "seed"])
        with open(path, newline="", encoding="utf-8") as fh:
            heads.add(tuple(next(csv.reader(fh))))
    assert len(heads) == 1


# ---------------------------------------------------------------------------------------------------------------
# Before the kernel: constants folded when the spec is read


@pytest.mark.parametrize("data, rule", [
    ({"filter": "((((10**64)**64)**64)**64)**64 > 0"}, "to the power 64"),
    ({"filter": "chip.thickness > 0 or round(1, -10**9) == 0"}, "round's ndigits"),
    ({"derived": {"chip": {"thickness": "1e308 * 10"}}}, "derived.chip.thickness = '1e308 * 10' gives inf"),
    ({"derived": {"bumps.count_x": "10**5000"}}, "derived.bumps.count_x '10**5000' raises 10 to the power 5000"),
    ({"filter": "1+" * 100_000 + "1"}, "characters allowed"),
])
def test_precheck_refuses_hostile_constants_from_the_raw_spec(data, rule):
    with pytest.raises(ParameterError) as e:
        expr.precheck_spec(data)
    assert rule in str(e.value) and "\n" not in str(e.value)


def test_precheck_leaves_parameter_expressions_and_other_types_to_the_spec():
    expr.precheck_spec({"filter": "chip.thickness * 2 < 1", "derived": {"chip.thickness": "0.5 * bumps.pitch",
                                                                      "bumps.count_x": 7}})


def test_precheck_needs_neither_design_models_nor_the_kernel():
    import subprocess

    code = ("import sys; from geometry.core.expr import precheck_spec\n"
            "try:\n    precheck_spec({'filter': '10**10**10 > 0'})\nexcept Exception as e:\n    print(type(e).__name__)\n"
            "print(sorted(m for m in ('cadquery', 'OCP', 'geometry.flows', 'geometry.sweep') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    assert out[:2] == ["ParameterError", "[]"]
