"""Chunked Monte Carlo jobs (geometry.sweep.montecarlo): the merged result independent of the runner (serial,
local pool, Dask), chunks cached as they finish, an interrupted job resumed from the cache with the same answer."""

from __future__ import annotations

import numpy as np
import pytest

from geometry.flows import load_design
from geometry.flows.flip_chip import tolerance as t
from geometry.sweep import montecarlo as mc
from tests.conftest import small_cavity, small_recipe

RECIPE = small_recipe(first_encapsulant={"thickness": 0.12, "polish": True, "polish_plane": 0.1},
                      bumps={"height_spread": 0.002})
TOL = {"polish_plane": 0.002, "placement": 0.005, "ball_diameter": 0.01, "warpage": 0.01}


def test_chunks_merge_to_the_draws_of_their_streams():
    """Three chunks (1,000, 1,000, 500 draws) give what evaluating each chunk's own stream gives."""
    out = mc.run(RECIPE, TOL, 2500, seed=4, chunk=1000)
    d = load_design(RECIPE)
    nom, tol = t.Nominal.of(d), t.Tolerances.of(d, **TOL)
    parts = [t.evaluate(nom, t.draw(nom, tol, c, np.random.default_rng([4, i]))) for i, c in enumerate((1000, 1000,
                                                                                                        500))]
    assert out["draws"] == 2500 and out["chunks"] == 3 and out["cached"] == 0
    assert out["yield"]["all"]["passed"] == sum(int(m.all_passed.sum()) for m in parts)
    assert out["yield"]["exposure"]["passed"] == sum(int(m.passed["exposure"].sum()) for m in parts)
    assert out["margins"]["coplanarity"]["max"] == max(float(m.coplanarity.max()) for m in parts)
    assert out["dpm"]["bumps_covered"] == pytest.approx(1e6 * sum(int(m.covered.sum()) for m in parts) / (30 * 2500))
    assert 0 < out["yield"]["all"]["yield"] < 1 and out["margins"]["coplanarity"]["cpk"] is not None


def test_an_interrupted_job_resumes_from_the_cache(tmp_path):
    whole = mc.run(RECIPE, TOL, 3000, seed=1, chunk=1000)
    seen = []

    def stop(i, cached):
        seen.append((i, cached))
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mc.run(RECIPE, TOL, 3000, seed=1, chunk=1000, cache=tmp_path, on_chunk=stop)
    assert len(list(tmp_path.glob("mc-*.json"))) == 2  # each chunk written as it finished
    resumed = mc.run(RECIPE, TOL, 3000, seed=1, chunk=1000, cache=tmp_path)
    assert resumed["cached"] == 2 and resumed["chunks"] == 3
    assert {k: v for k, v in resumed.items() if k != "cached"} == {k: v for k, v in whole.items() if k != "cached"}
    again = mc.run(RECIPE, TOL, 3000, seed=1, chunk=1000, cache=tmp_path)
    assert again["cached"] == 3 and again["yield"] == whole["yield"]
    other = mc.run(RECIPE, TOL, 3000, seed=2, chunk=1000, cache=tmp_path)  # another seed: other keys
    assert other["cached"] == 0


def test_local_pool_gives_the_serial_answer_for_both_flows(tmp_path):
    cav = small_cavity(metal_slice={"thickness": 0.3})
    for recipe, tol in ((RECIPE, TOL), (cav, {"slice_thickness": 0.04, "ball_diameter": 0.01})):
        serial = mc.run(recipe, tol, 1200, seed=3, chunk=400)
        pooled = mc.run(recipe, tol, 1200, seed=3, chunk=400, runner="local", workers=2, cache=tmp_path)
        assert pooled["yield"] == serial["yield"] and pooled["margins"] == serial["margins"]
        assert pooled["dpm"] == serial["dpm"] and pooled["chunks"] == 3


def test_dask_gives_the_serial_answer_and_resumes_from_the_same_cache(tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = mc.run(RECIPE, TOL, 900, seed=5, chunk=300)
    half = mc.run(RECIPE, TOL, 600, seed=5, chunk=300, cache=tmp_path)  # the first two chunks, cached
    short = mc.run(RECIPE, TOL, 500, seed=5, chunk=300, cache=tmp_path)  # a shorter last chunk is another key
    assert half["chunks"] == 2 and short["cached"] == 1
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        out = mc.run(RECIPE, TOL, 900, seed=5, chunk=300, runner="dask", scheduler=c.scheduler_address,
                     cache=tmp_path)
    assert out["cached"] == 2 and out["yield"] == serial["yield"] and out["margins"] == serial["margins"]
