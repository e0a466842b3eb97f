"""A minimal OpenAPI v3 document: enough for kubectl apply/edit to validate against the server.

kubectl only needs each group-version path and, per kind, a schema carrying
``x-kubernetes-group-version-kind``; unknown fields are then checked server-side
(``fieldValidation=Strict``), see :mod:`chaoskit.sim.apiserver.fields`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chaoskit.sim.apiserver.paths import group_versions, kinds_of

_PKG = {"": "io.k8s.api.core", "apps": "io.k8s.api.apps", "batch": "io.k8s.api.batch",
        "discovery.k8s.io": "io.k8s.api.discovery", "coordination.k8s.io": "io.k8s.api.coordination",
        "networking.k8s.io": "io.k8s.api.networking"}


def _path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


_WRITE_PARAMS = [
    {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    for name in ("dryRun", "fieldManager", "fieldValidation", "pretty")
]


def _operations(prefix: str, kind: Any, gvk: dict[str, str]) -> dict[str, Any]:
    """Paths whose write operations carry the GVK and the fieldValidation parameter, which is what
    kubectl checks before it relies on server-side field validation."""
    base = f"/{prefix}/namespaces/{{namespace}}/{kind.plural}" if kind.namespaced else f"/{prefix}/{kind.plural}"
    ext = {"x-kubernetes-group-version-kind": gvk}
    item_ops = {verb: {"operationId": f"{verb}{kind.kind}", "parameters": _WRITE_PARAMS,
                       "x-kubernetes-action": verb, **ext, "responses": {"200": {"description": "OK"}}}
                for verb in ("put", "patch")}
    item_ops["get"] = {"operationId": f"read{kind.kind}", "x-kubernetes-action": "get", **ext,
                       "responses": {"200": {"description": "OK"}}}
    collection = {"post": {"operationId": f"create{kind.kind}", "parameters": _WRITE_PARAMS,
                           "x-kubernetes-action": "post", **ext, "responses": {"201": {"description": "Created"}}}}
    return {base: collection, f"{base}/{{name}}": item_ops}


def document(group: str, version: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for kind in kinds_of(group, version):
        paths.update(_operations(_path(group, version), kind, {"group": group, "kind": kind.kind,
                                                                "version": version}))
        schemas[f"{_PKG.get(group, 'io.k8s.api')}.{version}.{kind.kind}"] = {
            "type": "object",
            "description": f"{kind.kind} as served by the chaoskit simulator.",
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "metadata": {"type": "object"}, "spec": {"type": "object"},
                           "status": {"type": "object"}},
            "x-kubernetes-group-version-kind": [{"group": group, "kind": kind.kind, "version": version}],
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.37.1"},
            "paths": paths, "components": {"schemas": schemas}}


def index() -> dict[str, Any]:
    paths = {}
    for group, version in group_versions():
        body = json.dumps(document(group, version), sort_keys=True).encode()
        digest = hashlib.sha512(body).hexdigest().upper()[:128]
        paths[_path(group, version)] = {"serverRelativeURL": f"/openapi/v3/{_path(group, version)}?hash={digest}"}
    return {"paths": paths}


def lookup(path: str) -> dict[str, Any] | None:
    for group, version in group_versions():
        if _path(group, version) == path:
            return document(group, version)
    return None
