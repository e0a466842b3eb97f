"""The DaemonSet controller: one pod per eligible node, placed through the scheduler with a
``matchFields metadata.name`` node affinity, as since Kubernetes 1.12."""

from __future__ import annotations

from typing import Any

from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.controllers.deployment import template_hash
from chaoskit.sim.controllers.podutil import is_active, is_available, is_ready
from chaoskit.sim.controllers.replicaset import pod_from_template
from chaoskit.sim.controllers.taints import matches_node_selector, untolerated
from chaoskit.sim.objects import Obj, clone, controller_of, get_path

DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def _target_node(pod: Obj) -> str | None:
    if get_path(pod, "spec.nodeName"):
        return str(pod["spec"]["nodeName"])
    terms = get_path(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                          ".nodeSelectorTerms") or []
    for term in terms:
        for f in term.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("values"):
                return str(f["values"][0])
    return None


class DaemonSetController(Controller):
    name = "daemonset-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "DaemonSet" and etype != "DELETED":
            self.enqueue((obj["metadata"]["namespace"], obj["metadata"]["name"]))
        elif kind == "Node":
            for ds in self.store.list("DaemonSet"):
                self.enqueue((ds["metadata"]["namespace"], ds["metadata"]["name"]))
        elif kind == "Pod":
            ref = controller_of(obj)
            if ref and ref["kind"] == "DaemonSet":
                self.enqueue((obj["metadata"]["namespace"], ref["name"]))

    def _eligible(self, ds: Obj, node: Obj) -> bool:
        spec = ds["spec"]["template"]["spec"]
        tolerations = (spec.get("tolerations") or []) + DAEMON_TOLERATIONS
        return matches_node_selector(spec, node) and not untolerated(get_path(node, "spec.taints") or [], tolerations)

    def reconcile(self, key: Any) -> None:
        ns, name = key
        ds = self.store.try_get("DaemonSet", ns, name)
        if ds is None or "deletionTimestamp" in ds["metadata"]:
            return
        uid = ds["metadata"]["uid"]
        pods = [p for p in self.store.by_index("Pod", "owner", uid)
                if (controller_of(p) or {}).get("uid") == uid and is_active(p)]
        by_node: dict[str, list[Obj]] = {}
        for p in pods:
            by_node.setdefault(_target_node(p) or "", []).append(p)
        revision = template_hash(ds["spec"]["template"])
        nodes = self.store.list("Node")
        eligible = {n["metadata"]["name"] for n in nodes if self._eligible(ds, n)}
        for node in sorted(eligible):
            if not by_node.get(node):
                self._create(ds, node, revision)
        for node, node_pods in by_node.items():
            extra = node_pods if node not in eligible else node_pods[1:]
            for p in extra:
                self.store.delete("Pod", ns, p["metadata"]["name"])
                self.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {p['metadata']['name']}")
        self._status(ds, eligible)

    def _create(self, ds: Obj, node: str, revision: str) -> None:
        template = clone(ds["spec"]["template"])
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels["controller-revision-hash"] = revision
        labels["pod-template-generation"] = str(ds["metadata"].get("generation", 1))
        spec = template["spec"]
        tolerations = spec.setdefault("tolerations", [])
        for tol in DAEMON_TOLERATIONS:
            if tol not in tolerations:
                tolerations.append(dict(tol))
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
        self.create_pod(ds, pod_from_template(ds, template, f"{ds['metadata']['name']}-"))

    def _status(self, ds: Obj, eligible: set[str]) -> None:
        uid = ds["metadata"]["uid"]
        pods = [p for p in self.store.by_index("Pod", "owner", uid) if is_active(p)]
        scheduled = [p for p in pods if get_path(p, "spec.nodeName")]
        min_ready = float(get_path(ds, "spec.minReadySeconds", 0) or 0)
        revision = template_hash(ds["spec"]["template"])
        status = {
            "currentNumberScheduled": sum(1 for p in scheduled if p["spec"]["nodeName"] in eligible),
            "desiredNumberScheduled": len(eligible),
            "numberMisscheduled": sum(1 for p in scheduled if p["spec"]["nodeName"] not in eligible),
            "numberReady": sum(1 for p in scheduled if is_ready(p)),
            "numberAvailable": sum(1 for p in scheduled if is_available(p, min_ready, self.ctx.loop.now)),
            "updatedNumberScheduled": sum(1 for p in scheduled
                                          if p["metadata"].get("labels", {}).get("controller-revision-hash")
                                          == revision),
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        unavailable = status["desiredNumberScheduled"] - status["numberAvailable"]
        if unavailable > 0:
            status["numberUnavailable"] = unavailable
        if ds.get("status") != status:
            self.store.update_status({**ds, "status": status})
