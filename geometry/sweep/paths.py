"""Dotted parameter paths of a recipe (``solder_balls.pitch``) against the design models: checked, read with the
defaults validation will use, and set."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel

from ..core.params import ParameterError, fmt
from ..flows import FLOWS

MISSING = object()


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    args = get_args(annotation) or (annotation,)
    return [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]


def design_model(flow: str) -> type[BaseModel]:
    """The design model of the base recipe's ``flow``; :class:`ParameterError` names the known flows."""
    if flow not in FLOWS:
        raise ParameterError(f"base.flow {fmt(flow)} must be one of {', '.join(repr(k) for k in FLOWS)}")
    return FLOWS[flow].model


def _leaf_field(model: type[BaseModel], path: str) -> Any:
    cls: type[BaseModel] | None = model
    f = None
    for p in path.split("."):
        if cls is None or p not in cls.model_fields:
            return None
        f = cls.model_fields[p]
        subs = _submodels(f.annotation)
        cls = subs[0] if subs else None
    return f


def is_real(model: type[BaseModel], path: str) -> bool:
    """Whether the parameter at ``path`` is a real number (a float field)."""
    f = _leaf_field(model, path)
    return f is not None and float in _types(f.annotation)


def _types(annotation: Any) -> set[Any]:
    """The plain types inside an annotation (through Optional, unions and Annotated)."""
    args = get_args(annotation)
    if not args:
        return {annotation}
    if get_origin(annotation) is Annotated:
        return _types(args[0])
    return set().union(*(_types(a) for a in args))


def check_path(model: type[BaseModel], path: str, where: str) -> None:
    """Raise :class:`ParameterError` unless ``path`` names a parameter (or section) of ``model``."""
    parts = path.split(".")
    cls: type[BaseModel] | None = model
    for i, p in enumerate(parts):
        if cls is None:
            raise ParameterError(f"{where} {'.'.join(parts[:i])} is a value, not a section: {path!r} is not a "
                                 "parameter")
        fields = cls.model_fields
        if p not in fields:
            near = difflib.get_close_matches(p, list(fields), n=1)
            hint = f", did you mean {'.'.join([*parts[:i], near[0]])!r}?" if near else ""
            raise ParameterError(f"{where} {path!r} is not a parameter of the {model.model_fields['flow'].default} "
                                 f"design{hint}")
        subs = _submodels(fields[p].annotation)
        cls = subs[0] if subs else None


def default_value(model: type[BaseModel], recipe: Mapping[str, Any], path: str) -> Any:
    """The value of ``path`` that validation of ``recipe`` will use: the recipe's own, else the default (a section
    given in the recipe takes its class defaults; a section left out, its field default)."""
    node: Any = recipe
    cls: type[BaseModel] | None = model
    parts = path.split(".")
    for i, p in enumerate(parts):
        if isinstance(node, Mapping) and p in node:
            node = node[p]
            subs = _submodels(cls.model_fields[p].annotation) if cls is not None and p in cls.model_fields else []
            cls = subs[0] if subs else None
            continue
        if cls is None or p not in cls.model_fields:
            return MISSING
        f = cls.model_fields[p]
        value = f.get_default(call_default_factory=True)
        subs = _submodels(f.annotation)
        for q in parts[i + 1:]:
            if isinstance(value, BaseModel):
                value = getattr(value, q, MISSING)
                subs = []
            elif value is None and subs and q in subs[0].model_fields:
                g = subs[0].model_fields[q]
                value, subs = g.get_default(call_default_factory=True), _submodels(g.annotation)
            else:
                return MISSING
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return node


def get_path(recipe: Mapping[str, Any], path: str) -> Any:
    node: Any = recipe
    for p in path.split("."):
        if not isinstance(node, Mapping) or p not in node:
            return MISSING
        node = node[p]
    return node


def set_path(recipe: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``recipe`` in place, creating sections as needed."""
    parts = path.split(".")
    node = recipe
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = copy.deepcopy(value)


def resolved(recipe: Mapping[str, Any], path: str, flow: str | None = None) -> Any:
    """The value of ``path`` for ``recipe`` (its own, else the design default); None when there is none."""
    v = default_value(design_model(flow or str(recipe.get("flow"))), recipe, path)
    return None if v is MISSING else v
