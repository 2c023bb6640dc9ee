"""Sweep results: the flat table (CSV, Parquet), the printed summary and the PNG plots.

Table columns, in order: ``variant``, ``point``, ``replicate``, ``name``, ``key`` (the variant hash), ``status``,
``reason``, ``passed``, ``cached``, ``elapsed_s``; the parameters by dotted path (the swept ones, or all);
``<path>@nominal`` for a toleranced parameter that is also swept (the value before its draw); then per check
``check.<name>.passed|value|limit|margin``, per body ``body.<name>.volume_mm3|mass_mg``, ``total.volume_mm3``,
``total.mass_mg`` and, when designs are exported, ``exported``.

Shares: a check's pass rate counts the variants that ran it; "all checks" (the yield) counts every variant, an
invalid, failed or timed-out one as not passing.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .spec import Plan, Plot, SweepSpec, Variant, resolved
from .worker import flatten

YIELD_BINS = 12
"""Yield against a parameter with more distinct values than this (random or Latin-hypercube sampling, or a
toleranced value) is computed per bin of the parameter."""
META = ["variant", "point", "replicate", "name", "key", "status", "reason", "passed", "cached", "elapsed_s"]


# ---------------------------------------------------------------------------------------------------- atomic files


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a hidden sibling of ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


# ----------------------------------------------------------------------------------------------------------- table


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


def columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every column of ``rows``: the meta columns, then parameters, checks, bodies, totals, report metrics in
    first-seen order."""
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    rest = [k for k in seen if k not in META]

    def group(k: str) -> int:
        for i, prefix in enumerate(("check.", "body.", "total.", "metric.", "exported")):
            if k.startswith(prefix):
                return i + 1
        return 0

    return [k for k in META if k in seen or not rows] + sorted(rest, key=group)


def write_csv(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    cols = columns(rows)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return write_text(path, buf.getvalue())


def write_parquet(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """The table as Parquet (pyarrow); a column of mixed types is stored as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = columns(rows)
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
    return write_atomic(path, lambda p: pq.write_table(table, p))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------------------------------------- summary


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


def _g(v: Any) -> str:
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
    lines = [f"sweep {spec.name} ({spec.flow}, base {base}): {len(rows)} of {n_all} variants"
             + (f" (limited to the first {n_all} of {len(plan.variants)})" if n_all < len(plan.variants) else "")
             + (" - INTERRUPTED" if interrupted else ""),
             (f"  design points: {plan.points} ({plan.filtered} removed by the filter), "
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
                vals = " ".join(f"{p}={_g(r.get(p))}" for p in list(spec.axes)[:3])
                worst = f"#{s['worst_variant']} {vals}".rstrip()
            table.append((s["check"], claim, _pct(s["passed"], s["ran"]),
                          _g(s["worst_margin"]) if s["worst_margin"] is not None else "-", unit, worst))
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


# ----------------------------------------------------------------------------------------------------------- plots


def _x_column(plan: Plan, x: str) -> str:
    return f"{x}@nominal" if x in plan.nominal_columns else x


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _positions(values: Sequence[Any]) -> tuple[list[float], list[Any] | None]:
    """Numbers as they are; anything else as category indices (with the category labels)."""
    if _numeric(values):
        return [float(v) for v in values], None
    cats = sorted({json.dumps(v) if not isinstance(v, str) else v for v in values}, key=str)
    index = {c: i for i, c in enumerate(cats)}
    return [float(index[json.dumps(v) if not isinstance(v, str) else v]) for v in values], cats


def _passes(r: dict[str, Any], check: str) -> bool | None:
    """Whether row ``r`` passes ``check`` ("all": every check, a variant not built counts as not passing; "built":
    the variant was built); None when the check did not run."""
    if check == "all":
        if r.get("status") != "ok":
            return False
        return None if r.get("passed") is None else r["passed"] is True
    if check == "built":
        return r.get("status") == "ok"
    v = r.get(f"check.{check}.passed")
    return None if v is None else bool(v)


def _save(fig, path: Path) -> Path:
    return write_atomic(path, lambda p: fig.savefig(p, format="png", dpi=110))


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    return fig, fig.add_subplot()


def plot_map(plan: Plan, rows: Sequence[dict[str, Any]], x: str, y: str, path: Path, check: str = "all") -> Path:
    """Share of variants passing ``check`` at each (x, y) design point, as a grid of cells (one per pair of values)
    when the points fill a grid, else as dots; points where nothing was built are grey crosses."""
    cx, cy = _x_column(plan, x), _x_column(plan, y)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    raw: dict[tuple[str, str], tuple[Any, Any]] = {}
    for r in rows:
        k = (json.dumps(r.get(cx)), json.dumps(r.get(cy)))
        groups[k].append(r)
        raw[k] = (r.get(cx), r.get(cy))
    keys = list(groups)
    shares, built = [], []
    for k in keys:
        res = [_passes(r, check) for r in groups[k]]
        res = [v for v in res if v is not None]
        shares.append(sum(res) / len(res) if res else math.nan)
        built.append(any(r["status"] == "ok" for r in groups[k]))
    fig, ax = _figure()
    xv = sorted({raw[k][0] for k in keys}, key=_sort_key)
    yv = sorted({raw[k][1] for k in keys}, key=_sort_key)
    label = f"share passing {'all checks' if check == 'all' else check}"
    if len(keys) >= 0.5 * len(xv) * len(yv) and len(xv) * len(yv) <= 10_000:
        import numpy as np

        grid = np.full((len(yv), len(xv)), np.nan)
        xi = {json.dumps(v): i for i, v in enumerate(xv)}
        yi = {json.dumps(v): i for i, v in enumerate(yv)}
        for k, share, ok in zip(keys, shares, built, strict=True):
            i, j = yi[json.dumps(raw[k][1])], xi[json.dumps(raw[k][0])]
            if ok:
                grid[i, j] = share
            else:
                ax.plot(j, i, marker="x", color="0.45", ms=10)
            if len(keys) <= 200:
                text = f"{100 * share:.0f}%" if ok and not math.isnan(share) else ("built,\nno checks" if ok else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=7)
        im = ax.imshow(grid, origin="lower", cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
        fig.colorbar(im, ax=ax, label=label)
        step_x, step_y = max(1, len(xv) // 12), max(1, len(yv) // 12)
        ax.set_xticks(range(0, len(xv), step_x), [_g(v) for v in xv[::step_x]])
        ax.set_yticks(range(0, len(yv), step_y), [_g(v) for v in yv[::step_y]])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    else:
        xs, xcats = _positions([raw[k][0] for k in keys])
        ys, ycats = _positions([raw[k][1] for k in keys])
        good = [i for i in range(len(keys)) if built[i] and not math.isnan(shares[i])]
        sc = ax.scatter([xs[i] for i in good], [ys[i] for i in good], c=[shares[i] for i in good], cmap="RdYlGn",
                        vmin=0, vmax=1, s=30, edgecolors="k", linewidths=0.3)
        bad = [i for i in range(len(keys)) if not built[i]]
        if bad:
            ax.scatter([xs[i] for i in bad], [ys[i] for i in bad], marker="x", c="0.45", s=30)
        fig.colorbar(sc, ax=ax, label=label)
        _label(ax, x, xcats, "x")
        _label(ax, y, ycats, "y")
    n_bad = sum(1 for b in built if not b)
    ax.set_title(f"{plan.spec.name}: pass/fail map, {len(rows)} variants"
                 + (f" (x: {n_bad} point(s) not built: invalid, error or timeout)" if n_bad else ""), fontsize=9)
    return _save(fig, path)


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, json.dumps(v))


def _label(ax, name: str, cats: list[Any] | None, which: str) -> None:
    getattr(ax, f"set_{which}label")(name)
    if cats is not None:
        getattr(ax, f"set_{which}ticks")(range(len(cats)), [str(c) for c in cats])


def plot_metric(plan: Plan, rows: Sequence[dict[str, Any]], x: str, y: str, path: Path) -> Path:
    """Column ``y`` against parameter ``x``, passing variants green, failing red."""
    cx = _x_column(plan, x) if x not in plan.spec.tolerances else x
    pts = [(r.get(cx), r.get(y), r.get("passed")) for r in rows if r.get(y) is not None and r.get(cx) is not None]
    fig, ax = _figure()
    if pts:
        xs, cats = _positions([p[0] for p in pts])
        for ok, colour, label in ((True, "tab:green", "all checks pass"), (False, "tab:red", "a check fails"),
                                  (None, "tab:blue", "no checks")):
            sel = [i for i, p in enumerate(pts) if p[2] is ok]
            if sel:
                ax.scatter([xs[i] for i in sel], [float(pts[i][1]) for i in sel], s=18, c=colour, alpha=0.7,
                           label=label)
        _label(ax, x, cats, "x")
        ax.legend(fontsize=8)
    else:
        ax.set_xlabel(x)
        ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center")
    if y.endswith(".margin"):
        ax.axhline(0.0, color="k", lw=0.8, ls="--")
    ax.set_ylabel(y)
    ax.set_title(f"{plan.spec.name}:\n{y} against {x}", fontsize=9)
    return _save(fig, path)


def plot_yield(plan: Plan, rows: Sequence[dict[str, Any]], x: str, path: Path, check: str = "all") -> Path:
    """Share of variants passing (every check, and each check that ever fails) against parameter ``x``."""
    cx = _x_column(plan, x)
    series = [check]
    if check == "all":
        series += [c for c in check_names(rows) if any(_passes(r, c) is False for r in rows)]
        if any(r.get("status") != "ok" for r in rows):
            series.append("built")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    raw: dict[str, Any] = {}
    values = [r.get(cx) for r in rows if r.get(cx) is not None]
    edges = None
    if _numeric(values) and len(set(values)) > YIELD_BINS:  # sampled, not gridded: share per bin of x
        import numpy as np

        edges = np.histogram_bin_edges(np.asarray(values, dtype=float), bins=YIELD_BINS)
    for r in rows:
        v = r.get(cx)
        if v is None:
            continue
        if edges is not None:
            b = min(int(np.searchsorted(edges, float(v), side="right")) - 1, YIELD_BINS - 1)
            v = float((edges[b] + edges[b + 1]) / 2)
        k = json.dumps(v)
        groups[k].append(r)
        raw[k] = v
    keys = list(groups)
    xs, cats = _positions([raw[k] for k in keys])
    order = sorted(range(len(keys)), key=lambda i: xs[i])
    fig, ax = _figure()
    for s in series:
        px, py = [], []
        for i in order:
            res = [_passes(r, s) for r in groups[keys[i]]]
            res = [v for v in res if v is not None]
            if res:
                px.append(xs[i])
                py.append(100 * sum(res) / len(res))
        label = {"all": "all checks (not built counts as failing)", "built": "built (valid, no error)"}.get(s, s)
        ax.plot(px, py, marker="o", lw=2.0 if s == "all" else 1.0, ls=":" if s == "built" else "-", label=label)
    ax.set_ylim(-3, 103)
    ax.set_ylabel("yield: share of variants passing (%)")
    _label(ax, x, cats, "x")
    ax.legend(fontsize=8)
    binned = f", in {YIELD_BINS} bins" if edges is not None else ""
    ax.set_title(f"{plan.spec.name}: yield against {x} ({len(rows)} variants{binned})", fontsize=10)
    return _save(fig, path)


def default_plots(spec: SweepSpec, rows: Sequence[dict[str, Any]]) -> list[Plot]:
    """Without ``[[plot]]`` in the spec: a pass/fail map over the first two axes, yield against each of the first
    three axes, and the margins of the three checks closest to failing (margin relative to the limit) against the
    first axis."""
    axes = list(spec.axes)
    plots: list[Plot] = []
    if len(axes) >= 2:
        plots.append(Plot(kind="map", x=axes[0], y=axes[1]))
    plots += [Plot(kind="yield", x=a) for a in axes[:3]]
    if axes:
        stats = [s for s in check_stats(rows) if s["worst_margin"] is not None]
        varying = [s for s in stats if len({r.get(f"check.{s['check']}.margin") for r in rows} - {None}) > 1]

        def relative(s: dict[str, Any]) -> float:
            lim = abs(s["worst_limit"] or 0.0)
            return s["worst_margin"] / lim if lim > 1e-12 else s["worst_margin"]

        for s in sorted(varying, key=relative)[:3]:
            plots.append(Plot(kind="metric", x=axes[0], y=f"check.{s['check']}.margin"))
    return plots


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80]


def draw(plan: Plan, rows: Sequence[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Every plot of the spec (or the default set) as PNG under ``out_dir``."""
    plots = list(plan.spec.plot) or default_plots(plan.spec, rows)
    paths = []
    for p in plots:
        if p.kind == "map":
            suffix = "" if p.check == "all" else f"-{p.check}"
            path = out_dir / f"map-{_file_part(p.x)}-{_file_part(p.y)}{suffix}.png"
            paths.append(plot_map(plan, rows, p.x, p.y, path, p.check))
        elif p.kind == "metric":
            path = out_dir / f"metric-{_file_part(p.y)}-vs-{_file_part(p.x)}.png"
            paths.append(plot_metric(plan, rows, p.x, p.y, path))
        else:
            suffix = "" if p.check == "all" else f"-{p.check}"
            path = out_dir / f"yield-{_file_part(p.x)}{suffix}.png"
            paths.append(plot_yield(plan, rows, p.x, path, p.check))
    return paths
