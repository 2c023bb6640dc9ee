"""Sweep plots as PNG: the share passing over two parameters (map), a metric against a parameter, and the yield
against a parameter (one line per value of a ``group`` parameter, with 95 % Wilson bands). Every axis names its
unit, from the design model's field descriptions. One denominator everywhere: every variant of a point, a variant
not built (invalid, error, timeout) counting as failing every check; a check that does not apply to a built
variant is left out of that check's share. matplotlib is imported only when drawing (an optional heavy
import)."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..core.params import ParameterError
from ..flows import flow_named
from ..measure.stats import yield_ci
from ..output.files import write_figure
from .expand import Plan
from .results import check_names, check_stats, short
from .spec import Plot, SweepSpec

YIELD_BINS = 12
"""Yield against a parameter with more distinct values than this (random or Latin-hypercube sampling, or a
toleranced value) is computed per bin of the parameter."""


DENOMINATOR = "denominator: every variant; not built counts as failing"
"""The one denominator rule, stated in every yield legend."""
_UNITS = (("mm3", "mm3"), ("mm2", "mm2"), ("mm", "mm"), ("um", "um"), ("degrees", "deg"), ("W/m", "W/m.K"),
          ("a count", "count"), ("seconds", "s"))


def unit_of(flow: str | None, key: str) -> str:
    """The unit of recipe key ``key`` (dotted) of ``flow``, read from its design model's field description ("",
    unknown or unitless)."""
    try:
        model: Any = flow_named(flow or "").model
    except ParameterError:
        return ""
    field = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        field = fields.get(part) if fields else None
        if field is None:
            return ""
        model = next((a for a in (field.annotation, *getattr(field.annotation, "__args__", ()))
                      if isinstance(a, type) and issubclass(a, BaseModel)), None)
    text = (field.description or "") if field is not None else ""
    found = [(m.start(), unit) for word, unit in _UNITS for m in [re.search(rf"\b{re.escape(word)}\b", text)] if m]
    return min(found)[1] if found else ""


def _axis(plan: Plan, key: str) -> str:
    """``key`` with its unit (the first one its description names), for an axis label."""
    unit = unit_of(plan.spec.base.get("flow"), key)
    return f"{key} ({unit})" if unit else key


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
    """Whether row ``r`` passes ``check`` ("all": every check; "built": the variant was built). One denominator:
    a variant not built fails every check; None when a built variant did not run the check (it does not apply)."""
    if check == "built":
        return r.get("status") == "ok"
    if r.get("status") != "ok":
        return False
    if check == "all":
        return None if r.get("passed") is None else r["passed"] is True
    v = r.get(f"check.{check}.passed")
    return None if v is None else bool(v)


def _save(fig, path: Path) -> Path:
    return write_figure(fig, path, dpi=110)


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
    label = f"share passing {'all checks' if check == 'all' else check} (fraction; {DENOMINATOR})"
    if len(keys) >= 0.5 * len(xv) * len(yv) and len(xv) * len(yv) <= 10_000:
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
        ax.set_xticks(range(0, len(xv), step_x), [short(v) for v in xv[::step_x]])
        ax.set_yticks(range(0, len(yv), step_y), [short(v) for v in yv[::step_y]])
        ax.set_xlabel(_axis(plan, x))
        ax.set_ylabel(_axis(plan, y))
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
        _label(ax, _axis(plan, x), xcats, "x")
        _label(ax, _axis(plan, y), ycats, "y")
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
        _label(ax, _axis(plan, x), cats, "x")
        ax.legend(fontsize=8)
    else:
        ax.set_xlabel(_axis(plan, x))
        ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center")
    if y.endswith(".margin"):
        ax.axhline(0.0, color="k", lw=0.8, ls="--")
    ax.set_ylabel(_metric_label(rows, y))
    ax.set_title(f"{plan.spec.name}:\n{y} against {x}", fontsize=9)
    return _save(fig, path)


def _metric_label(rows: Sequence[dict[str, Any]], y: str) -> str:
    """Column ``y`` with its unit: a check's value and limit in the check's unit, its margin relative (see
    :func:`geometry.sweep.worker.margin`), a body's from its name, a total's or metric's when it names one."""
    m = re.fullmatch(r"check\.(.+)\.(value|limit|margin)", y)
    if m and m.group(2) == "margin":
        return f"{y} (relative to the limit, > 0 passes)"
    if m:
        unit = next((r.get(f"check.{m.group(1)}.unit") for r in rows if r.get(f"check.{m.group(1)}.unit")), None)
        return f"{y} ({unit})" if unit else y
    for suffix, unit in (("_mm3", "mm3"), ("_mg", "mg"), ("_mm2", "mm2"), ("_mm", "mm"), ("_s", "s")):
        if y.endswith(suffix):
            return f"{y} ({unit})"
    return y


def plot_yield(plan: Plan, rows: Sequence[dict[str, Any]], x: str, path: Path, check: str = "all",
               group: str | None = None) -> Path:
    """Share of variants passing (every check, and each check that ever fails) against parameter ``x``, each
    point with its 95 % Wilson interval as a band; with ``group``, one line of ``check`` per value of that
    parameter instead."""
    if group is not None:
        return _plot_grouped_yield(plan, rows, x, group, path, check)
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
        label = {"all": "all checks", "built": "built (valid, no error)"}.get(s, s)
        _series(ax, xs, order, [groups[k] for k in keys], s, label, lw=2.0 if s == "all" else 1.0,
                ls=":" if s == "built" else "-")
    ax.set_ylim(-3, 103)
    ax.set_ylabel("yield: share of variants passing (%)")
    _label(ax, _axis(plan, x), cats, "x")
    ax.legend(fontsize=8, title=f"95 % Wilson bands; {DENOMINATOR}", title_fontsize=7)
    binned = f", in {YIELD_BINS} bins" if edges is not None else ""
    ax.set_title(f"{plan.spec.name}: yield against {x} ({len(rows)} variants{binned})", fontsize=10)
    return _save(fig, path)


def _series(ax, xs: list[float], order: list[int], members: list[list[dict[str, Any]]], check: str, label: str,
            **style: Any) -> None:
    """One yield line (%) of ``check`` over the points ``members`` (rows per point) at ``xs``, with its 95 %
    Wilson band."""
    px, py, lo, hi = [], [], [], []
    for i in order:
        res = [v for v in (_passes(r, check) for r in members[i]) if v is not None]
        if res:
            ci = yield_ci(sum(res), len(res))
            px.append(xs[i])
            py.append(100 * ci.value)
            lo.append(100 * ci.low)
            hi.append(100 * ci.high)
    (line,) = ax.plot(px, py, marker="o", label=label, **style)
    ax.fill_between(px, lo, hi, color=line.get_color(), alpha=0.15, lw=0)


def _plot_grouped_yield(plan: Plan, rows: Sequence[dict[str, Any]], x: str, group: str, path: Path,
                        check: str) -> Path:
    """Share passing ``check`` against ``x``, one line (with its Wilson band) per value of parameter ``group``."""
    cx, cg = _x_column(plan, x), _x_column(plan, group)
    by_group: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    raw_x: dict[str, Any] = {}
    raw_g: dict[str, Any] = {}
    for r in rows:
        if r.get(cx) is None or r.get(cg) is None:
            continue
        kx, kg = json.dumps(r.get(cx)), json.dumps(r.get(cg))
        by_group[kg][kx].append(r)
        raw_x[kx], raw_g[kg] = r.get(cx), r.get(cg)
    xkeys = list(raw_x)
    xs, cats = _positions([raw_x[k] for k in xkeys])
    where = dict(zip(xkeys, xs, strict=True))
    fig, ax = _figure()
    gunit = unit_of(plan.spec.base.get("flow"), group)
    for kg in sorted(by_group, key=lambda k: _sort_key(raw_g[k])):
        points = by_group[kg]
        keys = sorted(points, key=lambda k: where[k])
        _series(ax, [where[k] for k in keys], list(range(len(keys))), [points[k] for k in keys], check,
                f"{group} = {short(raw_g[kg])}{' ' + gunit if gunit else ''}")
    ax.set_ylim(-3, 103)
    ax.set_ylabel(f"yield: share of variants passing {'all checks' if check == 'all' else check} (%)")
    _label(ax, _axis(plan, x), cats, "x")
    ax.legend(fontsize=8, title=f"95 % Wilson bands; {DENOMINATOR}", title_fontsize=7)
    ax.set_title(f"{plan.spec.name}: yield against {x} by {group} ({len(rows)} variants)", fontsize=10)
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
    out_dir.mkdir(parents=True, exist_ok=True)
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
            suffix = ("" if p.check == "all" else f"-{p.check}") + (f"-by-{_file_part(p.group)}" if p.group else "")
            path = out_dir / f"yield-{_file_part(p.x)}{suffix}.png"
            paths.append(plot_yield(plan, rows, p.x, path, p.check, p.group))
    return paths
