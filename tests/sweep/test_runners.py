"""The local pool of worker processes (geometry/sweep/runners.py: run_local): a hung worker is killed at its
deadline and a dying one reported, each replaced by a fresh worker while the sweep goes on."""

from __future__ import annotations

import os
import time

from geometry import sweep
from geometry.sweep.worker import run_variant
from tests.conftest import FLAKY_THICKNESS, HUNG_THICKNESS, make_spec


def hanging_worker(recipe: dict, **kwargs) -> dict:
    """The sweep job, hanging (as a kernel call that never returns would) for chip thickness :data:`HUNG_THICKNESS`
    and dying (as a segfault in the kernel would) for :data:`FLAKY_THICKNESS`."""
    if recipe["chip"]["thickness"] == HUNG_THICKNESS:
        time.sleep(120)
    if recipe["chip"]["thickness"] == FLAKY_THICKNESS:
        os._exit(139)
    return run_variant(recipe, **kwargs)


def test_hung_and_dying_workers_are_replaced_and_the_sweep_goes_on(tmp_path):
    spec = make_spec(axes={"chip.thickness": [HUNG_THICKNESS, FLAKY_THICKNESS, 0.30], "bumps.pitch": [0.2]})
    t0 = time.monotonic()
    result = sweep.run_sweep(spec, tmp_path, workers=2, timeout=5.0, grace=1.0, progress=False,
                             worker=hanging_worker, plots=False)
    assert time.monotonic() - t0 < 60
    by = {r["chip.thickness"]: r for r in result.rows}
    assert by[0.30]["status"] == "ok"
    assert by[HUNG_THICKNESS]["status"] == "timeout" and "killed after" in by[HUNG_THICKNESS]["reason"]
    assert by[FLAKY_THICKNESS]["status"] == "error"
    assert by[FLAKY_THICKNESS]["reason"] == "worker process died (exit code 139)"
    for r in (by[HUNG_THICKNESS], by[FLAKY_THICKNESS]):  # not cached: tried again next time
        assert not (tmp_path / "cache" / f"{r['key']}.json").exists()
    assert (tmp_path / "cache" / f"{by[0.30]['key']}.json").exists()
