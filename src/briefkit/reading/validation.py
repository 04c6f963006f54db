"""Validation against the model: pydantic errors become located problems with YAML advice."""

from __future__ import annotations

import difflib
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from briefkit.errors import InvalidInput, Problem
from briefkit.reading.model import ID_PATTERN, Model
from briefkit.reading.yamlfile import Loc, YamlFile, field_name

M = TypeVar("M", bound=Model)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc`` (for 'did you mean' hints)."""
    current: type[BaseModel] | None = model
    for key in loc[:-1]:
        if current is None:
            return None
        if isinstance(key, int):
            continue
        field = current.model_fields.get(key)
        current = _inner_model(field.annotation) if field is not None else None
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


def _message(model: type[BaseModel], err: Any, file: YamlFile) -> str:
    """The user's one-line message for a pydantic error, with YAML advice where it helps."""
    kind, loc, value = err["type"], tuple(err["loc"]), err.get("input")
    raw = file.raw(loc)
    if kind == "extra_forbidden":
        holder = _model_at(model, loc)
        names = list(holder.model_fields) if holder else []
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(names)})"
        return f"unknown field {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type") and loc and loc[-1] == "phase":
        return f"expected a whole number, got {_describe(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields (key: value lines), got {_describe(value)}"
    if kind == "list_type":
        return f"expected a list ('- ' lines or [a, b]), got {_describe(value)}"
    if kind == "string_type":
        if isinstance(value, bool | int | float) and raw is not None:
            return (
                f"expected text, got {raw} unquoted, which YAML reads as {_describe(value)}: "
                f"put it in quotes"
            )
        return f"expected text, got {_describe(value)}"
    if kind == "bool_type":
        if isinstance(value, str) and value.lower() in _YAML11_BOOLS:
            return (
                f"expected true or false, got {value!r} (YAML 1.2 reads it as text; "
                f"write true or false)"
            )
        return f"expected true or false, got {_describe(value)}"
    if kind == "literal_error" and loc == ("schema_version",):
        return f"unknown schema_version {raw or repr(value)}: this briefkit reads versions 1 and 2"
    if kind == "literal_error" and loc and loc[-1] == "conditional":
        advice = (
            " (YAML 1.2 reads it as text; write true or false)"
            if isinstance(value, str) and value.lower() in _YAML11_BOOLS
            else ""
        )
        got = repr(value) if isinstance(value, str) else _describe(value)
        return f"expected true, false or unstated, got {got}{advice}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_describe(value)}"
    if kind == "too_short" and loc and loc[-1] == "quotes":
        return "needs at least one verbatim quote of the article"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == ID_PATTERN:
        return f"{value!r} is not an id: a letter, then letters, digits, '-' or '_' (max 40)"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def validate(model: type[M], file: YamlFile) -> M:
    """Validate ``file``'s plain data against ``model``; every error becomes a located Problem."""
    try:
        return model.model_validate(file.plain)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _written(file.plain, tuple(err["loc"]))
            err = {**err, "loc": loc}
            message = _message(model, err, file) + _item(file.plain, loc)
            problems.append(Problem(file.path, file.line(loc) or 1, field_name(loc), message))
        raise InvalidInput(problems) from None


def _item(plain: Any, loc: Loc) -> str:
    """The suffix naming the item (``" (item C3)"``) that ``loc`` lies in, if any."""
    # An item is an entry of a top-level group (claims.3), or of an assessment part.
    depth = 3 if loc[:1] == ("assessment",) else 2
    node = plain
    for key in loc[:depth]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return ""
    found = node.get("id") if isinstance(node, dict) and len(loc) > depth else None
    return f" (item {found})" if isinstance(found, str) and loc[depth:] != ("id",) else ""


def _written(plain: Any, loc: Loc) -> Loc:
    """``loc`` as the user wrote it: a shorthand (``phase: 2``, ``requires: [K1]``) is expanded
    into a mapping before validation, so an error in it is named by the shorthand's field."""
    if len(loc) < 2 or loc[-1] not in ("value", "id"):
        return loc
    node = plain
    for key in loc[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return loc
    return loc if isinstance(node, dict) else loc[:-1]
