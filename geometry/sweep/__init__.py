"""Design sweeps: vary any recipe parameter of either flow, build and check every variant in parallel, and report.

    from geometry import sweep

    spec = sweep.load_spec("builds/sweeps/ball-pitch-diameter.toml")   # validated spec (see sweep.spec)
    plan = sweep.expand(spec)                                           # the resolved variants, no kernel work
    result = sweep.run_sweep(spec, "exports/sweeps/balls", workers=2)   # or scheduler="tcp://host:8786"
    print(result.summary)
    result.rows                                                         # the table, one dict per variant

Output folder: ``results.csv`` and ``results.parquet`` (one row per variant, see :mod:`geometry.sweep.results`),
``summary.txt`` and ``summary.json``, ``plots/*.png``, ``spec.json`` (the spec as run), ``cache/<hash>.json`` (one
finished variant each, keyed by the sha256 of its resolved recipe) and, when the spec keeps them, ``designs/<name>/``
(STEP, STL, GLB, manifest of exported variants).

Resuming: every finished variant is cached as soon as it arrives (written atomically), so a rerun, after Ctrl-C, a
crash or with a larger ``limit``, builds only what is missing. An entry is reused while the geometry code and
kernel versions it was built with are unchanged (the ``code`` fingerprint) and it holds what the spec keeps;
timeouts and dead workers are never cached.

Workers receive recipe dicts and return plain rows (:func:`geometry.sweep.worker.run_variant`): no kernel shape
crosses a process boundary.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..params import ParameterError
from .results import check_stats, draw, flat_row, summary, write_csv, write_parquet, write_text
from .spec import Plan, SweepSpec, Variant, expand, load_spec, parse_spec, variant_key
from .worker import run_variant

__all__ = [
    "Plan",
    "SweepResult",
    "SweepSpec",
    "Variant",
    "add_arguments",
    "code_fingerprint",
    "command",
    "expand",
    "load_spec",
    "main",
    "parse_spec",
    "run_sweep",
    "run_variant",
    "variant_key",
]

CACHE_FORMAT = 1
EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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


_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """sha256 of the geometry package's source (less the sweep reporting code) and the kernel versions: cached
    rows built by other code are rebuilt."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        for p in sorted(root.rglob("*.py")):
            rel = p.relative_to(root).as_posix()
            if rel.startswith("sweep/") and rel != "sweep/worker.py":
                continue
            h.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
        for dist in ("cadquery", "cadquery-ocp", "numpy", "trimesh", "scipy"):
            try:
                h.update(f"{dist}={importlib.metadata.version(dist)}\0".encode())
            except importlib.metadata.PackageNotFoundError:
                pass
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


# ---------------------------------------------------------------------------------------------------------- cache


def _cache_path(cache: Path, key: str) -> Path:
    return cache / f"{key}.json"


def _needs_export(spec: SweepSpec, row: dict[str, Any]) -> bool:
    return row.get("status") == "ok" and (spec.keep.step == "all"
                                          or (spec.keep.step == "failing" and row.get("passed") is False))


def _read_cache(cache: Path, v: Variant, spec: SweepSpec, code: str, export_dir: Path) -> dict[str, Any] | None:
    """The cached row of ``v`` when it can stand for a new build, else None."""
    try:
        entry = json.loads(_cache_path(cache, v.key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("code") != code:
        return None
    row, kept = entry.get("row"), entry.get("keep") or {}
    if not isinstance(row, dict) or entry.get("key") != v.key:
        return None
    if (spec.keep.checks and not kept.get("checks")) or (spec.keep.bodies and not kept.get("bodies")):
        return None
    if _needs_export(spec, row):
        exported = row.get("exported")
        if not exported or Path(exported).parent.resolve() != export_dir.resolve() or not Path(exported).is_dir():
            return None
    return row


def _write_cache(cache: Path, v: Variant, spec: SweepSpec, code: str, row: dict[str, Any]) -> None:
    entry = {"format": CACHE_FORMAT, "key": v.key, "code": code, "sweep": spec.name, "recipe": v.recipe,
             "keep": {"checks": spec.keep.checks, "bodies": spec.keep.bodies}, "row": row}
    text = json.dumps(entry, sort_keys=True, allow_nan=False, default=str)
    write_text(_cache_path(cache, v.key), text + "\n")


def _cacheable(row: dict[str, Any]) -> bool:
    """Timeouts and dead workers depend on the machine's load, not on the design: they are tried again."""
    return row.get("status") != "timeout" and not str(row.get("reason", "")).startswith(("worker ", "dask task"))


# ------------------------------------------------------------------------------------------------------------ run


def _progress_bar(total: int, initial: int, desc: str, enabled: bool | None):
    if enabled is None:
        import importlib.util

        enabled = sys.stderr.isatty() and importlib.util.find_spec("tqdm") is not None
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="variant", dynamic_ncols=True, smoothing=0.1)


def run_sweep(spec: SweepSpec | str | Path, out_dir: str | Path, *, workers: int | None = None,
              scheduler: Any = None, limit: int | None = None, timeout: float | None = None,
              progress: bool | None = None, plots: bool = True,
              on_row: Callable[[dict[str, Any]], None] | None = None,
              worker: Callable[..., dict[str, Any]] = run_variant, start_method: str = "forkserver",
              grace: float | None = None) -> SweepResult:
    """Run a sweep: expand ``spec`` (a :class:`SweepSpec` or a spec file), take cached variants from ``out_dir``,
    build the rest and write the results there.

    ``workers``: local worker processes (default one per core); ``scheduler``: a Dask scheduler address (or a
    ``distributed.Client``) to run on instead; ``limit``: only the first N variants; ``timeout``: seconds per
    variant (default the spec's); ``progress``: a tqdm bar (default: when stderr is a terminal); ``on_row``:
    called with each newly built table row (raise KeyboardInterrupt in it to stop, as Ctrl-C does); ``worker``:
    the job function (importable by the workers; default :func:`run_variant`); ``start_method``: ``forkserver``
    (default) or ``spawn`` for the local workers.

    Ctrl-C stops the workers and keeps every finished row: the table, summary and plots are written for them and
    ``interrupted`` is set. A variant that is invalid, raises or times out is a row with its status and reason.
    Raises :class:`ParameterError` for a bad spec.
    """
    from .runners import run_dask, run_local

    _require(["pyarrow"] + (["matplotlib"] if plots else []) + (["tqdm"] if progress else [])
             + (["distributed"] if scheduler is not None and isinstance(scheduler, str) else []))
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if limit is not None and limit < 0:
        raise ParameterError(f"limit {limit} must be at least 0")
    if workers is not None and workers < 1:
        raise ParameterError(f"workers {workers} must be at least 1")
    timeout = spec.timeout if timeout is None else float(timeout)
    if not timeout > 0:
        raise ParameterError(f"timeout {timeout:g} must be positive")
    plan = expand(spec)
    variants = plan.variants if limit is None else plan.variants[:limit]
    out = Path(out_dir)
    cache, designs = out / "cache", out / "designs"
    cache.mkdir(parents=True, exist_ok=True)
    write_text(out / "spec.json", json.dumps(spec.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
    code = code_fingerprint()

    rows: dict[str, dict[str, Any]] = {}
    from_cache: set[str] = set()
    for v in variants:
        if v.key not in rows:
            hit = _read_cache(cache, v, spec, code, designs)
            if hit is not None:
                rows[v.key] = hit
                from_cache.add(v.key)
    by_key: dict[str, list[Variant]] = {}
    for v in variants:
        by_key.setdefault(v.key, []).append(v)
    keep = spec.keep.model_dump()
    export_dir = str(designs.resolve()) if spec.keep.step != "none" else None
    tasks = [(key, {"recipe": vs[0].recipe, "keep": keep, "export_dir": export_dir, "timeout": timeout})
             for key, vs in by_key.items() if key not in rows]
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
        if _cacheable(row):
            _write_cache(cache, vs[0], spec, code, row)
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
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"the sweep needs {', '.join(missing)}: pip install "
                          + " ".join(repr(_PIP[m]) for m in missing))


def _cpus() -> int:
    import os

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
    files: dict[str, Any] = {"csv": write_csv(table, out / "results.csv")}
    files["parquet"] = write_parquet(table, out / "results.parquet")
    info = {"name": spec.name, "flow": spec.flow, "planned": len(variants), "rows": len(table), "built": built,
            "cached": n_cached, "filtered_points": plan.filtered, "elapsed_s": elapsed, "runner": runner,
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


# ------------------------------------------------------------------------------------------------------------ CLI


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{v} must be at least 1")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return v


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of ``pkgcad sweep`` on parser ``p``."""
    p.add_argument("spec", help="sweep spec (TOML), e.g. builds/sweeps/ball-pitch-diameter.toml")
    p.add_argument("-o", "--output", default=None, help="output folder (default: exports/sweeps/<spec name>)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask distributed cluster, e.g. tcp://scheduler-host:8786")
    p.add_argument("--limit", type=_positive_int, default=None, help="run only the first N variants")
    p.add_argument("--timeout", type=_positive_float, default=None,
                   help="seconds per variant (default: the spec's timeout, 600)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    return p


def command(args: argparse.Namespace) -> int:
    """``pkgcad sweep``: 0 done, 1 some variant ended in error or timeout, 2 bad spec (ParameterError, raised for
    the caller to print) or a missing package, 130 interrupted (finished rows kept)."""
    spec = load_spec(args.spec)
    out = Path(args.output) if args.output else Path("exports") / "sweeps" / spec.name
    try:
        result = run_sweep(spec, out, workers=args.workers, scheduler=args.scheduler, limit=args.limit,
                           timeout=getattr(args, "timeout", None), plots=not getattr(args, "no_plots", False))
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    print(result.summary)
    names = ", ".join(Path(p).name for k, p in result.files.items() if k != "plots")
    print(f"wrote {out}: {names}, {len(result.files.get('plots', []))} plot(s) in plots/")
    if result.interrupted:
        print("interrupted: finished variants are kept; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    st = result.status
    return EXIT_FAILED if st.get("error") or st.get("timeout") else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m geometry.sweep SPEC -o DIR ...`` (the same as ``pkgcad sweep``)."""
    p = add_arguments(argparse.ArgumentParser(prog="pkgcad sweep", description="run a design sweep"))
    args = p.parse_args(argv)
    try:
        return command(args)
    except ParameterError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT

