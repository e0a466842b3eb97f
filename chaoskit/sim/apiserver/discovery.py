"""Discovery documents, legacy and aggregated (apidiscovery.k8s.io/v2), built from the kind table."""

from __future__ import annotations

from typing import Any

from chaoskit.sim.apiserver.paths import group_versions, kinds_of
from chaoskit.sim.kinds import KindInfo

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

_SUB_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"], "log": ["get"],
              "eviction": ["create"], "binding": ["create"], "proxy": ["create", "delete", "get", "patch", "update"],
              "exec": ["create", "get"], "attach": ["create", "get"], "portforward": ["create", "get"],
              "ephemeralcontainers": ["get", "patch", "update"], "resize": ["get", "patch", "update"],
              "finalize": ["update"]}
_SUB_KIND = {"scale": ("autoscaling", "v1", "Scale"), "eviction": ("policy", "v1", "Eviction"),
             "binding": ("", "v1", "Binding"), "log": ("", "v1", "Pod"), "proxy": ("", "v1", "PodProxyOptions")}


def _verbs(kind: KindInfo) -> list[str]:
    return sorted(kind.verbs)


def resource_list(group: str, version: str) -> dict[str, Any]:
    gv = f"{group}/{version}" if group else version
    resources = []
    for kind in kinds_of(group, version):
        entry: dict[str, Any] = {"name": kind.plural, "singularName": kind.singular, "namespaced": kind.namespaced,
                                 "kind": kind.kind, "verbs": _verbs(kind)}
        if kind.short_names:
            entry["shortNames"] = list(kind.short_names)
        if kind.categories:
            entry["categories"] = list(kind.categories)
        resources.append(entry)
        for sub in kind.subresources:
            g, v, k = _SUB_KIND.get(sub, (kind.group, kind.version, kind.kind))
            sub_entry: dict[str, Any] = {"name": f"{kind.plural}/{sub}", "singularName": "",
                                         "namespaced": kind.namespaced, "kind": k,
                                         "verbs": _SUB_VERBS.get(sub, ["get"])}
            if g != kind.group or v != kind.version:
                sub_entry["group"], sub_entry["version"] = g, v
            resources.append(sub_entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def group_list() -> dict[str, Any]:
    groups = []
    for group, version in group_versions():
        if not group:
            continue
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(name: str) -> dict[str, Any] | None:
    for g, version in group_versions():
        if g == name and g:
            gv = {"groupVersion": f"{g}/{version}", "version": version}
            return {"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": [gv], "preferredVersion": gv}
    return None


def aggregated(legacy: bool) -> dict[str, Any]:
    """The APIGroupDiscoveryList for ``/api`` (legacy) or ``/apis``: one request answers all of discovery."""
    items = []
    for group_name, version in group_versions():
        if (group_name == "") != legacy:
            continue
        resources = []
        for kind in kinds_of(group_name, version):
            res: dict[str, Any] = {
                "resource": kind.plural,
                "responseKind": {"group": kind.group, "version": kind.version, "kind": kind.kind},
                "scope": "Namespaced" if kind.namespaced else "Cluster",
                "singularResource": kind.singular, "verbs": _verbs(kind),
            }
            if kind.short_names:
                res["shortNames"] = list(kind.short_names)
            if kind.categories:
                res["categories"] = list(kind.categories)
            subs = []
            for sub in kind.subresources:
                g, v, k = _SUB_KIND.get(sub, (kind.group, kind.version, kind.kind))
                subs.append({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": k},
                             "verbs": _SUB_VERBS.get(sub, ["get"])})
            if subs:
                res["subresources"] = subs
            resources.append(res)
        items.append({"metadata": {"name": group_name, "creationTimestamp": None},
                      "versions": [{"version": version, "resources": resources, "freshness": "Current"}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
