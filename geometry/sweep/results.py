"""Sweep results: the flat table (CSV, Parquet) and the printed summary.

Table columns, in order: ``variant``, ``point``, ``replicate``, ``name``, ``key`` (the variant hash), ``status``,
``reason``, ``passed``, ``cached``, ``elapsed_s``; the parameters by dotted path (the swept ones in the spec's
order, then, with ``parameters = "all"``, the others by name); ``<path>@nominal`` for a toleranced parameter that
is also swept (the value before its draw); then per check (by name) ``check.<name>.passed|value|limit|margin``, per
body (by name) ``body.<name>.volume_mm3|mass_mg``, ``total.volume_mm3``, ``total.mass_mg``, the report metrics
``metric.<name>`` (by name) and, when designs are exported, ``exported``. The order depends on the spec and the
columns present only, never on the runner or on which variant finished first (:func:`columns`).

Shares: a check's pass rate counts the variants that ran it; "all checks" (the yield) counts every variant, an
invalid, failed or timed-out one as not passing. pyarrow is imported only to write Parquet (an optional import).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..output.files import atomic, write_text
from .expand import Plan, Variant
from .paths import resolved
from .worker import flatten

META = ["variant", "point", "replicate", "name", "key", "status", "reason", "passed", "cached", "elapsed_s"]


def _scalar(v: Any) -> Any:
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, sort_keys=True)
    return v


def flat_row(plan: Plan, v: Variant, row: dict[str, Any], cached: bool) -> dict[str, Any]:
    """One table row of variant ``v`` from its job's ``row``."""
    spec = plan.spec
    out: dict[str, Any] = {
        "variant": v.index, "point": v.point, "replicate": v.replicate, "name": v.name, "key": v.key,
        "status": row.get("status"), "reason": row.get("reason") or "", "passed": row.get("passed"),
        "cached": cached, "elapsed_s": row.get("elapsed_s"),
    }
    if spec.keep.parameters == "all":
        params = row.get("params") or flatten({k: x for k, x in v.recipe.items()})
        for k, x in params.items():
            if k not in ("name", "description"):
                out[k] = _scalar(x)
    else:
        for p in spec.swept:
            out[p] = _scalar(resolved(v.recipe, p, spec.flow))
        if plan.seed_varied:
            out["seed"] = v.recipe.get("seed")
    for p in plan.nominal_columns:
        out[f"{p}@nominal"] = _scalar(v.nominal.get(p))
    seen: Counter[str] = Counter()
    for c in row.get("checks") or []:
        seen[c["name"]] += 1
        name = c["name"] if seen[c["name"]] == 1 else f"{c['name']}#{seen[c['name']]}"
        for k in ("passed", "value", "limit", "margin"):
            out[f"check.{name}.{k}"] = c[k]
        out[f"check.{name}.unit"] = c.get("unit", "")
    for b in row.get("bodies") or []:
        out[f"body.{b['name']}.volume_mm3"] = b["volume_mm3"]
        out[f"body.{b['name']}.mass_mg"] = b["mass_mg"]
    for k, x in (row.get("totals") or {}).items():
        out[f"total.{k}"] = x
    for k, x in (row.get("metrics") or {}).items():
        out[f"metric.{k}"] = x
    if spec.keep.step != "none":
        out["exported"] = row.get("exported")
    return out


_GROUPS = ("check.", "body.", "total.", "metric.", "exported")
_FIELDS = {"check.": ("passed", "value", "limit", "margin"), "body.": ("volume_mm3", "mass_mg"),
           "total.": ("volume_mm3", "mass_mg")}


def _natural(text: str) -> tuple:
    """Sort key reading digit runs as numbers: ``claim_2`` before ``claim_10``."""
    return tuple(int(t) if i % 2 else t for i, t in enumerate(re.split(r"(\d+)", text)))


def columns(rows: Sequence[dict[str, Any]], params: Sequence[str] = ()) -> list[str]:
    """Every column of ``rows``, in an order set by the spec and fixed rules, never by the rows' order (which
    runner, which finished first, which came from the cache): the meta columns; the parameters ``params`` in their
    order (the spec's), any other parameter by name, ``<path>@nominal``; then checks, bodies, totals, report
    metrics and ``exported``, each group by name (a check's or body's own fields in their fixed order)."""
    seen: set[str] = set()
    for r in rows:
        seen.update(r)
    rank = {p: i for i, p in enumerate(params)}

    def key(k: str) -> tuple:
        group = next((i + 1 for i, g in enumerate(_GROUPS) if k.startswith(g)), 0)
        if group == 0:
            base, nominal = k.removesuffix("@nominal"), k.endswith("@nominal")
            return (0, nominal, base not in rank, rank.get(base, 0), _natural(base))
        prefix = _GROUPS[group - 1]
        fields = _FIELDS.get(prefix, ())
        name = k[len(prefix):]
        head, _, tail = name.rpartition(".")
        if prefix == "total." and name in fields:
            return (group, 0, (), fields.index(name))
        if prefix != "total." and tail in fields:
            return (group, 0, _natural(head), fields.index(tail))
        return (group, 1, _natural(name), 0)

    return [k for k in META if k in seen or not rows] + sorted((k for k in seen if k not in META), key=key)


def write_csv(rows: Sequence[dict[str, Any]], path: Path, params: Sequence[str] = ()) -> Path:
    """The table as CSV, columns as :func:`columns`."""
    cols = columns(rows, params)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return write_text(path, buf.getvalue())


def write_parquet(rows: Sequence[dict[str, Any]], path: Path, params: Sequence[str] = ()) -> Path:
    """The table as Parquet (pyarrow), columns as :func:`columns`; a column of mixed types is stored as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = columns(rows, params)
    arrays, names = [], []
    for c in cols:
        values = [r.get(c) for r in rows]
        try:
            arr = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([None if v is None else str(v) for v in values], type=pa.string())
        arrays.append(arr)
        names.append(c)
    table = pa.Table.from_arrays(arrays, names=names)
    return atomic(path, lambda p: pq.write_table(table, p))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def check_names(rows: Sequence[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for r in rows:
        for k in r:
            if k.startswith("check.") and k.endswith(".passed"):
                names.setdefault(k[len("check."):-len(".passed")], None)
    return list(names)


def check_stats(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per check: variants that ran it, passed it, and the worst margin with its variant."""
    out = []
    for name in check_names(rows):
        ran = [r for r in rows if r.get(f"check.{name}.passed") is not None]
        passed = sum(1 for r in ran if r[f"check.{name}.passed"])
        with_margin = [r for r in ran if r.get(f"check.{name}.margin") is not None]
        worst = min(with_margin, key=lambda r: r[f"check.{name}.margin"]) if with_margin else None
        out.append({"check": name, "ran": len(ran), "passed": passed,
                    "worst_margin": worst[f"check.{name}.margin"] if worst else None,
                    "worst_limit": worst[f"check.{name}.limit"] if worst else None,
                    "worst_variant": worst["variant"] if worst else None, "worst_name": worst["name"] if worst else None})
    return out


def short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}% ({a}/{b})" if b else "-"


def summary(plan: Plan, rows: Sequence[dict[str, Any]], *, built: int, cached: int, elapsed_s: float,
            workers: str, interrupted: bool, units: dict[str, tuple[str, str]] | None = None,
            planned: int | None = None) -> str:
    """The printed summary: counts, yield, pass rate and worst margin per check, the commonest failure reasons."""
    spec = plan.spec
    units = units or {}
    n_all = len(plan.variants) if planned is None else planned
    status = Counter(r["status"] for r in rows)
    base = spec.base_path or "inline"
    total = plan.total
    limited = ""
    if n_all < (plan.most if total is None else total):
        limited = f" (limited to the first {n_all} of {total if total is not None else f'at most {plan.most}'})"
    removed = (f"{plan.filtered} removed by the filter" if plan.complete or not spec.filter else
               f"{plan.filtered} of the first {plan.examined} removed by the filter")
    lines = [f"sweep {spec.name} ({spec.flow}, base {base}): {len(rows)} of {n_all} variants" + limited
             + (" - INTERRUPTED" if interrupted else ""),
             (f"  design points: {plan.points} ({removed}), "
              f"{spec.sample.replicates} replicate(s) each, sampling {spec.sample.method}, seed {spec.seed}"),
             "  status: " + ", ".join(f"{status.get(s, 0)} {s}" for s in ("ok", "invalid", "error", "timeout")),
             f"  {cached} from cache, {built} built in {elapsed_s:.1f} s"
             + (f" ({60 * built / elapsed_s:.1f} variants/min on {workers})" if built and elapsed_s > 0 else
                f" on {workers}")]
    if rows and any(r.get("passed") is not None for r in rows):
        ok_all = sum(1 for r in rows if r.get("passed") is True)
        lines.append(f"  yield, all checks passed: {_pct(ok_all, len(rows))} (invalid, error and timeout count as "
                     "not passing)")
    elif rows:
        why = next((r["reason"] for r in rows if r["status"] == "ok" and r["reason"]), "")
        lines.append(f"  yield: no checks ran{f' ({why})' if why else ''}; built: "
                     f"{_pct(status.get('ok', 0), len(rows))}")
    stats = check_stats(rows)
    if stats:
        table = [("check", "claim", "pass rate", "worst margin", "unit", "worst variant")]
        by_variant = {r["variant"]: r for r in rows}
        for s in stats:
            claim, unit = units.get(s["check"], ("", ""))
            worst = ""
            if s["worst_variant"] is not None:
                r = by_variant[s["worst_variant"]]
                vals = " ".join(f"{p}={short(r.get(p))}" for p in list(spec.axes)[:3])
                worst = f"#{s['worst_variant']} {vals}".rstrip()
            table.append((s["check"], claim, _pct(s["passed"], s["ran"]),
                          short(s["worst_margin"]) if s["worst_margin"] is not None else "-", unit, worst))
        widths = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
        lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip() for t in table]
    reasons = Counter()
    example: dict[str, str] = {}
    for r in rows:
        if r["status"] != "ok":
            head = _reason_head(r["reason"])
            reasons[(r["status"], head)] += 1
            example.setdefault((r["status"], head), r["reason"])
    if reasons:
        lines.append("  not built:")
        for (st, _head), k in reasons.most_common(5):
            lines.append(f"    {k:>5} {st}: {example[(st, _head)][:160]}")
    return "\n".join(lines)


def _reason_head(reason: str) -> str:
    """The part of a reason that names the rule, without its numbers: groups alike failures."""
    return re.sub(r"[-+]?\d[\d.e+-]*", "#", reason.split(" / ")[0])[:80]
