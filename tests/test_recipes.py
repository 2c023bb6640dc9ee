"""Recipes (geometry/recipes.py): site files read relative to the recipe into the array's sites, their refusals,
and the defaults a recipe took."""

from __future__ import annotations

import pytest

from geometry import api
from geometry.core.params import ParameterError
from geometry.recipes import load
from tests.conftest import small_recipe, write_recipe


def _balls_csv(path, rows: list[str]) -> None:
    path.write_text("name,x,y,net\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_sites_file_is_read_relative_to_the_recipe(tmp_path):
    (tmp_path / "maps").mkdir()
    _balls_csv(tmp_path / "maps" / "balls.csv", ["A1,-1,1,VDD", "A2,1,1,GND", "B1,-1,-1,IO0", "B2,1,-1,"])
    recipe = small_recipe(solder_balls={"sites_file": "maps/balls.csv", "pitch": 2.0})
    d = load(write_recipe(tmp_path / "r.toml", recipe))
    b = d.solder_balls
    assert b.layout == "sites" and b.count == 4 and b.names() == ("A1", "A2", "B1", "B2")
    assert b.nets() == ("VDD", "GND", "IO0", "") and tuple(b.positions()[1]) == (1.0, 1.0)
    build = api.run(d)
    assert build.stack["solder_balls"].count == 4 and build.stack["ball_pads"].count == 4
    assert set(build.stack["solder_balls"].member_names) == {"A1", "A2", "B1", "B2"}


@pytest.mark.parametrize("rows, message", [
    (["A1,x,1"], "line 2: x 'x' is not a number of mm"),
    (["A1,1"], "line 2: 2 values where name, x and y need 3"),
    (["A1,1,1", "A1,2,2"], "'A1' is the name of more than one site"),
])
def test_bad_site_files_are_refused_with_the_file_and_line(tmp_path, rows, message):
    (tmp_path / "b.csv").write_text("name,x,y,net\n" + "\n".join(rows) + "\n", encoding="utf-8")
    path = write_recipe(tmp_path / "r.toml", small_recipe(solder_balls={"sites_file": "b.csv"}))
    with pytest.raises(ParameterError, match=message):
        load(path)


def test_missing_site_file_and_header(tmp_path):
    path = write_recipe(tmp_path / "r.toml", small_recipe(solder_balls={"sites_file": "none.csv"}))
    with pytest.raises(ParameterError, match=r"solder_balls.sites_file '.*none.csv' is not a file"):
        load(path)
    (tmp_path / "h.csv").write_text("id,x,y\nA1,0,0\n", encoding="utf-8")
    path = write_recipe(tmp_path / "r2.toml", small_recipe(solder_balls={"sites_file": "h.csv"}))
    with pytest.raises(ParameterError, match="has no 'name' column"):
        load(path)
