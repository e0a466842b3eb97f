"""Plain-dict Kubernetes objects: the typed views and the few helpers every module needs.

Objects stay plain dicts in Kubernetes JSON shape (what the API server serves and what
kubectl prints); the TypedDicts document the fields the simulator reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

Obj = dict[str, Any]


class ObjectMeta(TypedDict, total=False):
    name: str
    generateName: str
    namespace: str
    uid: str
    resourceVersion: str
    generation: int
    creationTimestamp: str
    deletionTimestamp: str
    deletionGracePeriodSeconds: int
    labels: dict[str, str]
    annotations: dict[str, str]
    ownerReferences: list[dict[str, Any]]
    finalizers: list[str]


class OwnerReference(TypedDict, total=False):
    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool
    blockOwnerDeletion: bool


def clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data; several times faster than copy.deepcopy."""
    t = type(value)
    if t is dict:
        return {k: clone(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if t is list:
        return [clone(v) if type(v) in (dict, list) else v for v in value]
    return value


def meta(obj: Mapping[str, Any]) -> ObjectMeta:
    return obj["metadata"]


def name_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"].get("name", ""))


def ns_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"].get("namespace", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return obj["metadata"].get("labels") or {}


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"].get("uid", ""))


def controller_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owner_ref(owner: Mapping[str, Any], controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return "deletionTimestamp" in obj["metadata"]


def get_path(obj: Any, path: str, default: Any = None) -> Any:
    """Read a dotted path (``spec.template.spec``) without KeyErrors."""
    cur = obj
    for part in path.split("."):
        if type(cur) is dict:
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return default
    return cur


def condition(obj: Mapping[str, Any], ctype: str) -> dict[str, Any] | None:
    for cond in get_path(obj, "status.conditions", []) or []:
        if cond.get("type") == ctype:
            return cond
    return None


def set_condition(status: dict[str, Any], cond: dict[str, Any], now_iso: str, probe_times: bool = False) -> None:
    """Upsert a condition, keeping lastTransitionTime unless the status flips.

    ``probe_times`` adds lastProbeTime (pods carry it as null).
    """
    conds = status.setdefault("conditions", [])
    for i, old in enumerate(conds):
        if old.get("type") == cond["type"]:
            merged = dict(old)
            merged.update(cond)
            if old.get("status") != cond.get("status"):
                merged["lastTransitionTime"] = now_iso
            conds[i] = merged
            return
    new = dict(cond)
    new.setdefault("lastTransitionTime", now_iso)
    if probe_times:
        new.setdefault("lastProbeTime", None)
    conds.append(new)
