"""Tables of check results and of the design report, as rows of text: one source for the CLI's check table, the
report's Markdown and its HTML."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..core.results import CheckResult


def format_checks(name: str, results: Sequence[CheckResult]) -> str:
    """A readable table of check results."""
    rows = [("check", "claim", "value", "limit", "unit", "result", "where")]
    for c in results:
        rows.append((c.name, c.claim, f"{c.value:.6g}", f"{c.limit:.6g}", c.unit, "pass" if c.passed else "FAIL",
                     c.where))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"{name}:"]
    for r in rows:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _g(x: float) -> str:
    return "inf" if isinstance(x, float) and math.isinf(x) else f"{x:.4g}"


def report_tables(c: dict) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(heading, intro, header, rows) of every table, shared by both renderers."""
    out = []
    claim_rows = []
    for r in c["claims"]:
        dep = "independent" if r.depends_on is None else f"claim {r.depends_on}"
        claim_rows.append([str(r.number), r.text, dep, "yes" if r.embodied else "no", r.status, "", "", "", ""])
        if not r.embodied:
            continue
        for lim in r.limitations:
            for ck in lim.checks:
                claim_rows.append(["", "", "", "", "", lim.text, ck.name, f"{_g(ck.value)} / {_g(ck.limit)} {ck.unit}",
                                   "pass" if ck.passed else "FAIL"])
            for n in lim.missing:
                claim_rows.append(["", "", "", "", "", lim.text, n, "missing", "FAIL"])
        if r.failing:
            claim_rows.append(["", "", "", "", "", "failing", ", ".join(r.failing), "", "FAIL"])
    out.append(("Claim matrix", (f"Claims of {c['claims_file']} ({c['flow']} flow). A claim passes when the design "
                                 "embodies it, every check of its limitations passes, and its parent claim passes."),
                ["claim", "text", "depends on", "embodied", "result", "limitation", "check", "value / limit",
                 "check result"], claim_rows))
    bom = [[b["name"], b["material"], str(b["count"]), f"{b['volume_mm3']:.4f}", f"{b['mass_mg']:.3f}"]
           for b in c["bom"]]
    bom.append(["total", "", str(sum(b["count"] for b in c["bom"])), f"{c['totals']['volume_mm3']:.4f}",
                f"{c['totals']['mass_mg']:.3f}"])
    out.append(("Bill of materials", "Net volumes (a body less what it embeds) and masses from the table densities.",
                ["body", "material", "count", "volume (mm3)", "mass (mg)"], bom))
    th = c["thermal"]
    net = [[e.path, e.name, e.material, _g(e.k), _g(e.t_mm), _g(e.area_mm2), str(e.count), _g(e.r), e.note]
           for e in th.elements]
    out.append(("Thermal estimate (first-order)",
                (f"FIRST-ORDER ESTIMATE, not a sign-off analysis. theta_j-top = {_g(th.theta_jtop)} K/W, "
                 f"theta_j-board = {_g(th.theta_jboard)} K/W; both paths together {_g(th.theta_j)} K/W. The "
                 f"{th.dominant} path dominates: it carries {_g(100 * max(th.top_share, 1 - th.top_share))} % of "
                 "the heat with top and board at one temperature."),
                ["path", "element", "material", "k (W/m.K)", "t (mm)", "A (mm2)", "count", "R (K/W)", "note"],
                net))
    out.append(("Materials of the thermal network", "Conductivities and their public sources.",
                ["material", "k (W/m.K)", "source"], [[n, _g(k), s] for n, k, s in th.materials()]))
    checks = [[ck.name, ck.claim, _g(ck.value), _g(ck.limit), ck.unit, "pass" if ck.passed else "FAIL", ck.where]
              for ck in c["checks"]]
    out.append(("Checks", "Every check run on the finished package and its history.",
                ["check", "claim", "value", "limit", "unit", "result", "where"], checks))
    return out
