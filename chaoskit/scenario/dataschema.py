"""JSON Schema from frozen dataclasses, and dataclasses built from data that schema accepted.

A scenario's parts (targets, monitors, escalations) and every fault's parameters are declared once,
as a dataclass with its defaults; the schema that validates the YAML (with every problem's path
and line) and the object the code uses both come from that one declaration, so a default is never
written twice. The supported types are the few a scenario needs: ``str``, ``int``, ``float``,
``bool``, ``Literal[...]``, ``X | None``, ``tuple[X, ...]``, ``dict[str, Any]``, nested dataclasses
and :data:`Duration` (``30s``/``2m`` in YAML, seconds in Python). A field's ``metadata`` may give
``name`` (its YAML key when that is not a Python name, e.g. ``break``), ``schema`` (extra keywords
such as ``minimum`` or ``pattern``) and ``doc`` (the description shown by ``chaoskit schema``).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from chaoskit.errors import ConfigError
from chaoskit.i18n import _

DURATION_SCHEMA = {"type": "string", "pattern": r"^\d+(\.\d+)?(ms|s|m|h)$",
                   "description": "simulator time, e.g. 30s, 2m, 1h"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")


class _DurationMark:
    """Marks a float field written as a duration string in YAML."""


Duration = Annotated[float, _DurationMark()]
T = TypeVar("T")


def parse_duration(text: str | int | float) -> float:
    """Simulator seconds from ``30s``, ``2m``, ``1h``, ``500ms`` (numbers are seconds)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    match = _DURATION.match(str(text).strip())
    if not match:
        raise ConfigError(_("not a duration: {text!r} (use 30s, 2m, 1h)").format(text=text))
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def yaml_name(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata.get("name", field.name))


def _is_duration(tp: Any) -> bool:
    return get_origin(tp) is Annotated and any(isinstance(m, _DurationMark) for m in get_args(tp)[1:])


def _optional(tp: Any) -> tuple[Any, bool]:
    """(the type without None, whether None was allowed)."""
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(args) < len(get_args(tp)):
            return args[0], True
    return tp, False


def type_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of one annotated type."""
    tp, _ = _optional(tp)
    if _is_duration(tp):
        return dict(DURATION_SCHEMA)
    if get_origin(tp) is Annotated:
        return type_schema(get_args(tp)[0])
    if dataclasses.is_dataclass(tp):
        return schema_of(tp)  # type: ignore[arg-type]
    origin = get_origin(tp)
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin is tuple:
        return {"type": "array", "items": type_schema(get_args(tp)[0])}
    if origin is dict or tp is dict:
        return {"type": "object"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is Any:
        return {}
    raise TypeError(f"no JSON Schema for {tp!r}")


def schema_of(cls: type[Any]) -> dict[str, Any]:
    """An object schema: every field a property (defaults shown), fields without one required."""
    hints = get_type_hints(cls, include_extras=True)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        name = yaml_name(field)
        prop = {**type_schema(hints[field.name]), **field.metadata.get("schema", {})}
        if field.metadata.get("doc"):
            prop["description"] = field.metadata["doc"]
        if field.default is not dataclasses.MISSING and field.default is not None:
            duration = _is_duration(_optional(hints[field.name])[0])
            prop["default"] = f"{field.default:g}s" if duration else _plain(field.default)
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            required.append(name)
        properties[name] = prop
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    if cls.__doc__:
        schema["description"] = " ".join(cls.__doc__.split())
    return schema


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def build(cls: type[T], data: dict[str, Any]) -> T:
    """The dataclass for ``data`` (already accepted by :func:`schema_of`'s schema): durations parsed,
    lists made tuples, nested dataclasses built, absent fields left to their defaults."""
    hints = get_type_hints(cls, include_extras=True)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = yaml_name(field)
        if name in data:
            values[field.name] = _convert(hints[field.name], data[name])
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(_("{part}: {error}").format(part=cls.__name__, error=exc)) from exc


def _convert(tp: Any, value: Any) -> Any:
    tp, optional = _optional(tp)
    if value is None and optional:
        return None
    if _is_duration(tp):
        return parse_duration(value)
    if get_origin(tp) is Annotated:
        return _convert(get_args(tp)[0], value)
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return build(tp, value)  # type: ignore[arg-type]
    if get_origin(tp) is tuple and isinstance(value, list | tuple):
        return tuple(_convert(get_args(tp)[0], v) for v in value)
    if tp is float and isinstance(value, int):
        return float(value)
    return value
