"""Design report: claim matrix, bill of materials, process strip, 3D picture, check table and the first-order
thermal estimate, assembled as data (:func:`content`) and rendered as Markdown (:func:`markdown`) and one
self-contained HTML page (:func:`html`: pictures as base64 data URIs, no external resource). No file I/O:
:func:`geometry.export.write_report` writes the texts.
"""

from __future__ import annotations

import base64
import html as _html
import io
import math
from collections.abc import Sequence

from . import claims as _claims
from . import thermal as _thermal
from .checks import CheckResult


def _png(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def pictures(build) -> dict[str, bytes]:
    """PNG bytes: ``strip`` (one section panel per process step, :func:`geometry.render.build_figure`) and ``3d``
    (:func:`geometry.viewer.picture_png` of the finished stack)."""
    from .render import build_figure
    from .viewer import picture_png

    return {"strip": _png(build_figure(build, steps=True, dpi=110)),
            "3d": picture_png(build.stack, width=900, height=650)}


def bill_of_materials(stack) -> list[dict]:
    """Per body: name, material, count, net volume (mm3), mass (mg)."""
    return [{"name": b.name, "material": b.material_name, "count": b.count, "volume_mm3": stack.net_volume(b.name),
             "mass_mg": stack.mass_mg(b.name)} for b in stack]


def metrics(rows: Sequence[_claims.ClaimResult], th: _thermal.Thermal, bom: Sequence[dict]) -> dict[str, object]:
    """Flat report metrics for sweeps: ``claim_<n>_embodied``, ``claim_<n>_pass`` (None when not embodied),
    ``claims_pass``, ``theta_jtop_KW``, ``theta_jboard_KW``, ``theta_j_KW``, ``heat_top_share``,
    ``mass_total_mg`` and ``mass_<body>_mg``."""
    out: dict[str, object] = {}
    for r in rows:
        out[f"claim_{r.number}_embodied"] = r.embodied
        out[f"claim_{r.number}_pass"] = r.passed
    out["claims_pass"] = all(r.passed for r in rows if r.embodied)

    def num(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    out.update(theta_jtop_KW=num(th.theta_jtop), theta_jboard_KW=num(th.theta_jboard), theta_j_KW=num(th.theta_j),
               heat_top_share=num(th.top_share))
    out["mass_total_mg"] = sum(b["mass_mg"] for b in bom)
    for b in bom:
        out[f"mass_{b['name']}_mg"] = b["mass_mg"]
    return out


def content(build, results: Sequence[CheckResult] | None = None, with_pictures: bool = True) -> dict:
    """The report of ``build`` as data: name, flow, description, claims file, claim matrix rows, every check
    used, the bill of materials and totals, the thermal network, the metrics and (unless ``with_pictures`` is
    False) the PNG pictures."""
    from .flows import FLOWS

    rows, checks = _claims.evaluate(build, results)
    th = _thermal.estimate(build)
    bom = bill_of_materials(build.stack)
    d = build.design
    return {"name": d.name, "flow": build.flow, "description": d.description,
            "claims_file": FLOWS[build.flow].claims_file, "claims": rows, "checks": checks, "bom": bom,
            "totals": {"volume_mm3": sum(b["volume_mm3"] for b in bom), "mass_mg": sum(b["mass_mg"] for b in bom)},
            "thermal": th, "metrics": metrics(rows, th, bom),
            "pictures": pictures(build) if with_pictures else {},
            "passed": all(c.passed for c in checks) and all(r.passed for r in rows if r.embodied)}


def _g(x: float) -> str:
    return "inf" if isinstance(x, float) and math.isinf(x) else f"{x:.4g}"


def _tables(c: dict) -> list[tuple[str, str, list[str], list[list[str]]]]:
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


def _assumptions(c: dict) -> str:
    doc = _thermal.__doc__ or ""
    return doc[doc.index("Assumptions"):].strip() if "Assumptions" in doc else ""


def _md_cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown(c: dict) -> str:
    """The report as Markdown (pictures inline as data URIs)."""
    lines = [f"# {c['name']}: design report", "", f"{c['description']}", "",
             f"Flow `{c['flow']}`, claims `{c['claims_file']}`. Overall: **{'pass' if c['passed'] else 'FAIL'}**.",
             ""]
    for key, title in (("strip", "Process strip"), ("3d", "3D view")):
        if key in c["pictures"]:
            data = base64.b64encode(c["pictures"][key]).decode("ascii")
            lines += [f"## {title}", "", f"![{title}](data:image/png;base64,{data})", ""]
    for heading, intro, header, rows in _tables(c):
        lines += [f"## {heading}", "", intro, "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md_cell(x) for x in r) + " |" for r in rows]
        lines.append("")
        if heading.startswith("Thermal"):
            lines += [_assumptions(c), ""]
    return "\n".join(lines)


_CSS = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0;"
        "font-size:13px}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#eee}.FAIL{color:#b00;font-weight:bold}.pass{color:#070}img{max-width:100%}"
        "pre{white-space:pre-wrap}")


def html(c: dict) -> str:
    """The report as one self-contained HTML page: inline CSS, pictures as data URIs, no scripts, no links."""
    e = _html.escape
    verdict = "pass" if c["passed"] else "FAIL"
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
             f"<title>{e(c['name'])}: design report</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{e(c['name'])}: design report</h1>",
             f"<p>{e(c['description'])}</p>",
             (f"<p>Flow <code>{e(c['flow'])}</code>, claims <code>{e(c['claims_file'])}</code>. Overall: "
              f"<span class=\"{verdict}\">{verdict}</span>.</p>")]
    for key, title in (("strip", "Process strip"), ("3d", "3D view")):
        if key in c["pictures"]:
            data = base64.b64encode(c["pictures"][key]).decode("ascii")
            parts += [f"<h2>{title}</h2>", f"<img alt=\"{title}\" src=\"data:image/png;base64,{data}\">"]
    for heading, intro, header, rows in _tables(c):
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        parts += [f"<h2>{e(heading)}</h2>", f"<p>{e(intro)}</p>", f"<table><tr>{head}</tr>"]
        for r in rows:
            cells = "".join(f"<td class=\"{x}\">{e(x)}</td>" if x in ("pass", "FAIL") else f"<td>{e(x)}</td>"
                            for x in r)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
        if heading.startswith("Thermal"):
            parts.append(f"<pre>{e(_assumptions(c))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
