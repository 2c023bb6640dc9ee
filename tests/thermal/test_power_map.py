"""The recipe's power map (issue 17: heat "as a power map given in the recipe"): hot spots on the chip face over a
uniform rest, the total power kept, the peak moved to the spot and raised, and the keys validated."""

from __future__ import annotations

import numpy as np
import pytest

from geometry import api
from geometry.core.params import ParameterError
from geometry.flows import load_design
from geometry.flows.cavity import thermal as cavity_thermal
from geometry.flows.flip_chip import thermal as fc_thermal
from geometry.thermal.jedec import Settings, case_solve
from tests.conftest import small_cavity, small_recipe

COARSE = Settings(mesh=1.0)


def hottest(solution) -> np.ndarray:
    """x, y (mm) of the hottest junction element centre."""
    mesh = solution.mesh
    junction = [i for i, r in enumerate(mesh.regions) if r.name == "junction"]
    inside = np.isin(mesh.element_owner, junction)
    mean, _ = solution.element_temperature()
    e = np.flatnonzero(inside)[np.argmax(mean[inside])]
    i, j, _ = np.unravel_index(mesh.element_cell[e], mesh.cell_owner.shape)
    return np.array([(mesh.x[i] + mesh.x[i + 1]) / 2, (mesh.y[j] + mesh.y[j + 1]) / 2])


def test_hot_spot_moves_and_raises_the_peak_at_equal_power() -> None:
    spot = {"x": 0.6, "y": -0.5, "width": 0.6, "length": 0.6, "power": 0.6}
    uniform = fc_thermal.box_model(api.run(load_design(small_recipe())))
    mapped = fc_thermal.box_model(api.run(load_design(small_recipe(thermal={"hot_spots": [spot]}))))
    assert sum(b.power for b in mapped.boxes) == pytest.approx(1.0, rel=1e-12)
    assert sum(b.power for b in uniform.boxes) == pytest.approx(1.0, rel=1e-12)
    theta_u, sol_u = case_solve(uniform, COARSE)
    theta_m, sol_m = case_solve(mapped, COARSE)
    assert sol_m.balance_error() < 1e-9 and sol_m.power == pytest.approx(1.0)
    assert theta_m > 1.2 * theta_u
    chip = next(b for b in mapped.boxes if b.name == "chip")
    centre = np.array([(chip.lo[0] + chip.hi[0]) / 2, (chip.lo[1] + chip.hi[1]) / 2])
    assert np.linalg.norm(hottest(sol_m) - centre - np.array([0.6, -0.5])) < 0.35
    assert np.linalg.norm(hottest(sol_u) - centre) < 0.6


def test_total_power_and_its_density() -> None:
    """4 W in all, 1 W on a 1 x 1 mm spot: the spot's density is its own plus the uniform rest's."""
    d = small_cavity(thermal={"power": 4.0, "hot_spots": [{"width": 1.0, "length": 1.0, "power": 1.0}]})
    m = cavity_thermal.box_model(api.run(load_design(d)))
    junction = [b for b in m.boxes if b.name == "junction"]
    assert m.power == 4.0 and sum(b.power for b in junction) == pytest.approx(4.0)
    area = [(b.hi[0] - b.lo[0]) * (b.hi[1] - b.lo[1]) for b in junction]
    die = area[0]
    rest = 3.0 / die
    assert junction[1].power / area[1] == pytest.approx(1.0 + rest)
    assert junction[0].power == pytest.approx(rest * (die - 1.0))


@pytest.mark.parametrize(("spots", "message"), [
    ([{"power": 0.7}, {"x": 2.0, "power": 0.4}], "hot_spots 1.1 W in all must not exceed thermal.power 1 W"),
    ([{"power": 0.0}], "power"),
    ([{"width": -1.0}], "width"),
])
def test_bad_power_map_is_refused_on_load(spots, message) -> None:
    with pytest.raises(Exception, match=message):
        load_design(small_recipe(thermal={"hot_spots": spots}))


@pytest.mark.parametrize(("spot", "message"), [
    ({"x": 50.0}, r"hot_spots\[0\] at \(50, 0\) mm, 1 x 1 mm, must lie on chip 0's face"),
    ({"chip": 3}, r"hot_spots\[0\]\.chip 3 names no chip"),
])
def test_power_map_off_the_chip_is_refused(spot, message) -> None:
    b = api.run(load_design(small_recipe(thermal={"hot_spots": [spot | {"power": 0.1}]})))
    with pytest.raises(ParameterError, match=message):
        fc_thermal.box_model(b)


def test_overlapping_spots_are_refused() -> None:
    spots = [{"power": 0.1}, {"x": 0.5, "power": 0.1}]
    b = api.run(load_design(small_recipe(thermal={"hot_spots": spots})))
    with pytest.raises(ParameterError, match=r"hot_spots\[1\] overlaps thermal.hot_spots\[0\]"):
        fc_thermal.box_model(b)
