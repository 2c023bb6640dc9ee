"""Large Monte Carlo jobs of the fast paths (issue 16) split into chunks of draws that run in this process, on the
local pool or on Dask (:mod:`geometry.sweep.runners`), each chunk cached as it finishes so an interrupted job
resumes with the chunks still missing.

Chunk ``i`` of a job draws from ``numpy.random.default_rng([seed, i])``: the merged result depends on the seed and
the chunk size only, never on the runner, the number of workers or the order chunks finish. A chunk's row holds,
per check, the draws passing; per margin, its values (um); and the defect counts and opportunities behind the
defects per million. Cached rows are keyed by the sha256 of the recipe, tolerances, seed, chunk size, chunk index,
its draws and the geometry code fingerprint (:func:`geometry.sweep.cache.code_fingerprint`): other code recomputes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..flows import load_design
from ..flows.cavity import tolerance as cavity_tl
from ..flows.flip_chip import tolerance as flip_chip_tl
from ..measure.stats import dpm, margin_summary, yield_ci
from ..output.files import write_text
from . import runners
from .cache import code_fingerprint

FAST_PATHS = {"flip-chip": flip_chip_tl, "cavity": cavity_tl}
"""The fast path (its tolerance module) of each flow that has one."""
CHUNK_FORMAT = 1


def chunk_job(recipe: dict[str, Any], tolerances: dict[str, float], seed: int, index: int, count: int) -> dict:
    """Chunk ``index`` of a job: ``count`` draws of ``tolerances`` (mm) about the validated ``recipe``, from
    ``default_rng([seed, index])``. A top-level function of plain arguments, so the pool and Dask can run it."""
    d = load_design(recipe)
    fast = FAST_PATHS[d.flow]
    nom = fast.Nominal.of(d)
    m = fast.evaluate(nom, fast.draw(nom, fast.Tolerances.of(d, **tolerances), count, np.random.default_rng([seed,
                                                                                                             index])))
    margins, defects = fast.counts(nom, m)
    passed = {k: int(m.passed[k].sum()) for k in fast.CHECKS}
    passed["all"] = int(m.all_passed.sum())
    return {"status": "ok", "index": index, "draws": count, "passed": passed,
            "margins": {k: [float(x) for x in v] for k, v in margins.items()},
            "limits": {k: list(v) for k, v in fast.margin_limits(nom).items()},
            "defects": {k: list(v) for k, v in defects.items()}}


def chunk_key(recipe: dict[str, Any], tolerances: dict[str, float], seed: int, chunk: int, index: int,
              count: int) -> str:
    """The cache key (sha256 hex) of chunk ``index`` (``count`` draws) of a job in chunks of ``chunk``."""
    text = json.dumps({"format": CHUNK_FORMAT, "recipe": recipe, "tolerances": tolerances, "seed": seed,
                       "chunk": chunk, "index": index, "count": count, "code": code_fingerprint()}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _read(cache: Path | None, key: str) -> dict | None:
    if cache is None:
        return None
    try:
        row = json.loads((cache / f"mc-{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) and row.get("status") == "ok" else None


def run(recipe: dict[str, Any], tolerances: dict[str, float], n: int, *, seed: int = 0, chunk: int = 1000,
        runner: Literal["serial", "local", "dask"] = "serial", workers: int | None = None, scheduler: Any = None,
        cache: str | Path | None = None, timeout: float = 600.0,
        on_chunk: Callable[[int, bool], None] | None = None) -> dict[str, Any]:
    """``n`` draws in chunks of ``chunk`` on ``runner`` (this process, the local pool of ``workers``, or the Dask
    cluster at ``scheduler``), each finished chunk written to ``cache`` (a folder) and read back from it on the
    next run; ``on_chunk(index, from_cache)`` is told of every chunk. Returns the merged summary: per check and
    all checks the yield with its 95 % Wilson interval, defects per million, each margin's distribution (um) with
    Cpk against its limit;
    ``chunks``, ``cached`` (how many came from the cache) and ``draws``."""
    counts = [min(chunk, n - s) for s in range(0, n, chunk)]
    keys = [chunk_key(recipe, tolerances, seed, chunk, i, c) for i, c in enumerate(counts)]
    folder = Path(cache) if cache is not None else None
    rows: dict[int, dict] = {}
    for i, k in enumerate(keys):
        row = _read(folder, k)
        if row is not None:
            rows[i] = row
            if on_chunk:
                on_chunk(i, True)
    cached = len(rows)

    def done(key: str, row: dict) -> None:
        if row.get("status") != "ok":
            raise RuntimeError(f"Monte Carlo chunk failed: {row.get('reason', row.get('status'))}")
        i = int(row["index"])
        rows[i] = row
        if folder is not None:
            write_text(folder / f"mc-{key}.json", json.dumps(row, allow_nan=True) + "\n")
        if on_chunk:
            on_chunk(i, False)

    tasks = [(keys[i], {"recipe": recipe, "tolerances": tolerances, "seed": seed, "index": i, "count": c})
             for i, c in enumerate(counts) if i not in rows]
    if runner == "serial":
        for key, kwargs in tasks:
            done(key, chunk_job(**kwargs))
    elif runner == "local":
        runners.run_local(tasks, done, workers=workers, timeout=timeout, fn=chunk_job)
    else:
        runners.run_dask(tasks, done, scheduler=scheduler, timeout=timeout, fn=chunk_job)
    return merge([rows[i] for i in range(len(counts))], cached)


def merge(rows: list[dict], cached: int = 0) -> dict[str, Any]:
    """The summary of chunk rows (see :func:`run`)."""
    draws = sum(r["draws"] for r in rows)
    checks = rows[0]["passed"] if rows else {}
    out = {"draws": draws, "chunks": len(rows), "cached": cached, "denominator": "every draw",
           "yield": {k: yield_ci(sum(r["passed"][k] for r in rows), draws).as_dict() for k in checks}}
    defects = rows[0]["defects"] if rows else {}
    out["dpm"] = {k: dpm(sum(r["defects"][k][0] for r in rows), sum(r["defects"][k][1] for r in rows))
                  for k in defects}
    out["margins"] = {k: margin_summary(np.concatenate([np.asarray(r["margins"][k], dtype=float) for r in rows]),
                                        "um", *rows[0]["limits"][k]) for k in (rows[0]["margins"] if rows else {})}
    return out
