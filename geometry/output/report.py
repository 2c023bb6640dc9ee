"""Design report: claim matrix, bill of materials, process strip, 3D picture, check table and the first-order
thermal estimate, assembled as data (:func:`content`) and rendered as Markdown (:func:`markdown`) and one
self-contained HTML page (:func:`html`: pictures as base64 data URIs, no external resource). The claim table and
the thermal network come from the build's flow. No file I/O: :func:`geometry.output.design.write_report` writes
the texts.
"""

from __future__ import annotations

import base64
import html as _html
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.claims import ClaimResult, embodied, evaluate
from ..core.results import CheckResult, rules_pass
from ..core.text import printable
from ..thermal.jedec import solved_metrics
from ..thermal.network import Thermal
from .tables import claim_summary, report_tables
from .temperature import TITLES, temperature_pngs

if TYPE_CHECKING:
    from .instanced import StackMeshes

PICTURES = (("strip", "Process strip"), ("3d", "3D view"), *TITLES)
"""Report picture keys and titles, in order (the temperature pictures only with ``thermal.solve``)."""


def _png(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def pictures(build, meshes: StackMeshes | None = None) -> dict[str, bytes]:
    """PNG bytes: ``strip`` (one section panel per process step, :func:`geometry.output.drawing.build_figure`) and ``3d``
    (:func:`geometry.output.picture.picture_png` of the finished stack), both from one set of prototype meshes of
    the finished stack: ``meshes`` (e.g. the export's :func:`~geometry.output.instanced.stack_meshes`) or made
    here once. The drawing modules (trimesh, the section cutter, VTK) are imported here, so the report's data
    without pictures (a sweep's metrics, ``with_pictures=False``) does not load them."""
    from .drawing import build_figure
    from .instanced import stack_meshes
    from .picture import picture_png

    meshes = stack_meshes(build.stack) if meshes is None else meshes
    return {"strip": _png(build_figure(build, steps=True, dpi=110, prototypes=meshes)),
            "3d": picture_png(build.stack, width=900, height=650, prototypes=meshes)}


def bill_of_materials(stack) -> list[dict]:
    """Per body: name, material, count, net volume (mm3), mass (mg)."""
    return [{"name": b.name, "material": b.material_name, "count": b.count, "volume_mm3": stack.net_volume(b.name),
             "mass_mg": stack.mass_mg(b.name)} for b in stack]


def metrics(rows: Sequence[ClaimResult], th: Thermal, bom: Sequence[dict]) -> dict[str, object]:
    """Flat report metrics for sweeps: ``claim_<n>_intended`` (the design is that claim's variant),
    ``claim_<n>_embodied``, ``claims_embodied`` (every intended claim embodied), ``theta_jtop_KW``,
    ``theta_jboard_KW``, ``theta_j_KW``, ``mass_total_mg`` and ``mass_<body>_mg``; :func:`content` adds the 3D
    solve's (:data:`geometry.thermal.jedec.METRICS`)."""
    out: dict[str, object] = {}
    for r in rows:
        out[f"claim_{r.number}_intended"] = r.intended
        out[f"claim_{r.number}_embodied"] = r.embodied
    out["claims_embodied"] = all(r.embodied for r in rows if r.intended)

    def num(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    out.update(theta_jtop_KW=num(th.theta_jtop), theta_jboard_KW=num(th.theta_jboard), theta_j_KW=num(th.theta_j))
    out["mass_total_mg"] = sum(b["mass_mg"] for b in bom)
    for b in bom:
        out[f"mass_{b['name']}_mg"] = b["mass_mg"]
    return out


def content(build, results: Sequence[CheckResult] | None = None, with_pictures: bool = True,
            meshes: StackMeshes | None = None) -> dict:
    """The report of ``build`` as data: name, flow, description, claims file, claim matrix rows, every check
    used, the JEDEC-style outline, the bill of materials and totals, the thermal network, the metrics, (unless
    ``with_pictures`` is False) the PNG pictures (:func:`pictures`, drawn from ``meshes`` when given; with
    ``thermal.solve`` the temperature pictures of :func:`geometry.output.temperature.temperature_pngs`),
    ``passed`` (every design rule passes), ``embodied`` (the claims embodied) and ``summary`` (one line on the
    claims)."""
    rows, checks = evaluate(build, results)
    th = build.flow.thermal(build)
    bom = bill_of_materials(build.stack)
    d = build.design
    return {"name": d.name, "flow": build.flow.name, "description": d.description,
            "claims_file": build.flow.claims_file, "claims": rows, "checks": checks, "bom": bom,
            "totals": {"volume_mm3": sum(b["volume_mm3"] for b in bom), "mass_mg": sum(b["mass_mg"] for b in bom)},
            "thermal": th, "metrics": metrics(rows, th, bom) | solved_metrics(th),
            "pictures": pictures(build, meshes) | temperature_pngs(th) if with_pictures else {},
            "outline": build.flow.outline(build) if build.flow.outline else None,
            "passed": rules_pass(checks), "embodied": sorted(embodied(rows)),
            "summary": claim_summary(rows)}


def _text(s: object) -> str:
    """Text from a recipe made safe for Markdown and HTML alike: ``& < >`` as entities (no ``<script>`` reaches
    either report), control, bidirectional and invisible characters as visible escapes (:func:`printable`)."""
    return _html.escape(printable(str(s)), quote=False)


def _md_cell(s: str) -> str:
    return _text(s).replace("|", "\\|").replace("\n", " ")


def markdown(c: dict) -> str:
    """The report as Markdown (pictures inline as data URIs)."""
    lines = [f"# {c['name']}: design report", "", _text(c['description']), "",
             (f"Flow `{c['flow']}`, claims `{c['claims_file']}`. Design rules: "
              f"**{'pass' if c['passed'] else 'FAIL'}**; {c['summary']}."), ""]
    for key, title in PICTURES:
        if key in c["pictures"]:
            data = base64.b64encode(c["pictures"][key]).decode("ascii")
            lines += [f"## {title}", "", f"![{title}](data:image/png;base64,{data})", ""]
    for heading, intro, header, rows in report_tables(c):
        lines += [f"## {heading}", "", intro, "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md_cell(x) for x in r) + " |" for r in rows]
        lines.append("")
        if heading.startswith("Thermal"):
            lines += [c["thermal"].assumptions, ""]
    return "\n".join(lines)


_CSS = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0;"
        "font-size:13px}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#eee}.FAIL{color:#b00;font-weight:bold}.pass{color:#070}.not-met{color:#a60}img{max-width:100%}"
        "pre{white-space:pre-wrap}")


def html(c: dict) -> str:
    """The report as one self-contained HTML page: inline CSS, pictures as data URIs, no scripts, no links."""
    def e(s: object) -> str:
        return _html.escape(printable(str(s)))

    verdict = "pass" if c["passed"] else "FAIL"
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
             f"<title>{e(c['name'])}: design report</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{e(c['name'])}: design report</h1>",
             f"<p>{e(c['description'])}</p>",
             (f"<p>Flow <code>{e(c['flow'])}</code>, claims <code>{e(c['claims_file'])}</code>. Design rules: "
              f"<span class=\"{verdict}\">{verdict}</span>; {e(c['summary'])}.</p>")]
    for key, title in PICTURES:
        if key in c["pictures"]:
            data = base64.b64encode(c["pictures"][key]).decode("ascii")
            parts += [f"<h2>{title}</h2>", f"<img alt=\"{title}\" src=\"data:image/png;base64,{data}\">"]
    for heading, intro, header, rows in report_tables(c):
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        parts += [f"<h2>{e(heading)}</h2>", f"<p>{e(intro)}</p>", f"<table><tr>{head}</tr>"]
        for r in rows:
            cells = "".join(f"<td class=\"{x.replace(' ', '-')}\">{e(x)}</td>" if x in ("pass", "FAIL", "not met")
                            else f"<td>{e(x)}</td>"
                            for x in r)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
        if heading.startswith("Thermal"):
            parts.append(f"<pre>{e(c['thermal'].assumptions)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
