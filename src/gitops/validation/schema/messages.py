"""Schema errors as findings a person can act on: which field, what is wrong, what to write.

Both validators' errors (jsonschema-rs, and python-jsonschema as the fallback) are first reduced to
a `Problem`; `describe` then words it: an unknown field names its line and the closest known field
("did you mean 'replicas'?"), a number or boolean where a string is expected says to quote it
(YAML reads `1.10` as a number, `on` as a boolean), a missing field names itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gitops.validation.model import FieldPath

_SAFE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_REQUIRED = re.compile(r"^'(.+)' is a required property$")
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
}
_OPTIONS_SHOWN = 12


@dataclass(frozen=True)
class Problem:
    """One schema error, from either validator."""

    path: FieldPath
    keyword: str
    message: str
    instance: Any
    schema: dict[str, Any] = field(default_factory=dict)  # the schema node holding `keyword`
    details: dict[str, Any] = field(default_factory=dict)


def field_name(path: FieldPath) -> str:
    """`spec.template.spec.containers[0].image`; keys with dots or slashes in brackets."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SAFE_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def describe(problem: Problem) -> Iterator[tuple[FieldPath, str]]:
    """(path of the field to point at, message) for one problem; unknown fields one by one."""
    where = field_name(problem.path)
    keyword = problem.keyword
    if keyword == "additionalProperties":
        yield from _unknown_fields(problem)
    elif keyword == "required":
        name = problem.details.get("property") or "?"
        inside = f" in {where}" if where else ""
        yield problem.path, f"required field {name!r} is missing{inside}"
    elif keyword == "type":
        yield problem.path, f"{where}: {_type_message(problem)}"
    elif keyword == "enum":
        options = problem.details.get("options") or problem.schema.get("enum") or []
        shown = ", ".join(repr(o) for o in options[:_OPTIONS_SHOWN] if o is not None)
        yield problem.path, f"{where}: {problem.instance!r} is not one of {shown}"
    elif keyword in ("oneOf", "anyOf"):
        yield problem.path, f"{where}: {_one_of_message(problem)}"
    else:
        yield problem.path, f"{where or 'the object'}: {problem.message}"


def _unknown_fields(problem: Problem) -> Iterator[tuple[FieldPath, str]]:
    unexpected = problem.details.get("unexpected") or []
    known = sorted((problem.schema.get("properties") or {}).keys())
    where = field_name(problem.path)
    inside = f"in {where}" if where else "at the top level"
    for name in unexpected:
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if not guess:
            lowered = {k.lower(): k for k in known}
            guess = [lowered[name.lower()]] if name.lower() in lowered else []
        belongs = (problem.details.get("belongs") or {}).get(name) or []
        if guess:
            hint = f": did you mean {guess[0]!r}?"
        elif belongs:
            places = " or ".join(field_name((*problem.path, b)) for b in belongs[:3])
            hint = f": it belongs under {places}"
        elif known:
            listed = ", ".join(known[:_OPTIONS_SHOWN]) + (
                ", …" if len(known) > _OPTIONS_SHOWN else ""
            )
            hint = f" (known fields: {listed})"
        else:
            hint = ""
        yield (*problem.path, name), f"unknown field {name!r} {inside}{hint}"


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float | str):
        return f"the {'string' if isinstance(value, str) else 'number'} {value!r}"
    return "a list" if isinstance(value, list) else "a mapping"


def _expected(types: Any) -> list[str]:
    names = [types] if isinstance(types, str) else list(types or [])
    return [_TYPE_NAMES.get(t, t) for t in names if t != "null"]


def _type_message(problem: Problem) -> str:
    types = problem.details.get("types") or problem.schema.get("type") or []
    expected = " or ".join(_expected(types)) or "another type"
    value = problem.instance
    message = f"expected {expected}, got {_kind_of(value)}"
    wants_string = "a string" in _expected(types)
    if wants_string and isinstance(value, bool | int | float):
        message += (
            "; quote the value (YAML reads unquoted true/false/yes/no/on/off as booleans and "
            "digits as numbers)"
        )
    elif isinstance(value, str) and any(t in ("integer", "number") for t in _as_list(types)):
        message += "; remove the quotes"
    return message


def _as_list(types: Any) -> list[str]:
    return [types] if isinstance(types, str) else list(types or [])


def _one_of_message(problem: Problem) -> str:
    branches = problem.schema.get(problem.keyword) or []
    types: list[str] = []
    for branch in branches:
        if isinstance(branch, dict):
            types.extend(t for t in _expected(branch.get("type")) if t not in types)
    got = _kind_of(problem.instance)
    if "quantity" in problem.message.lower() or _is_quantity(problem):
        return f"expected a quantity such as 500m, 1Gi or 2, got {got}"
    if types:
        return f"expected {' or '.join(types)}, got {got}"
    return problem.message


def _is_quantity(problem: Problem) -> bool:
    return str(problem.details.get("definition", "")).endswith("resource.Quantity")


def required_from_message(message: str) -> str | None:
    match = _REQUIRED.match(message)
    return match.group(1) if match else None
