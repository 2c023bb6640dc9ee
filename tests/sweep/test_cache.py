"""Resume from the sweep cache (geometry/sweep/cache.py): after a variant limit and after an interrupt, cached
variants are neither rebuilt nor rewritten."""

from __future__ import annotations

from geometry import sweep
from geometry.sweep.results import read_csv
from tests.conftest import make_spec


def test_resume_after_a_limit_and_an_interrupt(tmp_path):
    spec = make_spec(axes={"chip.thickness": [0.30, 0.31, 0.32, 0.33], "bumps.pitch": [0.2]})
    first = sweep.run_sweep(spec, tmp_path, workers=2, limit=2, progress=False, plots=False)
    assert (first.planned, first.built, first.cached, len(first.rows)) == (2, 2, 0, 2)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cache").glob("*.json")}
    assert len(stamps) == 2

    seen = []

    def ctrl_c(row):
        seen.append(row)
        raise KeyboardInterrupt  # what Ctrl-C does in the parent, after the first new row

    second = sweep.run_sweep(spec, tmp_path, workers=2, progress=False, on_row=ctrl_c, plots=False)
    assert second.interrupted and second.cached == 2 and second.built == 1 and len(seen) == 1
    assert len(second.rows) == 3 and "INTERRUPTED" in second.summary
    assert len(read_csv(tmp_path / "results.csv")) == 3

    third = sweep.run_sweep(spec, tmp_path, workers=2, progress=False, plots=False)
    assert not third.interrupted and (third.cached, third.built) == (3, 1)
    assert "3 from cache, 1 built" in third.summary
    assert [r["cached"] for r in third.rows].count(True) == 3
    assert all(r["status"] == "ok" for r in third.rows)
    for name, stamp in stamps.items():  # the first two were not rebuilt (nor rewritten)
        assert (tmp_path / "cache" / name).stat().st_mtime_ns == stamp
