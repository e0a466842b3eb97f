"""One way to print a command's result: JSON for scripts, text for people."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import click


def plain(value: Any) -> Any:
    """JSON-ready data from dataclasses, tuples and paths."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(plain(value), indent=2, sort_keys=True, ensure_ascii=False))


def emit(value: Any, as_json: bool, text: Callable[[Any], None]) -> None:
    """Print ``value`` as JSON, or hand it to ``text`` to print for people."""
    if as_json:
        emit_json(value)
    else:
        text(value)
