"""The recipe reference cannot go stale: the committed JSON Schema and Markdown of each flow equal what the models
give, every key is described with its unit, the schema accepts every recipe and refuses bad ones, ``pkgcad
schema`` and ``pkgcad check --explain`` work, and length messages hint at micrometres."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Annotated, Any

import pytest
from pydantic import Field

from geometry.cli import main
from geometry.core.params import Length, Model, ParameterError, looks_like_micrometres
from geometry.flows import FLOWS, load_design
from geometry.flows.schema import DRAFT, recipe_schema
from geometry.output.recipe_reference import resolve, schema_json, schema_markdown
from geometry.recipes import defaults_taken, parse
from tests.conftest import RECIPES, ROOT, small_recipe, write_recipe

REFERENCE = ROOT / "docs" / "recipes"
RECIPE_FILES = sorted(p for p in RECIPES.glob("*/*.toml") if p.parent.name != "sweeps")

UNIT = re.compile(r"\b(mm|degrees|W)\b")
"""How a number's description names its unit."""
UNITLESS = re.compile(r"\b(no unit|a count|a material name)\b")
"""How a count, name, flag or choice says it has no unit (a material name says what it is instead)."""


# ----------------------------------------------------------------------------------------- generated files


@pytest.mark.parametrize("flow", sorted(FLOWS))
@pytest.mark.parametrize("suffix, render", [(".schema.json", schema_json), (".md", schema_markdown)])
def test_committed_reference_equals_the_models(flow, suffix, render):
    path = REFERENCE / f"{flow}{suffix}"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run `make recipes`"
    fresh = render(recipe_schema(flow))
    assert path.read_text(encoding="utf-8") == fresh, (
        f"{path.relative_to(ROOT)} differs from the recipe models: run `make recipes` and commit the result")


def test_schema_file_format():
    text = (REFERENCE / "cavity.schema.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1].startswith('  "$id"')
    assert json.loads(text) == recipe_schema("cavity")


# ------------------------------------------------------------------------------------ descriptions and units


def leaves(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(dotted key, property, resolved non-null alternatives) of every leaf key of ``schema``: every key that is
    not itself a section."""
    out = []

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, prop in table.get("properties", {}).items():
            kept = [resolve(schema, o) for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
            if len(kept) == 1 and "properties" in kept[0]:
                walk(kept[0], f"{prefix}{key}.")
            else:
                out.append((prefix + key, prop, kept))

    walk(schema, "")
    return out


def undescribed(schema: dict[str, Any]) -> list[str]:
    """Every leaf key whose description is missing, or names no unit (numbers: mm or degrees) and does not say it
    has none (counts, names, flags, choices)."""
    bad = []
    for key, prop, kept in leaves(schema):
        text = prop.get("description", "").strip()
        numeric = any(k.get("type") == "number" for k in kept)
        if not text:
            bad.append(f"{key}: no description")
        elif numeric and not UNIT.search(text):
            bad.append(f"{key}: a number whose description names no unit: {text!r}")
        elif not numeric and not (UNIT.search(text) or UNITLESS.search(text)):
            bad.append(f"{key}: neither a unit nor 'no unit' / 'a count' / 'a material name': {text!r}")
        elif numeric and not any("unit" in k for k in kept):
            bad.append(f"{key}: a number without a unit keyword")
    return bad


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_every_key_is_described_with_its_unit(flow):
    schema = recipe_schema(flow)
    assert not undescribed(schema), "\n".join(undescribed(schema))
    assert len(leaves(schema)) > 40
    for name, section in schema["definitions"].items():
        assert section.get("description"), f"section model {name} has no docstring"


class _Toy(Model):
    """A toy section."""

    width: Length = Field(1.0, description="Toy width, mm.")
    depth: Length = 1.0
    gap: Length = Field(1.0, description="A gap.")
    count: int = Field(1, description="How many.")
    angle: Annotated[float, Field(ge=0)] = Field(0.0, description="An angle, degrees.")


def test_the_description_scan_flags_what_it_should():
    bad = undescribed(recipe_schema("flip-chip") | {"properties": _Toy.model_json_schema()["properties"]})
    assert [b.split(":")[0] for b in bad] == ["depth", "gap", "count", "angle"]


# -------------------------------------------------------------------------------------- the schema itself


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_schema_identifies_itself(flow):
    s = recipe_schema(flow)
    assert s["$schema"] == DRAFT and s["$id"] == f"urn:pkgcad:recipe:{flow}" and flow in s["title"]
    assert s["required"] == ["name", "flow"] and s["properties"]["flow"]["const"] == flow
    assert "$defs" not in json.dumps(s) and s["additionalProperties"] is False


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda p: p.stem)
def test_schema_accepts_every_recipe_and_each_names_its_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    directive = f"#:schema ../../docs/recipes/{data['flow']}.schema.json"
    assert text.splitlines()[0] == directive
    assert (path.parent / directive.split()[1]).resolve() == (REFERENCE / f"{data['flow']}.schema.json").resolve()
    validator = jsonschema.Draft7Validator(recipe_schema(data["flow"]))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_schema_refuses_what_validation_refuses():
    jsonschema = pytest.importorskip("jsonschema")
    s = recipe_schema("flip-chip")
    jsonschema.Draft7Validator.check_schema(s)
    v = jsonschema.Draft7Validator(s)
    for bad in ({"solder_balls": {"diameter": 450}}, {"bumps": {"pitchh": 0.2}}, {"chip": [{}, {}]},
                {"second_encapsulant": {"chip_back": "open"}}, {"bumps": {"count_x": 2.5}}):
        data = {"name": "x", "flow": "flip-chip", **bad}
        assert list(v.iter_errors(data)), bad
        with pytest.raises(ParameterError):
            load_design(data)
    assert list(v.iter_errors({"name": "x"}))


# ------------------------------------------------------------------------------------------- the Markdown


def test_markdown_has_a_section_per_table_and_a_row_per_key():
    s = recipe_schema("cavity")
    md = schema_markdown(s)
    assert md.startswith("# pkgcad cavity recipe\n")
    for key, prop, _ in leaves(s):
        section, _, name = key.rpartition(".")
        if section:
            assert f"## `[{section}]`" in md
        assert f"| `{name}` |" in md
    assert "| `draft_angle` | number | degrees | `0` | 0 to < 30 |" in md
    assert "| `pads_per_side` | integer or array | - | `16` | 1 to 1000 |" in md
    bottom = md.split("## `[bottom_pads]`")[1].split("##")[0]  # its keys' defaults are the section's own
    assert "| `thickness` | number | mm | `0.015` |" in bottom and "Left out of a recipe" not in bottom
    assert "through opening" in md.split("## `[opening]`")[1].split("##")[0]


def test_markdown_resolves_pydantic_refs_and_optional_sections():
    md = schema_markdown(FLOWS["flip-chip"].model.model_json_schema())
    assert "## `[heat_sink]`" in md and "Optional: left out, there is none." in md
    assert "| `standoff` | number | mm | `0.6` | 0.001 to 200 |" in md
    assert "Left out of a recipe, the section takes `cap_thickness = 0.8`." in md
    assert "| `name` | string | - | required |" in md
    with pytest.raises(ValueError, match="only local references"):
        resolve({}, {"$ref": "https://example.org/x.json"})


# ------------------------------------------------------------------------------------ the command line


def test_schema_command_prints_writes_and_refuses(tmp_path, capsys):
    assert main(["schema", "cavity"]) == 0
    assert capsys.readouterr().out == (REFERENCE / "cavity.schema.json").read_text(encoding="utf-8")
    out = tmp_path / "new" / "fc.md"
    assert main(["schema", "flip-chip", "--markdown", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (REFERENCE / "flip-chip.md").read_text(encoding="utf-8")
    assert f"wrote {out}" in capsys.readouterr().out
    assert main(["schema", "wire-bond"]) == 2
    assert "flow 'wire-bond' must be one of 'flip-chip', 'cavity'" in capsys.readouterr().err


def test_defaults_taken_lists_what_the_recipe_left_out():
    data = small_recipe(bumps={"material": "Sn"})
    taken = {t.path: t for t in defaults_taken(data, load_design(data))}
    assert taken["heat_sink"].section and taken["heat_sink"].value is None
    assert taken["first_encapsulant"].section and taken["first_encapsulant"].value["polish"] is False
    assert taken["bumps.layout"].value == "full" and not taken["bumps.layout"].section
    assert taken["second_encapsulant.chip_back"].value == "encapsulated"
    assert taken["seed"].value == 0 and taken["description"].value == ""
    assert "bumps.material" not in taken and "substrate" not in taken and "name" not in taken
    for path in taken:
        section, _, key = path.rpartition(".")
        assert key not in (data.get(section, {}) if section else data)
    left_out = small_recipe(second_encapsulant=None)
    got = {t.path: t.value for t in defaults_taken(left_out, load_design(left_out))}
    assert got["second_encapsulant"]["cap_thickness"] == 0.8


def test_check_explain_prints_the_defaults(tmp_path, capsys):
    r = write_recipe(tmp_path / "small.toml", small_recipe())
    assert main(["check", "--explain", str(r)]) == 0
    out = capsys.readouterr().out
    assert f"{r}: " in out and " defaults taken" in out
    assert "  [heat_sink] left out: not set" in out
    assert '  [first_encapsulant] left out: thickness = not set, polish = false' in out
    assert '  bumps.material = "SnPb63"' in out and "  substrate.width" not in out
    assert main(["check", str(r)]) == 0
    assert "defaults taken" not in capsys.readouterr().out


# -------------------------------------------------------------------------------------------- messages


def refused(recipe: dict) -> str:
    with pytest.raises(ParameterError) as e:
        load_design(recipe)
    return str(e.value)


@pytest.mark.parametrize("changes, message", [
    ({"bumps": {"height": 100}}, ("bumps.height 100 plus 3 x height_spread 0 must stay below the diameter 0.12 "
                                  "so that every bump has a flat end (lengths are in mm: 100 um is 0.1 mm)")),
    ({"solder_balls": {"diameter": 450}}, ("solder_balls.diameter 450 input should be less than or equal to 200 "
                                           "(lengths are in mm: 450 um is 0.45 mm)")),
    ({"bumps": {"height_spread": 5}}, ("bumps.height_spread 5 input should be less than or equal to 0.1 "
                                       "(lengths are in mm: 5 um is 0.005 mm)")),
    ({"chip": {"thickness": 50}}, ("second_encapsulant.cap_thickness 0.6 must cover the chip back at 50.11 by at "
                                   "least min_cover 0.05 (claim 6) (chip.thickness 50: lengths are in mm, 50 um "
                                   "is 0.05 mm)")),
])
def test_a_length_in_micrometres_gets_a_hint(changes, message):
    assert refused(small_recipe(**changes)) == message


def test_cavity_lengths_in_micrometres_get_the_hint_too():
    msg = refused({"name": "c", "flow": "cavity", "bond_wires": {"diameter": 25}})
    assert msg == ("bond_wires.diameter 25 input should be less than or equal to 0.05 (lengths are in mm: 25 um is "
                   "0.025 mm)")


@pytest.mark.parametrize("changes", [
    {"chip": {"width": 25.0, "length": 25.0}},  # a large chip on a small area: mm, not um
    {"bumps": {"pitch": 0.1}},
    {"second_encapsulant": {"cap_thickness": 0.45}},
])
def test_plausible_lengths_get_no_hint(changes):
    assert "um is" not in refused(small_recipe(**changes))


def test_micrometre_rule():
    assert looks_like_micrometres(100, (0.001, 200.0), 0.09)
    assert looks_like_micrometres(450, (0.001, 200.0), 0.6)
    assert not looks_like_micrometres(25.0, (0.001, 200.0), 6.0)
    assert not looks_like_micrometres(5e6, (0.001, 200.0), 0.6)     # not a size in um either
    assert not looks_like_micrometres(0.5, (0.001, 200.0), 0.005)   # 0.5 um is below the modelling resolution
    assert not looks_like_micrometres(True, (0.001, 200.0), 0.001)
    assert looks_like_micrometres(5, (0.0, 0.1), 0.0) and not looks_like_micrometres(0.5, (0.0, 0.1), 0.0)
    assert looks_like_micrometres(-500, (-200.0, 200.0), 0.0) and not looks_like_micrometres(-5, (-200.0, 200.0), 0.0)
    assert not looks_like_micrometres(50, (0.001, 200.0), None)


def test_tables_and_lists_of_tables_are_named_not_printed():
    toml = 'name = "t"\nflow = "flip-chip"\n[[chip]]\nwidth = 2.0\n[[chip]]\nwidth = 3.0\n'
    with pytest.raises(ParameterError) as e:
        parse(toml, "t.toml")
    msg = str(e.value)
    assert msg.startswith("t.toml: chip a list of 2 tables input should be a valid dictionary")
    assert msg.endswith(": write one [chip] table, not [[chip]]") and "{" not in msg
    table = refused(small_recipe(heat_sink={"width": {"a": 1.0}}))
    assert table == "heat_sink.width a table input should be a valid number"
    assert refused(small_recipe(chip={"width": [6.0]})) == "chip.width [6.0] input should be a valid number"
