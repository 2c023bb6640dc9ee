"""The recipe reference: a recipe's JSON Schema (from :func:`geometry.flows.schema.recipe_schema`) as the text of
``docs/recipes/<flow>.schema.json`` and as a readable Markdown page, one table per recipe section.

It takes the schema as a plain dict (``$ref`` resolved here), so it never names a flow.
"""

from __future__ import annotations

import json
from typing import Any

NO_UNIT = "-"
"""The unit column of a key without a unit (a count, a name, a flag)."""
GENERATED = ("Generated from the recipe models by `pkgcad schema` (`make recipes`); do not edit by hand. Lengths "
             "are in mm and angles in degrees. A key left out of a section takes the default shown; a section left "
             "out takes the defaults of all its keys unless its text says otherwise.")
"""The paragraph under the title of every reference page."""


def schema_json(schema: dict[str, Any]) -> str:
    """The schema as its file holds it: indent 2, sorted keys, a trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The schema ``node`` stands for: its local ``$ref`` (``#/definitions/X``, ``#/$defs/X``, any JSON pointer
    into ``schema``) followed, or ``node`` itself. The referring node's own keys (a field's description and
    default) stay with the property; the target holds the section's description and keys."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are resolved, not {ref!r}")
    target: Any = schema
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return resolve(schema, target)


def _variants(schema: dict[str, Any], node: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The resolved alternatives of ``node`` other than null, and whether null (left out) is one of them."""
    options = node.get("anyOf") or node.get("oneOf")
    if not options:
        return [resolve(schema, node)], False
    kept = [resolve(schema, o) for o in options if o.get("type") != "null"]
    return kept, len(kept) < len(options)


def _section(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    """The resolved table schema of a property that is a recipe section, else None."""
    kept, _ = _variants(schema, node)
    if len(kept) == 1 and (kept[0].get("type") == "object" or "properties" in kept[0]):
        return kept[0]
    return None


def _value(v: Any) -> str:
    """A value as a recipe writes it (TOML): ``true``, ``"Cu"``, ``0.5``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return json.dumps(v)
    return str(v)


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _paragraphs(text: str) -> str:
    """A docstring-like description as Markdown paragraphs (lines of one paragraph joined)."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def _type(kept: list[dict[str, Any]]) -> str:
    names = []
    for k in kept:
        t = k.get("type", "string" if "enum" in k or "const" in k else "any")
        names.append(" or ".join(t) if isinstance(t, list) else t)
    return " or ".join(dict.fromkeys(names))


def _range(kept: list[dict[str, Any]]) -> str:
    """Bounds, allowed values or pattern of a key."""
    out = []
    for k in kept:
        if "const" in k:
            out.append(_value(k["const"]))
        elif "enum" in k:
            out.append(", ".join(_value(v) for v in k["enum"]))
        elif "pattern" in k:
            out.append(f"`{k['pattern']}`")
        else:
            lo = (f"{_value(k['minimum'])}", "") if "minimum" in k else (
                (f"{_value(k['exclusiveMinimum'])}", "> ") if "exclusiveMinimum" in k else None)
            hi = (f"{_value(k['maximum'])}", "") if "maximum" in k else (
                (f"{_value(k['exclusiveMaximum'])}", "< ") if "exclusiveMaximum" in k else None)
            if lo and hi:
                out.append(f"{lo[1]}{lo[0]} to {hi[1]}{hi[0]}")
            elif lo:
                out.append(f">= {lo[0]}" if not lo[1] else f"> {lo[0]}")
            elif hi:
                out.append(f"<= {hi[0]}" if not hi[1] else f"< {hi[0]}")
    return "; ".join(out)


def _unit(kept: list[dict[str, Any]]) -> str:
    units = [k["unit"] for k in kept if "unit" in k]
    return units[0] if units else NO_UNIT


def _default(key: str, prop: dict[str, Any], required: set[str]) -> str:
    if key in required:
        return "required"
    if "default" not in prop:
        return ""
    return "not set" if prop["default"] is None else f"`{_value(prop['default'])}`"


def _table(schema: dict[str, Any], table: dict[str, Any], keys: list[str]) -> list[str]:
    """The Markdown rows of ``keys`` of a section: key, type, unit, default, range, description."""
    required = set(table.get("required", ()))
    rows = ["| key | type | unit | default | range | description |", "|---|---|---|---|---|---|"]
    for key in keys:
        prop = table["properties"][key]
        kept, _ = _variants(schema, prop)
        cells = [f"`{key}`", _type(kept), _unit(kept), _default(key, prop, required), _range(kept),
                 prop.get("description", "")]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _section_defaults(prop: dict[str, Any], table: dict[str, Any]) -> str:
    """A sentence for a section whose default, when the recipe leaves it out, differs from its keys' defaults."""
    given = prop.get("default")
    if not isinstance(given, dict):
        return ""
    keys = table.get("properties", {})
    differ = [f"`{k} = {_value(v)}`" for k, v in given.items()
              if v is not None and ("default" not in keys.get(k, {}) or keys[k]["default"] != v)]
    return f"Left out of a recipe, the section takes {', '.join(differ)}." if differ else ""


def schema_markdown(schema: dict[str, Any]) -> str:
    """The recipe reference of ``schema`` as Markdown: the top-level keys, then one section per recipe table
    (``[substrate]``, ...) with a row per key: type, unit, default, range and description."""
    props = schema.get("properties", {})
    top = [k for k, p in props.items() if _section(schema, p) is None]
    sections = [k for k in props if k not in top]
    title = schema.get("title", "recipe")
    out = [f"# {title}", ""]
    if schema.get("description"):
        out += [_paragraphs(schema["description"]), ""]
    out += [GENERATED, ""]
    if "$id" in schema:
        out += [f"Schema `$id`: `{schema['$id']}`.", ""]
    out += ["## Top-level keys", "", *_table(schema, schema, top), ""]
    for key in sections:
        prop = props[key]
        table = _section(schema, prop)
        _, optional = _variants(schema, prop)
        out += [f"## `[{key}]`", ""]
        text = [prop.get("description", ""), "Optional: left out, there is none." if optional else "",
                _section_defaults(prop, table)]
        if any(text):
            out += [" ".join(t for t in text if t), ""]
        if table.get("description"):
            out += [_paragraphs(table["description"]), ""]
        out += [*_table(schema, table, list(table.get("properties", {}))), ""]
    return "\n".join(out).rstrip("\n") + "\n"
