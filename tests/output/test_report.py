"""Design reports: self-contained HTML and Markdown with the same content, metrics for sweeps, the CLI."""

from __future__ import annotations

import base64
import re

import pytest

from geometry import cli, commands
from geometry.output.report import content, html, markdown
from geometry.sweep.worker import run_variant
from tests.conftest import small_cavity, small_recipe, write_recipe

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small_report(small_build):
    c = content(small_build)
    return c, markdown(c), html(c)


def test_html_is_self_contained(small_report):
    c, _, page = small_report
    assert not re.search(r"<(link|script|iframe|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"\b(src|href)\s*=\s*[\"'](?!data:)", page, re.IGNORECASE)
    assert "url(" not in page and "@import" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(i).startswith(PNG) for i in images)
    assert set(c["pictures"]) == {"strip", "3d"}


def test_markdown_and_html_carry_the_same_content(small_report):
    c, md, page = small_report
    th = c["thermal"]
    for text in (f"theta_j-top = {th.theta_jtop:.4g} K/W", f"theta_j-board = {th.theta_jboard:.4g} K/W",
                 "FIRST-ORDER ESTIMATE", "chip_back_encapsulated", "bump_material", "CRC Handbook"):
        assert text in md and text in page, text
    rows = [line for line in md.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(line.split("|")[1]) for line in rows] == list(range(1, 9))
    assert [line.split("|")[4].strip() for line in rows] == ["yes", "yes", "yes", "no", "yes", "yes", "no", "no"]
    for b in c["bom"]:
        assert f"| {b['name']} | {b['material']} | {b['count']} | {b['volume_mm3']:.4f} | {b['mass_mg']:.3f} |" in md
    assert md.count("data:image/png;base64,") == 2


def test_metrics(small_report):
    c = small_report[0]
    m = c["metrics"]
    assert m["claim_6_embodied"] is True and m["claim_6_intended"] is True
    assert m["claim_7_intended"] is False and m["claim_7_embodied"] is False and m["claims_embodied"] is True
    assert m["theta_jtop_KW"] == pytest.approx(c["thermal"].theta_jtop)
    assert m["mass_total_mg"] == pytest.approx(sum(b["mass_mg"] for b in c["bom"]))
    assert m["mass_chip_mg"] == pytest.approx(2 * 2 * 0.3 * 2.33)


def test_sweep_row_has_the_report_metrics():
    row = run_variant(small_cavity())
    assert row["status"] == "ok"
    m = row["metrics"]
    assert m["claim_5_embodied"] is True and m["claim_6_embodied"] is False and m["claims_embodied"] is True
    assert m["theta_jtop_KW"] > 0 and m["theta_jboard_KW"] > 0
    assert m["mass_total_mg"] == pytest.approx(row["totals"]["mass_mg"])


def test_cli_report_writes_failing_design_and_exits_1(tmp_path, capsys):
    bad = write_recipe(tmp_path / "spread.toml", small_cavity(
        name="spread", solder_balls={"diameter_spread": 0.03}, bottom_pads={"diameter": 0.45}))
    out = tmp_path / "out"
    assert cli.main(["report", str(bad), "-o", str(out)]) == commands.EXIT_FAILED
    md = (out / "spread" / "report.md").read_text()
    assert "solder_balls_coplanarity" in md and "Design rules: **FAIL**" in md
    assert "intended but not embodied: 2 (solder_balls_coplanarity); 3 (claim 2)" in md
    assert (out / "spread" / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "(claims not embodied: 2, 3)" in capsys.readouterr().out


def test_cli_report_bad_input_exits_2(tmp_path):
    bad = write_recipe(tmp_path / "bad.toml", small_recipe(name="bad", bumps={"pitch": 0.1}))
    assert cli.main(["report", str(bad), "-o", str(tmp_path / "out")]) == cli.EXIT_INPUT
    assert not (tmp_path / "out").exists()


def test_build_with_report_writes_both_beside_each_other(tmp_path, capsys):
    """``pkgcad build --report`` (what ``make run`` calls): the design files and the report in one folder, exit 0,
    and the Markdown says every design rule passes and which claims the design embodies."""
    good = write_recipe(tmp_path / "good.toml", small_recipe(name="good"))
    out = tmp_path / "out"
    assert cli.main(["build", "--quiet", "--report", str(good), "-o", str(out)]) == commands.EXIT_OK
    files = {p.name for p in (out / "good").iterdir()}
    assert {"good.step", "manifest.json", "report.md", "report.html"} <= files
    md = (out / "good" / "report.md").read_text()
    assert "Design rules: **pass**; claims embodied: 1, 2, 3, 5, 6." in md and "FAIL" not in md
    assert "not embodied:" not in capsys.readouterr().out
