"""Decode the protobuf request bodies ``kubectl create <kind>`` sends, into the JSON object kubectl
would have sent (compare ``kubectl create ... --dry-run=client -o json``).

A body is ``k8s\\0`` then a runtime.Unknown carrying the type and the object's own protobuf. The
wire format is read generically; :mod:`proto_table` names the fields. Go's generated marshallers
send every non-pointer field, zero values included, so zero values of non-pointer fields are
dropped as ``omitempty`` would; pointer fields keep what was sent (``--replicas=0`` stays 0).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from chaoskit.kube.status import BadRequest
from chaoskit.sim.apiserver.proto_table import MESSAGES, TOP_LEVEL

MAGIC = b"k8s\x00"
_TABLE = {name: {num: (json_name, typ, flags) for num, json_name, typ, flags in fields}
          for name, fields in MESSAGES.items()}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise BadRequest("protobuf: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise BadRequest("protobuf: varint too long")


def fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """The (number, wire type, value) triples of one message."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, wire, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise BadRequest("protobuf: truncated length-delimited field")
            out.append((number, wire, data[pos:pos + length]))
            pos += length
        elif wire == 1:
            out.append((number, wire, int.from_bytes(data[pos:pos + 8], "little")))
            pos += 8
        elif wire == 5:
            out.append((number, wire, int.from_bytes(data[pos:pos + 4], "little")))
            pos += 4
        else:
            raise BadRequest(f"protobuf: unsupported wire type {wire}")
    return out


def _scalar(typ: str, value: int | bytes, path: str) -> Any:
    if typ == "string":
        return _bytes(value, path).decode()
    if typ in ("bytes", "raw"):
        return base64.b64encode(_bytes(value, path)).decode()
    if typ == "bool":
        return bool(value)
    if typ in ("int32", "int64"):
        number = int(value) if isinstance(value, int) else 0
        return number - (1 << 64) if number >= 1 << 63 else number
    return _message(typ, _bytes(value, path), path)


def _bytes(value: int | bytes, path: str) -> bytes:
    if not isinstance(value, bytes):
        raise BadRequest(f"protobuf: {path}: expected a length-delimited value")
    return value


def _special(typ: str, data: bytes) -> Any:
    parts = {n: v for n, _, v in fields(data)}
    if typ == "Time":
        seconds = int(parts.get(1, 0)) if isinstance(parts.get(1, 0), int) else 0
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if seconds else None
    if typ == "Quantity":
        raw = parts.get(1, b"")
        return raw.decode() if isinstance(raw, bytes) else ""
    # IntOrString: type 0 int, 1 string
    if parts.get(1, 0) == 1:
        raw = parts.get(3, b"")
        return raw.decode() if isinstance(raw, bytes) else ""
    value = parts.get(2, 0)
    return int(value) if isinstance(value, int) else 0


def _empty(value: Any) -> bool:
    return value in (None, "", 0, False) or value == {} or value == []


def _message(name: str, data: bytes, path: str) -> Any:
    if name in ("Time", "Quantity", "IntOrString"):
        return _special(name, data)
    table = _TABLE.get(name)
    if table is None:
        raise BadRequest(f"protobuf: no table for message {name} at {path or '<root>'}")
    out: dict[str, Any] = {}
    for number, _wire, value in fields(data):
        where = f"{path}.{table[number][0]}" if number in table else f"{path}.<field {number}>"
        if number not in table:
            if _unset(value):
                continue
            raise BadRequest(f"protobuf: unknown field {where.lstrip('.')} in {name}")
        json_name, typ, flags = table[number]
        if typ.startswith("map:"):
            _, key_type, value_type = typ.split(":")
            entry = {n: v for n, _, v in fields(_bytes(value, where))}
            key = _scalar(key_type, entry.get(1, b""), where)
            out.setdefault(json_name, {})[key] = _scalar(value_type, entry.get(2, b""), where)
            continue
        decoded = _scalar(typ, value, where)
        if "r" in flags:
            out.setdefault(json_name, []).append(decoded)
        elif "p" in flags or not _empty(decoded) or (typ in ("Time",) and decoded is not None):
            out[json_name] = decoded
    return out


def _unset(value: int | bytes) -> bool:
    """A field we have no name for may be skipped only if it carries nothing."""
    if isinstance(value, int):
        return value == 0
    if not value:
        return True
    try:
        return all(_unset(v) for _, _, v in fields(value))
    except BadRequest:
        return False


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object of a ``k8s\\0``-framed protobuf body."""
    if not body.startswith(MAGIC):
        raise BadRequest("protobuf: the body does not start with the k8s\\0 envelope")
    unknown = _message("Unknown", body[len(MAGIC):], "")
    type_meta = unknown.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if kind not in TOP_LEVEL:
        raise BadRequest(f"protobuf bodies for kind {kind or '<none>'} are not supported by the chaoskit simulator; "
                         "use kubectl apply -f, kubectl create -f or kubectl run instead")
    raw = base64.b64decode(unknown.get("raw", "")) if isinstance(unknown.get("raw"), str) else b""
    obj = _message(kind, raw, "")
    return {"kind": kind, "apiVersion": type_meta.get("apiVersion", ""), **obj}
