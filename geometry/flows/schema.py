"""JSON Schema of each flow's recipe, generated from its design model: what ``pkgcad schema FLOW`` prints and
``docs/recipes/<flow>.schema.json`` holds.

The schema is Draft 7 (sub-models under ``definitions``), which TOML language servers such as Taplo read: every
key carries its description, and lengths and angles a ``unit`` keyword (mm, degrees) from
:mod:`geometry.core.params`. It describes the keys, types, bounds and defaults; the cross-field rules of
``rules.py`` are checked by validation only.
"""

from __future__ import annotations

from typing import Any

from . import flow_named

DRAFT = "http://json-schema.org/draft-07/schema#"
"""The JSON Schema dialect of the recipe schemas."""


def recipe_schema(flow_name: str) -> dict[str, Any]:
    """The JSON Schema of a ``flow_name`` recipe (a TOML file validated by :func:`geometry.flows.load_design`):
    ``$id`` ``urn:pkgcad:recipe:<flow>``, a title, the design model's fields, and ``flow`` required (it picks the
    model). Raises :class:`~geometry.core.params.ParameterError` for an unknown flow."""
    flow = flow_named(flow_name)
    schema = flow.model.model_json_schema(ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    schema.pop("title", None)
    out: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"urn:pkgcad:recipe:{flow.name}",
        "title": f"pkgcad {flow.name} recipe",
        **schema,
        "required": [k for k in schema["properties"] if k in {*schema.get("required", ()), "flow"}],
    }
    if definitions:
        out["definitions"] = definitions
    return out
