"""Tables of check results and of the design report, as rows of text: one source for the CLI's check table, the
report's Markdown and its HTML."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..core.claims import ClaimResult
from ..core.results import CheckResult
from ..measure.outline import Outline
from ..thermal.jedec import solved_table


def format_checks(name: str, results: Sequence[CheckResult], claims: Sequence[ClaimResult] = (),
                  outline: Outline | None = None) -> str:
    """A readable table of check results (``kind``: design rule or claim limitation; a failing rule is ``FAIL``, a
    claim limitation not met is ``not met``), then, given the claim rows, which claims the design embodies, and,
    given the outline, its JEDEC-style numbers on one line."""
    rows = [("check", "kind", "claim", "value", "limit", "unit", "result", "where")]
    for c in results:
        rows.append((c.name, c.kind, c.claim, f"{c.value:.6g}", f"{c.limit:.6g}", c.unit, c.verdict, c.where))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"{name}:"]
    for r in rows:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    if claims:
        lines.append("  " + claim_summary(claims))
    if outline is not None:
        lines.append("  outline (mm): " + ", ".join(f"{sym} {val}" for sym, val, _ in outline.table()))
    return "\n".join(lines)


def claim_summary(claims: Sequence[ClaimResult]) -> str:
    """One line: the claims embodied, and each intended claim that is not, with its failing checks."""
    have = [str(r.number) for r in claims if r.embodied]
    missed = [f"{r.number} ({r.reason})" for r in claims if r.intended and not r.embodied]
    text = f"claims embodied: {', '.join(have) or 'none'}"
    return text + (f"; intended but not embodied: {'; '.join(missed)}" if missed else "")


def _g(x: float) -> str:
    return "inf" if isinstance(x, float) and math.isinf(x) else f"{x:.4g}"


def report_tables(c: dict) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(heading, intro, header, rows) of every table, shared by both renderers."""
    out = []
    claim_rows = []
    for r in c["claims"]:
        dep = "independent" if r.depends_on is None else f"claim {r.depends_on}"
        claim_rows.append([str(r.number), r.text, dep, "yes" if r.intended else "no", r.status, "", "", "", ""])
        if not r.intended:
            continue
        for lim in r.limitations:
            for ck in lim.checks:
                claim_rows.append(["", "", "", "", "", lim.text, ck.name, f"{_g(ck.value)} / {_g(ck.limit)} {ck.unit}",
                                   ck.verdict])
            for n in lim.missing:
                claim_rows.append(["", "", "", "", "", lim.text, n, "missing", "not met"])
        if r.failing:
            claim_rows.append(["", "", "", "", "", "not embodied because", r.reason, "", "not met"])
    out.append(("Claim matrix", (f"Claims of {c['claims_file']} ({c['flow']} flow). A claim is embodied when the "
                                 "design is its variant, every check of its limitations passes, and its parent "
                                 "claim is embodied. A design that does not embody a claim is not broken: only a "
                                 "failing design rule (see Checks) says the package cannot be built."),
                ["claim", "text", "depends on", "intended", "status", "limitation", "check", "value / limit",
                 "check result"], claim_rows))
    if c.get("outline") is not None:
        out.append(("Outline (JEDEC style)", ("The numbers of the package outline drawing, measured from the built "
                                              "package (JEDEC Publication 95, Design Guide 4.5 letters)."),
                    ["symbol", "value", "meaning"], [list(r) for r in c["outline"].table()]))
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
                 f"theta_j-board = {_g(th.theta_jboard)} K/W; both paths together {_g(th.theta_j)} K/W. How the "
                 "heat splits between top and board comes only from the 3D solve (thermal.solve, pkgcad thermal)."),
                ["path", "element", "material", "k (W/m.K)", "t (mm)", "A (mm2)", "count", "R (K/W)", "note"],
                net))
    solved = solved_table(th)
    if solved is not None:
        out.append(solved)
    out.append(("Materials of the thermal network", "Conductivities and their public sources.",
                ["material", "k (W/m.K)", "source"], [[n, _g(k), s] for n, k, s in th.materials()]))
    checks = [[ck.name, ck.kind, ck.claim, _g(ck.value), _g(ck.limit), ck.unit, ck.verdict, ck.where]
              for ck in c["checks"]]
    out.append(("Checks", ("Every check run on the finished package and its history: design rules (the package "
                           "cannot be built or assembled when one fails) and claim limitations (the design then "
                           "does not embody the claims that name them)."),
                ["check", "kind", "claim", "value", "limit", "unit", "result", "where"], checks))
    return out
