"""The verbs on resources (get, list, create, update, patch, delete, deletecollection) as plain
functions over the store: no HTTP here, so they are tested without a server."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaoskit.kube.status import BadRequest, Invalid, NotFound, conflict, not_found
from chaoskit.kube.times import iso
from chaoskit.sim.apiserver import fields as field_validation
from chaoskit.sim.apiserver import patch as patches
from chaoskit.sim.apiserver import protobuf, typed, wire
from chaoskit.sim.apiserver.paths import Target
from chaoskit.sim.cluster import Cluster
from chaoskit.sim.kinds import KindInfo
from chaoskit.sim.objects import Obj, clone, get_path
from chaoskit.sim.printing import TABLES, table
from chaoskit.sim.selectors import format_selector, parse_fields, parse_labels

PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml",
               "application/strategic-merge-patch+json")


@dataclass(frozen=True)
class Reply:
    code: int
    body: Any
    warnings: tuple[str, ...] = ()


def check_fields(target: Target, obj: Any, query: dict[str, str],
                 unknown: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Strict: unknown fields are a 400; Warn (the default): they come back as warnings."""
    mode = query.get("fieldValidation", "Warn")
    if mode == "Ignore":
        return ()
    found = list(unknown) if unknown is not None else field_validation.unknown_fields(target.kind.kind, obj)
    if not found:
        return ()
    if mode == "Strict":
        raise BadRequest(field_validation.message(target.kind.kind, target.kind.version, found))
    return tuple(f'unknown field "{f}"' for f in found)


def _gvk_words(target: Target, body: dict[str, Any]) -> tuple[str, str]:
    """The kind and version the decoder saw: the body's own, defaulted from the endpoint."""
    given_kind, given_version = body.get("kind"), body.get("apiVersion")
    kind = given_kind if isinstance(given_kind, str) and given_kind else target.kind.kind
    api_version = given_version if isinstance(given_version, str) else ""
    version = api_version.rsplit("/", 1)[-1] if api_version else target.kind.version
    return kind, version


def decode_typed(target: Target, body: Any) -> typed.Decoded | None:
    """Unmarshal ``body`` into the endpoint's Go type: a wrong JSON type is the decoder's 400, unknown
    fields are dropped and listed. Kinds without a schema (none today) pass through unchanged."""
    if not isinstance(body, dict) or not typed.served(target.kind.kind):
        return None
    try:
        return typed.decode(target.kind.kind, body)
    except wire.DecodeError as exc:
        kind, version = _gvk_words(target, body)
        raise BadRequest(f'{kind} in version "{version}" cannot be handled as a {target.kind.kind}: {exc}') from None


def status_success(code: int = 200, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    if code != 200:
        body["code"] = code
    return body


def decode_body(raw: bytes, content_type: str, kind: KindInfo) -> Any:
    """The JSON document a create or update body carries, refused as the API server refuses it."""
    media = wire.media_type(content_type)
    if media == wire.PROTOBUF:
        return protobuf.decode(raw)
    try:
        if media == wire.YAML:
            doc = wire.parse_yaml(raw)
        else:
            try:
                doc = wire.parse_json(raw)
            except wire.DecodeError as exc:
                raise wire.DecodeError(f"couldn't get version/kind; json parse error: {exc}") from None
        typed.interpret(doc)
    except wire.DecodeError as exc:
        raise wire.unrecognized(kind.kind, str(exc), raw) from None
    return doc


class UnsupportedMedia(BadRequest):
    code = 415
    reason = "UnsupportedMediaType"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or (
            "the chaoskit simulator does not accept protobuf request bodies, which kubectl sends for "
            "'kubectl create deployment|namespace|configmap|secret|job|service'; use 'kubectl apply -f', "
            "'kubectl create -f' or 'kubectl run' instead"))


class InvalidWatch(BadRequest):
    code = 422
    reason = "Invalid"


def scale_reply(cluster: Cluster, target: Target) -> Reply:
    return Reply(200, scale_of(cluster, target))


def selectors(target: Target, query: dict[str, str]) -> tuple[Any, Any]:
    allowed = frozenset({"metadata.name", "metadata.namespace"}) | target.kind.fields
    return (parse_labels(query.get("labelSelector")),
            parse_fields(query.get("fieldSelector"), allowed, target.kind.plural))


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def _list_kind(kind: KindInfo) -> str:
    return f"{kind.kind}List"


def get(cluster: Cluster, target: Target, query: dict[str, str], accept: str) -> Reply:
    assert target.name is not None
    obj = cluster.store.get(target.kind.kind, target.namespace or "", target.name)
    if wants_table(accept) and target.kind.kind in TABLES:
        return Reply(200, table(target.kind.kind, [obj], cluster.now, obj["metadata"]["resourceVersion"],
                                query.get("includeObject", "Metadata")))
    return Reply(200, obj)


def list_objects(cluster: Cluster, target: Target, query: dict[str, str]) -> tuple[list[Obj], str, str, int]:
    """The objects of a list request after selectors and paging: (items, rv, continue, remaining)."""
    labels, fields = selectors(target, query)
    items = cluster.store.list(target.kind.kind, target.namespace, labels, fields)
    rv = str(cluster.store.rv)
    token = query.get("continue")
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            after = (state["ns"], state["name"])
            rv = str(state["rv"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BadRequest(f"continue key is not valid: {exc}") from exc
        items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after]
    limit = query.get("limit")
    next_token, remaining = "", 0
    if limit:
        try:
            n = int(limit)
        except ValueError as exc:
            raise BadRequest(f'strconv.ParseInt: parsing "{limit}": invalid syntax') from exc
        if 0 < n < len(items):
            last = items[n - 1]["metadata"]
            remaining = len(items) - n
            items = items[:n]
            next_token = base64.urlsafe_b64encode(json.dumps(
                {"rv": int(rv), "ns": last.get("namespace", ""), "name": last["name"]}).encode()).decode()
    return items, rv, next_token, remaining


def list_reply(cluster: Cluster, target: Target, query: dict[str, str], accept: str) -> Reply:
    items, rv, token, remaining = list_objects(cluster, target, query)
    if wants_table(accept) and target.kind.kind in TABLES:
        body = table(target.kind.kind, items, cluster.now, rv, query.get("includeObject", "Metadata"))
    else:
        body = {"kind": _list_kind(target.kind), "apiVersion": target.kind.api_version,
                "metadata": {"resourceVersion": rv}, "items": items}
    if token:
        body["metadata"]["continue"] = token
        body["metadata"]["remainingItemCount"] = remaining
    return Reply(200, body)


def _check_identity(target: Target, body: Any, name: str | None = None) -> Obj:
    if not isinstance(body, dict):
        raise BadRequest(f"{target.kind.kind} in version \"{target.kind.version}\" cannot be handled as a "
                         f"{target.kind.kind}: json: cannot unmarshal into Go value of type {target.kind.kind}")
    body.setdefault("kind", target.kind.kind)
    body.setdefault("apiVersion", target.kind.api_version)
    if body["kind"] != target.kind.kind:
        raise BadRequest(f"the API version in the data ({body.get('apiVersion')}) does not match the expected API "
                         f"version ({target.kind.api_version})" if body.get("apiVersion") != target.kind.api_version
                         else f"{body['kind']} in version \"{target.kind.version}\" cannot be handled as a "
                              f"{target.kind.kind}")
    md = body.setdefault("metadata", {})
    if not isinstance(md, dict):
        raise BadRequest(f"{target.kind.kind} in version \"{target.kind.version}\" cannot be handled as a "
                         f"{target.kind.kind}: json: cannot unmarshal into Go struct field .metadata")
    if target.kind.namespaced:
        ns = target.namespace or "default"
        if md.get("namespace") and md["namespace"] != ns:
            raise BadRequest("the namespace of the provided object does not match the namespace sent on the request")
        md["namespace"] = ns
    if name is not None and md.get("name") and md["name"] != name:
        raise BadRequest(f"the name of the object ({md['name']}) does not match the name on the URL ({name})")
    if name is not None:
        md["name"] = name
    return body


# Below this many body bytes a JSON create, update or merge patch cannot reach etcd's 1.5 MiB
# (the server adds only defaults), so the serialized size is not measured: it costs a json.dumps.
SIZE_CHECK_FROM = 512 * 1024


def create(cluster: Cluster, target: Target, body: Any, query: dict[str, str], raw_size: int | None = None) -> Reply:
    decoded = decode_typed(target, body)
    obj = _check_identity(target, decoded.obj if decoded else body)
    warnings = check_fields(target, obj, query, decoded.unknown if decoded else None)
    created = cluster.store.create(obj, dry_run=query.get("dryRun") == "All",
                                   check_size=raw_size is None or raw_size > SIZE_CHECK_FROM)
    return Reply(201, created, warnings)


def update(cluster: Cluster, target: Target, body: Any, query: dict[str, str], raw_size: int | None = None) -> Reply:
    assert target.name is not None
    if target.subresource == "scale":
        return _scale_update(cluster, target, _check_identity(target, body, target.name))
    decoded = decode_typed(target, body)
    obj = _check_identity(target, decoded.obj if decoded else body, target.name)
    warnings = check_fields(target, obj, query, decoded.unknown if decoded else None)
    existing = cluster.store.try_get(target.kind.kind, target.namespace or "", target.name)
    if existing is None:
        raise not_found(target.kind.plural, target.name, target.kind.group)
    sub = target.subresource if target.subresource in ("status", "ephemeralcontainers") else None
    return Reply(200, cluster.store.update(obj, subresource=sub, dry_run=query.get("dryRun") == "All",
                                           check_size=raw_size is None or raw_size > SIZE_CHECK_FROM), warnings)


def patch(cluster: Cluster, target: Target, raw: bytes, content_type: str, query: dict[str, str]) -> Reply:
    assert target.name is not None
    ctype = content_type.split(";")[0].strip()
    if ctype not in PATCH_TYPES:
        raise UnsupportedMedia("the body of the request was in an unknown format - accepted media types include: "
                               + ", ".join(PATCH_TYPES))
    try:
        body = wire.parse_yaml(raw) if ctype.endswith("yaml") else wire.parse_json(raw or b"null")
    except wire.DecodeError as exc:
        raise BadRequest(f"error decoding patch: {exc}") from None
    ns = target.namespace or ""
    if target.subresource == "scale":
        live: Obj | None = scale_of(cluster, target)
    else:
        found = cluster.store.try_get(target.kind.kind, ns, target.name)
        if found is None and ctype != "application/apply-patch+yaml":
            raise not_found(target.kind.plural, target.name, target.kind.group)
        live = found
    if ctype == "application/apply-patch+yaml":
        manager = query.get("fieldManager")
        if not manager:
            raise BadRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
                             "apply patch")
        if not isinstance(body, dict):
            raise BadRequest("error decoding YAML: the applied configuration is not an object")
        decoded = decode_typed(target, body)
        unknown = decoded.unknown if decoded else None
        body = _check_identity(target, decoded.obj if decoded else body, target.name)
        check_fields(target, body, {"fieldValidation": query.get("fieldValidation", "Strict")}, unknown)
        result = _patched(lambda: patches.apply(live, body, manager, iso(cluster.now)))
        if live is None:
            return Reply(201, cluster.store.create(result, dry_run=query.get("dryRun") == "All", check_size=True))
    elif ctype == "application/json-patch+json":
        result = _patched(lambda: patches.json_patch(live or {}, body))
    elif ctype == "application/merge-patch+json":
        if not isinstance(body, dict):
            raise BadRequest("error decoding patch: the patch is not a JSON object")
        result = _patched(lambda: patches.merge_patch(live, body))
    else:
        if not isinstance(body, dict):
            raise BadRequest("error decoding patch: json: cannot unmarshal array into Go value of type "
                             "map[string]interface {}")
        result = _patched(lambda: patches.strategic_merge(live, body))
    if not isinstance(result, dict):
        raise BadRequest("the patch produced an object that is not a map")
    warnings: tuple[str, ...] = ()
    if target.subresource is None:
        decoded = _decode_patched(target, result, live)
        if decoded is not None:
            result = decoded.obj
        warnings = check_fields(target, result, query, decoded.unknown if decoded else None)
    if target.subresource == "scale":
        return _scale_update(cluster, target, result)
    assert live is not None
    md = result.setdefault("metadata", {}) if isinstance(result.get("metadata"), dict) else None
    if md is None:
        raise BadRequest("the patch removed the object's metadata")
    if md.get("resourceVersion") and md["resourceVersion"] != live["metadata"]["resourceVersion"]:
        raise conflict(target.kind.plural, target.name, target.kind.group)
    if md.get("name") != target.name or (target.kind.namespaced and md.get("namespace") != ns) or \
            md.get("uid") != live["metadata"]["uid"]:
        raise BadRequest("the patch changed the object's name, namespace or uid, which cannot change")
    md["resourceVersion"] = live["metadata"]["resourceVersion"]
    result["kind"], result["apiVersion"] = live["kind"], live["apiVersion"]
    sub = target.subresource if target.subresource in ("status", "ephemeralcontainers") else None
    # JSON patches can copy, and apply patches are YAML: only small merge patches of small objects skip the check.
    measure = len(raw) > SIZE_CHECK_FROM or ctype in ("application/json-patch+json", "application/apply-patch+yaml") \
        or cluster.store.size_of(target.kind.kind, ns, target.name) > SIZE_CHECK_FROM
    return Reply(200, cluster.store.update(result, subresource=sub, dry_run=query.get("dryRun") == "All",
                                           check_size=measure), warnings)


def _patched(apply: Callable[[], Any]) -> Any:
    """Apply a patch; one nested deeper than Python's stack allows is refused, not a 500."""
    try:
        return apply()
    except RecursionError:
        raise BadRequest("error decoding patch: nesting is deeper than the chaoskit simulator applies") from None


def _decode_patched(target: Target, result: dict[str, Any], live: Obj | None) -> typed.Decoded | None:
    """The patched document decoded into the kind: a wrong type is the patch handler's 422
    (``"" is invalid: patch: Invalid value: "<patched JSON>": <decoder error>``)."""
    if not typed.served(target.kind.kind):
        return None
    try:
        return typed.decode(target.kind.kind, result, live)
    except wire.DecodeError as exc:
        shown = json.dumps(json.dumps(result, separators=(",", ":")))
        cause = f"Invalid value: {shown}: {exc}"
        raise Invalid(f' "" is invalid: patch: {cause}',
                      {"causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "patch"}]}) from None


def delete(cluster: Cluster, target: Target, raw: bytes, query: dict[str, str]) -> Reply:
    assert target.name is not None
    options: dict[str, Any] = {}
    if raw.strip():
        try:
            options = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(f"couldn't get version/kind; json parse error: {exc}") from exc
        if not isinstance(options, dict):
            raise BadRequest("DeleteOptions must be an object")
    grace = options.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
    propagation = options.get("propagationPolicy", query.get("propagationPolicy"))
    if options.get("orphanDependents") is True:
        propagation = "Orphan"
    if propagation not in (None, "Orphan", "Background", "Foreground"):
        raise BadRequest(f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                         f'"{propagation}": supported values: "Foreground", "Background", "Orphan", "nil"')
    try:
        grace_value = int(grace) if grace is not None else None
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"invalid gracePeriodSeconds: {grace}") from exc
    uid = get_path(options, "preconditions.uid")
    kind, ns = target.kind.kind, target.namespace or ""
    if query.get("dryRun") == "All" or options.get("dryRun"):
        return Reply(200, cluster.store.get(kind, ns, target.name))
    result = cluster.store.delete(kind, ns, target.name, grace=grace_value, propagation=propagation, uid=uid)
    still_there = cluster.store.try_get(kind, ns, target.name) is not None
    if still_there:
        return Reply(202 if kind != "Namespace" else 200, result)
    if kind in ("Pod", "Namespace"):
        return Reply(200, result)
    return Reply(200, status_success(details={"name": target.name, "group": target.kind.group,
                                              "kind": target.kind.plural, "uid": result["metadata"]["uid"]}))


def delete_collection(cluster: Cluster, target: Target, raw: bytes, query: dict[str, str]) -> Reply:
    items, _, _, _ = list_objects(cluster, target, {k: v for k, v in query.items() if k not in ("limit",)})
    for obj in items:
        one = Target(target.kind, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        try:
            delete(cluster, one, raw, query)
        except NotFound:
            continue
    return Reply(200, {"kind": _list_kind(target.kind), "apiVersion": target.kind.api_version,
                       "metadata": {"resourceVersion": str(cluster.store.rv)}, "items": items})


# ---------------------------------------------------------------------------- scale


def scale_of(cluster: Cluster, target: Target) -> Obj:
    assert target.name is not None
    obj = cluster.store.get(target.kind.kind, target.namespace or "", target.name)
    md = obj["metadata"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
                         "resourceVersion": md["resourceVersion"], "creationTimestamp": md["creationTimestamp"]},
            "spec": {"replicas": int(get_path(obj, "spec.replicas", 0))},
            "status": {"replicas": int(get_path(obj, "status.replicas", 0) or 0),
                       "selector": format_selector(get_path(obj, "spec.selector")).replace("<none>", "")}}


def _scale_update(cluster: Cluster, target: Target, scale: Obj) -> Reply:
    assert target.name is not None
    replicas = get_path(scale, "spec.replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise BadRequest("Scale.autoscaling \"\" is invalid: spec.replicas: must be an integer")
    live = clone(cluster.store.get(target.kind.kind, target.namespace or "", target.name))
    wanted_rv = get_path(scale, "metadata.resourceVersion")
    if wanted_rv and wanted_rv != live["metadata"]["resourceVersion"]:
        raise conflict(target.kind.plural, target.name, target.kind.group)
    live["spec"]["replicas"] = replicas
    cluster.store.update(live)
    return Reply(200, scale_of(cluster, target))
