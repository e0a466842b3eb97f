"""The Endpoints and EndpointSlice controllers: which pods a Service sends traffic to.

Ready pods go to ``addresses``, the rest to ``notReadyAddresses``; terminating, terminal
and IP-less pods are left out. kubectl 1.31+ ``describe service`` reads the slices.
"""

from __future__ import annotations

from typing import Any

from chaoskit.sim.controllers.base import Controller, Ctx
from chaoskit.sim.controllers.podutil import is_ready
from chaoskit.sim.objects import Obj, clone, get_path, owner_ref
from chaoskit.sim.selectors import from_map

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


def resolve_target_port(svc_port: dict[str, Any], pod: Obj) -> int | None:
    """A numeric targetPort as is; a named one looked up in the pod's container ports."""
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in get_path(pod, "spec.containers", []) or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == svc_port.get("protocol", "TCP"):
                return int(p["containerPort"])
    return None


def _address(pod: Obj) -> dict[str, Any]:
    md = pod["metadata"]
    addr: dict[str, Any] = {"ip": get_path(pod, "status.podIP")}
    if get_path(pod, "spec.nodeName"):
        addr["nodeName"] = pod["spec"]["nodeName"]
    addr["targetRef"] = {"kind": "Pod", "namespace": md["namespace"], "name": md["name"], "uid": md["uid"]}
    return addr


class EndpointsController(Controller):
    name = "endpoint-controller"

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        ctx.store.add_index("EndpointSlice", "service", lambda s: [
            f"{s['metadata'].get('namespace')}/{(s['metadata'].get('labels') or {}).get(SERVICE_NAME_LABEL, '')}"])

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        ns = obj["metadata"].get("namespace", "")
        if kind == "Service":
            self.enqueue((ns, obj["metadata"]["name"]))
        elif kind == "Pod":
            if old is not None and _endpoint_view(old) == _endpoint_view(obj) and etype == "MODIFIED":
                return
            labels = [obj["metadata"].get("labels") or {}]
            if old is not None:
                labels.append(old["metadata"].get("labels") or {})
            for svc in self.store.list("Service", ns):
                selector = svc["spec"].get("selector")
                if selector and any(from_map(selector).matches(lbl) for lbl in labels):
                    self.enqueue((ns, svc["metadata"]["name"]))

    def selected_pods(self, svc: Obj) -> list[Obj]:
        selector = svc["spec"].get("selector") or {}
        ns = svc["metadata"]["namespace"]
        first = sorted(selector.items())[0]
        candidates = self.store.by_index("Pod", "labels", f"{ns}/{first[0]}={first[1]}")
        sel = from_map(selector)
        return [p for p in candidates if sel.matches(p["metadata"].get("labels"))]

    def reconcile(self, key: Any) -> None:
        ns, name = key
        svc = self.store.try_get("Service", ns, name)
        if svc is None or "deletionTimestamp" in svc["metadata"]:
            if self.store.try_get("Endpoints", ns, name) is not None and \
                    self.store.try_get("Service", ns, name) is None:
                self.store.delete("Endpoints", ns, name)
            return
        if not svc["spec"].get("selector"):
            return
        pods = [p for p in self.selected_pods(svc) if get_path(p, "status.podIP")
                and "deletionTimestamp" not in p["metadata"]
                and get_path(p, "status.phase") not in ("Succeeded", "Failed")]
        self._sync_endpoints(svc, pods)
        self._sync_slice(svc, pods)

    def _sync_endpoints(self, svc: Obj, pods: list[Obj]) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        groups: dict[tuple[tuple[str, int, str], ...], dict[str, list[Any]]] = {}
        for pod in pods:
            ports: list[tuple[str, int, str]] = []
            for sp in svc["spec"].get("ports") or []:
                port = resolve_target_port(sp, pod)
                if port is not None:
                    ports.append((sp.get("name", ""), port, sp.get("protocol", "TCP")))
            if not ports:
                continue
            group = groups.setdefault(tuple(ports), {"addresses": [], "notReadyAddresses": []})
            group["addresses" if is_ready(pod) else "notReadyAddresses"].append(_address(pod))
        subsets = []
        for port_key, group in groups.items():
            subset: dict[str, Any] = {}
            for field in ("addresses", "notReadyAddresses"):
                if group[field]:
                    subset[field] = sorted(group[field], key=lambda a: (a["ip"], a["targetRef"]["name"]))
            subset["ports"] = [{k: v for k, v in (("name", n), ("port", p), ("protocol", pr)) if v != ""}
                               for n, p, pr in port_key]
            subsets.append(subset)
        desired: Obj = {"apiVersion": "v1", "kind": "Endpoints",
                        "metadata": {"name": name, "namespace": ns}}
        if svc["metadata"].get("labels"):
            desired["metadata"]["labels"] = dict(svc["metadata"]["labels"])
        if subsets:
            desired["subsets"] = subsets
        current = self.store.try_get("Endpoints", ns, name)
        if current is None:
            self.store.create(desired)
        elif current.get("subsets") != desired.get("subsets") or \
                current["metadata"].get("labels") != desired["metadata"].get("labels"):
            new = clone(current)
            new.pop("subsets", None)
            if "subsets" in desired:
                new["subsets"] = desired["subsets"]
            if "labels" in desired["metadata"]:
                new["metadata"]["labels"] = desired["metadata"]["labels"]
            self.store.update(new)

    def _sync_slice(self, svc: Obj, pods: list[Obj]) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        endpoints = []
        ports: list[dict[str, Any]] = []
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            resolved = []
            for sp in svc["spec"].get("ports") or []:
                port = resolve_target_port(sp, pod)
                if port is not None:
                    resolved.append({"name": sp.get("name", ""), "port": port, "protocol": sp.get("protocol", "TCP")})
            if not resolved:
                continue
            ports = ports or resolved
            ready = is_ready(pod)
            ep: dict[str, Any] = {
                "addresses": [get_path(pod, "status.podIP")],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "targetRef": {"kind": "Pod", "namespace": ns, "name": pod["metadata"]["name"],
                              "uid": pod["metadata"]["uid"]},
            }
            if get_path(pod, "spec.nodeName"):
                ep["nodeName"] = pod["spec"]["nodeName"]
            endpoints.append(ep)
        labels = dict(svc["metadata"].get("labels") or {})
        labels.update({SERVICE_NAME_LABEL: name, MANAGED_BY: "endpointslice-controller.k8s.io"})
        existing = self.store.by_index("EndpointSlice", "service", f"{ns}/{name}")
        if not existing:
            self.store.create({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": f"{name}-", "namespace": ns, "labels": labels,
                             "ownerReferences": [owner_ref(svc)]},
                "addressType": "IPv4", "endpoints": endpoints or None, "ports": ports or None,
            })
            return
        current = existing[0]
        if current.get("endpoints") != (endpoints or None) or current.get("ports") != (ports or None):
            new = clone(current)
            new["endpoints"] = endpoints or None
            new["ports"] = ports or None
            self.store.update(new)


def _endpoint_view(pod: Obj) -> tuple[Any, ...]:
    """The parts of a pod the endpoints depend on; other changes need no resync."""
    return (get_path(pod, "status.podIP"), is_ready(pod), "deletionTimestamp" in pod["metadata"],
            get_path(pod, "status.phase"), pod["metadata"].get("labels"), get_path(pod, "spec.nodeName"))
