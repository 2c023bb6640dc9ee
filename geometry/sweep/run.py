"""Running a sweep: expand the spec, take cached variants, build the rest on local workers or a Dask cluster, and
write the table, summary and plots."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..core.params import ParameterError
from ..output.files import write_text
from ..output.folder import design_folder
from .cache import cacheable, code_fingerprint, read_cache, write_cache
from .expand import Plan, Variant, expand
from .plots import draw
from .results import check_stats, flat_row, summary, write_csv, write_parquet
from .runners import run_dask, run_local
from .spec import MAX_TIMEOUT, MIN_TIMEOUT, SweepSpec, load_spec
from .worker import over_budget, run_variant


@dataclass
class SweepResult:
    """What :func:`run_sweep` did: the table rows (variant order), counts, files written and the summary text."""

    spec: SweepSpec
    out_dir: Path
    rows: list[dict[str, Any]]
    planned: int
    built: int
    cached: int
    elapsed_s: float
    interrupted: bool
    runner: str
    summary: str
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> dict[str, int]:
        out = {"ok": 0, "invalid": 0, "error": 0, "timeout": 0}
        for r in self.rows:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out


def designs_folder(out: Path) -> Path:
    """``out/designs``, where exported variants go, under the rule of ``pkgcad build`` for a design folder
    (:func:`geometry.output.folder.design_folder`): it must lie directly in ``out``, so a symlink that leads
    elsewhere is refused (:class:`~geometry.output.files.OutputError`, exit 3) before anything is written."""
    return design_folder(out, "designs")


def _progress_bar(total: int, initial: int, desc: str, enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    return tqdm(total=total, initial=initial, desc=desc, unit="variant", dynamic_ncols=True, smoothing=0.1)


def run_sweep(spec: SweepSpec | str | Path, out_dir: str | Path, *, workers: int | None = None,
              scheduler: Any = None, limit: int | None = None, timeout: float | None = None,
              progress: bool | None = None, plots: bool = True,
              on_row: Callable[[dict[str, Any]], None] | None = None,
              worker: Callable[..., dict[str, Any]] = run_variant, start_method: str = "forkserver",
              grace: float | None = None, budget: float | None = 1.0) -> SweepResult:
    """Run a sweep: expand ``spec`` (a :class:`SweepSpec` or a spec file), take cached variants from ``out_dir``,
    build the rest and write the results there.

    ``workers``: local worker processes (default one per core); ``scheduler``: a Dask scheduler address (or a
    ``distributed.Client``) to run on instead; ``limit``: only the first N variants; ``timeout``: seconds per
    variant (default the spec's); ``progress``: a tqdm bar (default: when stderr is a terminal); ``on_row``:
    called with each newly built table row (raise KeyboardInterrupt in it to stop, as Ctrl-C does); ``worker``:
    the job function (importable by the workers; default :func:`run_variant`); ``start_method``: ``forkserver``
    (default) or ``spawn`` for the local workers. ``budget``: every variant must fit the resource budget times
    this factor (:func:`geometry.flows.budget.check_budget`, as ``pkgcad sweep --budget``; ``None`` checks
    nothing); one over it is an ``invalid`` row naming the estimate, refused in the parent before any worker
    starts, and not cached (a rerun with a larger budget builds it).

    Ctrl-C stops the workers and keeps every finished row: the table, summary and plots are written for them and
    ``interrupted`` is set. A variant that is invalid, raises or times out is a row with its status and reason.
    Raises :class:`ParameterError` for a bad spec.
    """
    _require(["pyarrow"] + (["matplotlib"] if plots else []) + (["tqdm"] if progress else [])
             + (["distributed"] if scheduler is not None and isinstance(scheduler, str) else []))
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if limit is not None and limit < 0:
        raise ParameterError(f"limit {limit} must be at least 0")
    if workers is not None and workers < 1:
        raise ParameterError(f"workers {workers} must be at least 1")
    timeout = spec.timeout if timeout is None else float(timeout)
    if not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise ParameterError(f"timeout {timeout:g} s must lie within {MIN_TIMEOUT:g} s and {MAX_TIMEOUT:g} s: a "
                             "shorter deadline times every variant out")
    out = Path(out_dir)
    cache, designs = out / "cache", designs_folder(out)
    plan = expand(spec, limit)
    variants = plan.variants
    cache.mkdir(parents=True, exist_ok=True)
    write_text(out / "spec.json", json.dumps(spec.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
    code = code_fingerprint()

    rows: dict[str, dict[str, Any]] = {}
    from_cache: set[str] = set()
    for v in variants:
        if v.key not in rows:
            hit = read_cache(cache, v, spec, code, designs)
            if hit is not None:
                rows[v.key] = hit
                from_cache.add(v.key)
    by_key: dict[str, list[Variant]] = {}
    for v in variants:
        by_key.setdefault(v.key, []).append(v)
    refused: dict[str, dict[str, Any]] = {}
    for key, vs in by_key.items():
        row = over_budget(vs[0].recipe, budget) if key not in rows else None
        if row is not None:
            refused[key] = rows[key] = row
    keep = spec.keep.model_dump()
    export_dir = str(designs.resolve()) if spec.keep.step != "none" else None
    tasks = [(key, {"recipe": vs[0].recipe, "keep": keep, "export_dir": export_dir, "timeout": timeout})
             for key, vs in by_key.items() if key not in rows]
    if on_row is not None:
        for key, row in refused.items():
            for v in by_key[key]:
                on_row(flat_row(plan, v, row, cached=False))
    runner = f"Dask at {scheduler}" if scheduler is not None else \
        f"{min(workers or _cpus(), max(1, len(tasks)))} local worker process(es)"
    n_cached = sum(len(by_key[k]) for k in from_cache)
    bar = _progress_bar(len(variants), n_cached, spec.name, progress)
    built = failed = 0

    def on_done(key: str, row: dict[str, Any]) -> None:
        nonlocal built, failed
        vs = by_key[key]
        rows[key] = row
        built += len(vs)
        if cacheable(row):
            write_cache(cache, vs[0], spec, code, row)
        if row.get("status") != "ok" or row.get("passed") is False:
            failed += len(vs)
        if bar is not None:
            bar.update(len(vs))
            bar.set_postfix_str(f"not passing {failed}", refresh=False)
        if on_row is not None:
            for v in vs:
                on_row(flat_row(plan, v, row, cached=False))

    t0 = time.monotonic()
    interrupted = False
    try:
        if tasks:
            if scheduler is not None:
                run_dask(tasks, on_done, scheduler=scheduler, timeout=timeout, grace=grace, fn=worker)
            else:
                run_local(tasks, on_done, workers=workers, timeout=timeout, grace=grace, fn=worker,
                          start_method=start_method)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.monotonic() - t0
    return _finish(plan, variants, rows, from_cache, out, built=built, elapsed=elapsed, runner=runner,
                   interrupted=interrupted, plots=plots)


_PIP = {"pyarrow": "pyarrow", "matplotlib": "matplotlib", "tqdm": "tqdm", "distributed": "dask[distributed]"}


def _require(modules: list[str]) -> None:
    """Fail before any work when a package the results need is missing (without importing it)."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"the sweep needs {', '.join(missing)}: pip install "
                          + " ".join(repr(_PIP[m]) for m in missing))


def _cpus() -> int:
    return os.cpu_count() or 1


def _finish(plan: Plan, variants: list[Variant], rows: dict[str, dict[str, Any]], from_cache: set[str], out: Path,
            *, built: int, elapsed: float, runner: str, interrupted: bool, plots: bool) -> SweepResult:
    spec = plan.spec
    table = [flat_row(plan, v, rows[v.key], cached=v.key in from_cache) for v in variants if v.key in rows]
    units: dict[str, tuple[str, str]] = {}
    for row in rows.values():
        for c in row.get("checks") or []:
            units.setdefault(c["name"], (c.get("claim", ""), c.get("unit", "")))
    n_cached = sum(1 for r in table if r["cached"])
    text = summary(plan, table, built=built, cached=n_cached, elapsed_s=elapsed, workers=runner,
                   interrupted=interrupted, units=units, planned=len(variants))
    params = [*spec.swept, "seed"]
    files: dict[str, Any] = {"csv": write_csv(table, out / "results.csv", params)}
    files["parquet"] = write_parquet(table, out / "results.parquet", params)
    info = {"name": spec.name, "flow": spec.flow, "planned": len(variants), "rows": len(table), "built": built,
            "cached": n_cached, "filtered_points": plan.filtered, "examined_points": plan.examined, "elapsed_s": elapsed, "runner": runner,
            "interrupted": interrupted, "status": {s: sum(1 for r in table if r["status"] == s)
                                                   for s in ("ok", "invalid", "error", "timeout")},
            "yield_all_checks": (sum(1 for r in table if r["passed"] is True) / len(table))
            if any(r["passed"] is not None for r in table) else None,
            "checks": [{**s, "claim": units.get(s["check"], ("", ""))[0], "unit": units.get(s["check"], ("", ""))[1]}
                       for s in check_stats(table)]}
    files["summary"] = write_text(out / "summary.txt", text + "\n")
    files["summary_json"] = write_text(out / "summary.json", json.dumps(info, indent=2, sort_keys=True) + "\n")
    files["plots"] = draw(plan, table, out / "plots") if plots and table else []
    return SweepResult(spec, out, table, len(variants), built, n_cached, elapsed, interrupted, runner, text, files)
