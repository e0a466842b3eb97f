"""The four patch types kubectl sends.

- JSON patch (RFC 6902): the ``jsonpatch`` library.
- JSON merge patch (RFC 7386): a few lines.
- Strategic merge patch: merge lists by their ``patchMergeKey`` (containers by name, ports by
  containerPort or port, env by name, ...), honour ``$patch: delete/replace``,
  ``$setElementOrder/<field>``, ``$deleteFromPrimitiveList/<field>`` and ``$retainKeys``;
  lists without a merge key are replaced, as for the Kubernetes types.
- Server-side apply: the applied configuration merged strategically, with the manager's fields
  recorded in ``managedFields`` so that a field it stops applying is removed.
"""

from __future__ import annotations

from typing import Any

import jsonpatch

from chaoskit.kube.status import BadRequest, Invalid
from chaoskit.sim.objects import clone

# field name -> merge key (a callable picks between keys that depend on the item shape)
MERGE_KEYS: dict[str, str] = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
    "env": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
    "ownerReferences": "uid", "conditions": "type", "hostAliases": "ip", "resourceClaims": "name",
    "schedulingGates": "name", "resizePolicy": "resourceName", "topologySpreadConstraints": "topologyKey",
    "ephemeralContainerStatuses": "name",
}
PRIMITIVE_MERGE = {"finalizers", "podCIDRs"}


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return MERGE_KEYS.get(field)


def json_patch(obj: dict[str, Any], ops: Any) -> dict[str, Any]:
    if not isinstance(ops, list):
        raise BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        result: dict[str, Any] = jsonpatch.JsonPatch(ops).apply(clone(obj))
        return result
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError, IndexError) as exc:
        raise Invalid(f"the server rejected our request due to an error in our request: {exc}") from exc


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(original: Any, patch: Any) -> Any:
    """Apply a strategic merge patch to ``original`` (which is not modified)."""
    if not isinstance(patch, dict):
        return clone(patch)
    if not isinstance(original, dict):
        original = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = dict(original)
    orders: dict[str, list[Any]] = {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(field, result[field], order)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(field: str, original: Any, patch: list[Any]) -> list[Any]:
    if not isinstance(original, list):
        original = []
    if field in PRIMITIVE_MERGE:
        out = list(original)
        for item in patch:
            if item not in out:
                out.append(item)
        return out
    key = _merge_key(field, patch + original)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return [clone(i) for i in patch if not (isinstance(i, dict) and i.get("$patch"))]
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [clone(i) for i in patch if i.get("$patch") != "replace"]
    out = [clone(i) for i in original]
    for item in patch:
        if key not in item:
            raise BadRequest(f"map: {item} does not contain declared merge key: {key}")
        index = next((n for n, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                out.pop(index)
            continue
        if index is None:
            out.append(strategic_merge({}, item))
        else:
            out[index] = strategic_merge(out[index], item)
    return out


def _reorder(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    key = _merge_key(field, items)
    if key is None:
        rank = {repr(v): n for n, v in enumerate(order)}
        return sorted(items, key=lambda v: rank.get(repr(v), len(rank)))
    rank = {repr(o.get(key)): n for n, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda v: rank.get(repr(v.get(key)) if isinstance(v, dict) else "", len(rank)))


# ---------------------------------------------------------------------------- server-side apply


def field_set(obj: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Leaf field paths of an applied configuration (list items keyed by their merge key)."""
    paths: set[tuple[str, ...]] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            if prefix == () and key in ("apiVersion", "kind"):
                continue
            if isinstance(value, dict) and value:
                paths |= field_set(value, (*prefix, f"f:{key}"))
            elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value) and \
                    _merge_key(key, value):
                mk = _merge_key(key, value)
                for item in value:
                    paths |= field_set(item, (*prefix, f"f:{key}", f"k:{mk}={item.get(mk)}"))
            else:
                paths.add((*prefix, f"f:{key}"))
    return paths


def fields_v1(paths: set[tuple[str, ...]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


def _paths_of(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for key, sub in tree.items():
        if sub:
            out |= _paths_of(sub, (*prefix, key))
        else:
            out.add((*prefix, key))
    return out


def _remove_path(obj: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = obj
    for n, part in enumerate(path):
        last = n == len(path) - 1
        if part.startswith("f:"):
            name = part[2:]
            if not isinstance(node, dict) or name not in node:
                return
            if last:
                del node[name]
                return
            node = node[name]
        elif part.startswith("k:"):
            mk, _, value = part[2:].partition("=")
            if not isinstance(node, list):
                return
            match = next((i for i in node if isinstance(i, dict) and str(i.get(mk)) == value), None)
            if match is None:
                return
            if last:
                node.remove(match)
                return
            node = match


def apply(live: dict[str, Any] | None, applied: dict[str, Any], manager: str, now_iso: str) -> dict[str, Any]:
    """Server-side apply: merge ``applied`` into ``live`` and record ``manager``'s fields."""
    mine = field_set(applied)
    base = clone(live) if live is not None else {}
    managed = list((base.get("metadata") or {}).get("managedFields") or [])
    previous = next((m for m in managed if m.get("manager") == manager and m.get("operation") == "Apply"), None)
    if previous is not None:
        others: set[tuple[str, ...]] = set()
        for entry in managed:
            if entry is not previous:
                others |= _paths_of(entry.get("fieldsV1") or {})
        for path in sorted(_paths_of(previous.get("fieldsV1") or {}) - mine - others, key=len, reverse=True):
            _remove_path(base, path)
    result = strategic_merge(base, applied)
    entry = {"manager": manager, "operation": "Apply", "apiVersion": applied.get("apiVersion", ""),
             "time": now_iso, "fieldsType": "FieldsV1", "fieldsV1": fields_v1(mine)}
    managed = [m for m in managed if not (m.get("manager") == manager and m.get("operation") == "Apply")]
    result.setdefault("metadata", {})["managedFields"] = [*managed, entry]
    return result
