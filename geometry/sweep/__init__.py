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

Resuming: every finished variant is cached as soon as it arrives (written atomically, :mod:`.cache`), so a rerun,
after Ctrl-C, a crash or with a larger ``limit``, builds only what is missing.

Workers receive recipe dicts and return plain rows (:func:`geometry.sweep.worker.run_variant`): no kernel shape
crosses a process boundary.

Modules: :mod:`.spec` (the spec models and loading), :mod:`.paths` (dotted parameter paths), :mod:`geometry.core.expr`
(filter and derived expressions), :mod:`.expand` (variants), :mod:`.cache`, :mod:`.worker` (one variant),
:mod:`.runners` (local pool, Dask), :mod:`.run` (:func:`run_sweep`), :mod:`.results` (table, summary),
:mod:`.plots`.
"""

from __future__ import annotations

from .cache import code_fingerprint
from .expand import Plan, Variant, expand, variant_key
from .run import SweepResult, run_sweep
from .spec import SweepSpec, load_spec, parse_spec
from .worker import run_variant

__all__ = ["Plan", "SweepResult", "SweepSpec", "Variant", "code_fingerprint", "expand", "load_spec", "parse_spec",
           "run_sweep", "run_variant", "variant_key"]
