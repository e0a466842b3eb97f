"""JSON pointers (RFC 6901) over plain dicts: read a field, or learn that it is absent."""

from __future__ import annotations

from typing import Any

ABSENT = {"$absent": True}


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def read(obj: Any, pointer: str) -> Any:
    """The value at ``pointer``, or :data:`ABSENT`."""
    cur = obj
    for raw in pointer.split("/")[1:]:
        part = _unescape(raw)
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return ABSENT
    return cur


def set_ops(obj: Any, pointer: str, value: Any) -> list[dict[str, Any]]:
    """JSON patch operations that make ``pointer`` hold ``value`` (or vanish for ABSENT),
    creating missing parent objects on the way."""
    if value == ABSENT:
        return [] if read(obj, pointer) == ABSENT else [{"op": "remove", "path": pointer}]
    ops: list[dict[str, Any]] = []
    parts = pointer.split("/")[1:]
    for depth in range(1, len(parts)):
        parent = "/" + "/".join(parts[:depth])
        if read(obj, parent) == ABSENT:
            ops.append({"op": "add", "path": parent, "value": {}})
    op = "replace" if read(obj, pointer) != ABSENT else "add"
    ops.append({"op": op, "path": pointer, "value": value})
    return ops
