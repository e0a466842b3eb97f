"""The shape of ``snapshot.json`` and one readable line for what is wrong with a file.

A JSON Schema checks the envelope (format, clock, id generator), the cluster's configuration
(derived from the dataclasses it is read into, so a field added there is accepted here) and the
kubelets' records (pods, containers, restart counts, logs). The objects, thousands of them, are
checked by :func:`objects_problem` with the same kind of rules written out by hand, because the
schema took half a second on a 500-pod cluster: each one's identity (kind, name, namespace, uid,
resourceVersion) and the parts the restore reads directly (a Node's podCIDR and addresses, a
Pod's containers, an Event's involvedObject). The objects' specs are the simulator's own, written
after admission; a restore that still trips over one ends in one line too
(:func:`chaoskit.sim.snapshot.restore`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

import jsonschema

from chaoskit.sim.controllers.base import Timings
from chaoskit.sim.kinds import STORED
from chaoskit.sim.topology import NodeShape, Topology

FORMAT = 1

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_NUMBER = {"type": "number"}
_BOOLEAN = {"type": "boolean"}
_TYPES = {"str": _STRING, "int": _INTEGER, "float": _NUMBER, "bool": _BOOLEAN}
_STRING_MAP = {"type": "object", "additionalProperties": _STRING}
_STRINGS = {"type": "array", "items": _STRING}
_MAYBE_NUMBER = {"type": ["number", "null"]}
_TIME = {"type": "number", "minimum": 0, "maximum": 1e11}  # seconds since the epoch, up to the year 5138
_LOG = {"type": "array", "items": {"type": "array", "prefixItems": [_NUMBER, _STRING], "minItems": 2,
                                   "maxItems": 2}}


def _dataclass(cls: type, nested: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schema of a dataclass read back with ``cls(**data)``: known fields, each of its type."""
    properties = {f.name: (nested or {}).get(f.name) or _TYPES[str(f.type)] for f in dataclasses.fields(cls)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


_CIDR = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/[0-9]{1,2}")
_NAMESPACED = frozenset(k.kind for k in STORED if k.namespaced)
_KINDS = frozenset(k.kind for k in STORED)


def objects_problem(objects: Any) -> str | None:
    """The objects, checked by hand rather than by the schema: the same rules, ten times faster
    (a 500-pod cluster holds some 4,000 objects, and a restart should not wait on their check)."""
    if not isinstance(objects, list):
        return f"$.objects: must be an array, not {_json_type(objects)}"
    for i, obj in enumerate(objects):
        where = f"$.objects[{i}]"
        wrong = _object_problem(obj)
        if wrong is not None:
            field, what = wrong
            return f"{where}{field}: {what}"
    return None


def _object_problem(obj: Any) -> tuple[str, str] | None:
    if not isinstance(obj, dict):
        return "", f"must be an object, not {_json_type(obj)}"
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str):
            return f".{key}", _missing_or_type(obj, key, "a string")
    kind = obj["kind"]
    if kind not in _KINDS:
        return ".kind", f"is {_short(kind)}, not a kind the simulator stores"
    md = obj.get("metadata")
    if not isinstance(md, dict):
        return ".metadata", _missing_or_type(obj, "metadata", "an object")
    required = ("name", "uid", "resourceVersion", "namespace") if kind in _NAMESPACED else \
        ("name", "uid", "resourceVersion")
    for key in required:
        if not isinstance(md.get(key), str):
            return f".metadata.{key}", _missing_or_type(md, key, "a string")
    if not md["name"]:
        return ".metadata.name", "is empty"
    if not md["resourceVersion"].isdigit():
        return ".metadata.resourceVersion", f"is {_short(md['resourceVersion'])}, not a number"
    for key in ("labels", "annotations"):
        value = md.get(key)
        if value is not None and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            return f".metadata.{key}", "must be an object of strings"
    for key, shape in (("ownerReferences", dict), ("finalizers", str)):
        value = md.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, shape) for v in value)):
            return f".metadata.{key}", f"must be an array of {'objects' if shape is dict else 'strings'}"
    if kind == "Node":
        return _node_problem(obj)
    if kind == "Pod":
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return ".spec", _missing_or_type(obj, "spec", "an object")
        for key in ("containers", "initContainers", "ephemeralContainers"):
            value = spec.get(key, [])
            if key == "containers" and "containers" not in spec:
                return ".spec.containers", "is missing"
            if not (isinstance(value, list) and all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                                     for c in value)):
                return f".spec.{key}", "must be an array of containers with names"
    if kind == "Event":
        for key in ("involvedObject", "source"):
            if key in obj and not isinstance(obj[key], dict):
                return f".{key}", f"must be an object, not {_json_type(obj[key])}"
    return None


def _node_problem(node: dict[str, Any]) -> tuple[str, str] | None:
    for key in ("spec", "status"):
        if not isinstance(node.get(key), dict):
            return f".{key}", _missing_or_type(node, key, "an object")
    cidr = node["spec"].get("podCIDR")
    if cidr is not None and not (isinstance(cidr, str) and _CIDR.fullmatch(cidr)):
        return ".spec.podCIDR", f"is {_short(cidr)}, not a CIDR"
    addresses = node["status"].get("addresses", [])
    if not (isinstance(addresses, list) and all(
            isinstance(a, dict) and isinstance(a.get("type"), str) and isinstance(a.get("address"), str)
            for a in addresses)):
        return ".status.addresses", "must be an array of {type, address} strings"
    return None


def _missing_or_type(parent: dict[str, Any], key: str, expected: str) -> str:
    return "is missing" if key not in parent else f"must be {expected}, not {_json_type(parent[key])}"


def _kubelets() -> dict[str, Any]:
    container = {"type": "object", "properties": {
        "init": _BOOLEAN, "ephemeral": _BOOLEAN, "state": {"enum": ["waiting", "running", "terminated"]},
        "reason": _STRING, "message": _STRING, "started_at": _MAYBE_NUMBER, "finished_at": _MAYBE_NUMBER,
        "exit_code": _INTEGER, "last": {"type": ["object", "null"]}, "restarts": {"type": "integer", "minimum": 0},
        "container_id": _STRING, "image": _STRING, "image_id": _STRING, "crash_count": _INTEGER,
        "pull_failures": _INTEGER, "pull_backoff_until": _NUMBER, "ready": _BOOLEAN, "started": _BOOLEAN,
        "killing": _BOOLEAN, "restart_at": _MAYBE_NUMBER, "logs": _LOG, "prev_logs": _LOG}}
    pod = {"type": "object",
           "required": ["namespace", "name", "uid", "ip", "start_time", "sandbox_ready", "terminating", "hostname",
                        "init_order", "app_order", "containers"],
           "properties": {"namespace": _STRING, "name": _STRING, "uid": _STRING, "ip": _STRING, "start_time": _NUMBER,
                          "sandbox_ready": _BOOLEAN, "terminating": _BOOLEAN, "hostname": _STRING,
                          "init_order": _STRINGS, "app_order": _STRINGS, "ephemeral_order": _STRINGS,
                          "containers": {"type": "object", "additionalProperties": container}}}
    return {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "running": _BOOLEAN, "images": {"type": "object", "additionalProperties": _INTEGER}, "next_ip": _INTEGER,
        "pods": {"type": "array", "items": pod}}}}


@functools.cache
def schema() -> dict[str, Any]:
    """The snapshot's JSON Schema (draft 2020-12)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "chaoskit simulator snapshot",
        "type": "object",
        "required": ["format", "config", "now", "rv", "rng", "objects", "kubelets"],
        "properties": {
            "format": {"const": FORMAT},
            "saved_at": _TIME,
            "clean": _BOOLEAN,
            "config": {"type": "object", "required": ["topology", "timings", "start", "seed"],
                       "additionalProperties": False, "properties": {
                           "topology": _dataclass(Topology, {"shape": _dataclass(NodeShape)}),
                           "timings": _dataclass(Timings), "start": _TIME, "seed": _INTEGER}},
            "now": _TIME,
            "rv": {"type": "integer", "minimum": 0},
            "next_cluster_ip": {"type": "integer", "minimum": 0},
            # random.Random.getstate(): (3, 624 words and the position, the cached gauss or None)
            "rng": {"type": "array", "minItems": 3, "maxItems": 3, "prefixItems": [
                {"const": 3},
                {"type": "array", "minItems": 625, "maxItems": 625,
                 "items": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}},
                _MAYBE_NUMBER]},
            "objects": {"type": "array"},  # each one: objects_problem()
            "kubelets": _kubelets(),
        },
    }


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def problem(data: Any) -> str | None:
    """What is wrong with ``data`` as a snapshot, in one line; None if nothing is."""
    if not isinstance(data, dict):
        return f"is not a snapshot: a JSON {_json_type(data)}, not an object"
    if "format" not in data:
        return "is not a snapshot: it has no format number"
    if data["format"] != FORMAT:
        return (f"is a snapshot of format {_short(data['format'])}, which this chaoskit does not read "
                f"(it reads format {FORMAT}): another chaoskit version wrote it")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        return f"is not a valid snapshot: {error.json_path}: {_describe(error)}"
    wrong = objects_problem(data["objects"])
    return f"is not a valid snapshot: {wrong}" if wrong is not None else None


def _describe(error: jsonschema.ValidationError) -> str:
    """The validator's complaint without echoing a whole object back (jsonschema's messages do)."""
    if error.validator == "type":
        return f"must be {_expected(error.validator_value)}, not {_json_type(error.instance)}"
    if error.validator in ("enum", "const"):
        value: Any = error.validator_value
        allowed: list[Any] = list(value) if error.validator == "enum" else [value]
        shown = ", ".join(_short(v) for v in allowed[:8]) + (", ..." if len(allowed) > 8 else "")
        return f"is {_short(error.instance)}, expected {'one of ' if len(allowed) > 1 else ''}{shown}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [_short(k) for k in error.instance if k not in known]
        return f"has unexpected field{'s' if len(extra) > 1 else ''} {', '.join(extra[:5])}"
    if error.validator in ("minItems", "maxItems"):
        size = len(error.instance) if isinstance(error.instance, list) else 0
        return f"has {size} items, expected {'at least' if error.validator == 'minItems' else 'at most'} " \
               f"{error.validator_value}"
    if error.validator in ("minimum", "maximum", "pattern", "minLength"):
        return f"{_short(error.instance)} does not satisfy {error.validator} {_short(error.validator_value)}"
    return _short(error.message, 160)


def _expected(types: Any) -> str:
    names = types if isinstance(types, list) else [types]
    return " or ".join(("an " if n[0] in "aeiou" else "a ") + n for n in names)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number"}.get(type(value), "value")


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) and limit > 60 else repr(value)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
