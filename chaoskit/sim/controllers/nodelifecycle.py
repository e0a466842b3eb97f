"""Node lifecycle and taint-based eviction.

When a node's kubelet stops renewing its Lease, after the grace period its conditions turn
Unknown ("Kubelet stopped posting node status."), it gets the unreachable NoSchedule and
NoExecute taints, and its pods are marked not ready. The taint eviction controller then
deletes pods that do not tolerate a NoExecute taint, after their tolerationSeconds.
"""

from __future__ import annotations

from typing import Any

from chaoskit.kube.times import iso, parse_iso
from chaoskit.sim.controllers.base import Controller, Ctx
from chaoskit.sim.controllers.taints import tolerates
from chaoskit.sim.objects import Obj, clone, get_path, set_condition

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
STOPPED = "Kubelet stopped posting node status."


class NodeLifecycleController(Controller):
    name = "node-controller"

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._tick()

    def _tick(self) -> None:
        self.enqueue("monitor")
        self.ctx.loop.call_later(self.ctx.timings.node_monitor_period, self._tick)

    def reconcile(self, key: Any) -> None:
        now = self.ctx.loop.now
        for node in self.store.list("Node"):
            name = node["metadata"]["name"]
            lease = self.store.try_get("Lease", "kube-node-lease", name)
            renewed = parse_iso(lease["spec"]["renewTime"].split(".")[0] + "Z") if lease else None
            ready = next((c for c in get_path(node, "status.conditions", []) or [] if c["type"] == "Ready"), None)
            if ready is None:
                continue
            stale = renewed is None or now - renewed > self.ctx.timings.node_monitor_grace
            if stale and ready["status"] != "Unknown":
                self._mark_unknown(node)
            elif not stale:
                self._sync_taints(node, ready["status"])

    def _mark_unknown(self, node: Obj) -> None:
        new = clone(node)
        now = self.ctx.now_iso()
        for cond in new["status"]["conditions"]:
            cond.update({"status": "Unknown", "reason": "NodeStatusUnknown", "message": STOPPED,
                         "lastTransitionTime": now})
        updated = self.store.update_status(new)
        self.ctx.recorder.event(updated, "Normal", "NodeNotReady",
                                f"Node {node['metadata']['name']} status is now: NodeNotReady", self.name)
        self._sync_taints(updated, "Unknown")
        for pod in self.store.by_index("Pod", "node", node["metadata"]["name"]):
            self._mark_pod_not_ready(pod)

    def _mark_pod_not_ready(self, pod: Obj) -> None:
        if get_path(pod, "status.phase") in ("Succeeded", "Failed"):
            return
        new = clone(pod)
        status = new.setdefault("status", {})
        set_condition(status, {"type": "Ready", "status": "False"}, self.ctx.now_iso(), probe_times=True)
        for cs in status.get("containerStatuses") or []:
            cs["ready"] = False
        if new != pod:
            self.store.update_status(new)
            self.ctx.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready", self.name)

    def _sync_taints(self, node: Obj, ready: str) -> None:
        want: list[dict[str, Any]] = []
        if ready == "Unknown":
            want = [{"key": UNREACHABLE, "effect": "NoSchedule"}, {"key": UNREACHABLE, "effect": "NoExecute"}]
        elif ready == "False":
            want = [{"key": NOT_READY, "effect": "NoSchedule"}, {"key": NOT_READY, "effect": "NoExecute"}]
        taints = get_path(node, "spec.taints") or []
        keep = [t for t in taints if t.get("key") not in (UNREACHABLE, NOT_READY)]
        managed = [t for t in taints if t.get("key") in (UNREACHABLE, NOT_READY)]
        if [(t["key"], t["effect"]) for t in managed] == [(t["key"], t["effect"]) for t in want]:
            return
        for t in want:
            if t["effect"] == "NoExecute":
                t["timeAdded"] = self.ctx.now_iso()
        new = clone(node)
        new.setdefault("spec", {})["taints"] = keep + want
        if not new["spec"]["taints"]:
            del new["spec"]["taints"]
        self.store.update(new)


class TaintEvictionController(Controller):
    name = "taint-eviction-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Node" and etype != "DELETED":
            if old is None or get_path(old, "spec.taints") != get_path(obj, "spec.taints"):
                for pod in self.store.by_index("Pod", "node", obj["metadata"]["name"]):
                    self.enqueue((pod["metadata"]["namespace"], pod["metadata"]["name"]))
        elif kind == "Pod" and etype != "DELETED" and get_path(obj, "spec.nodeName") and \
                (old is None or not get_path(old, "spec.nodeName")):
            self.enqueue((obj["metadata"]["namespace"], obj["metadata"]["name"]))

    def reconcile(self, key: Any) -> None:
        ns, name = key
        pod = self.store.try_get("Pod", ns, name)
        if pod is None or "deletionTimestamp" in pod["metadata"] or not get_path(pod, "spec.nodeName"):
            return
        node = self.store.try_get("Node", "", pod["spec"]["nodeName"])
        if node is None:
            return
        taints = [t for t in get_path(node, "spec.taints") or [] if t.get("effect") == "NoExecute"]
        if not taints:
            return
        tolerations = get_path(pod, "spec.tolerations") or []
        evict_at = None
        now = self.ctx.loop.now
        for taint in taints:
            matching = [t for t in tolerations if tolerates(t, taint)]
            if not matching:
                evict_at = now
                break
            seconds = [t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None]
            if seconds:
                added = parse_iso(taint["timeAdded"]) if taint.get("timeAdded") else now
                at = added + max(0, min(seconds))
                evict_at = at if evict_at is None else min(evict_at, at)
        if evict_at is None:
            return
        if evict_at > now:
            self.enqueue_later(evict_at - now, key)
            return
        self.ctx.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}",
                                self.name)
        new = clone(pod)
        set_condition(new.setdefault("status", {}), {
            "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint"}, iso(now), probe_times=True)
        self.store.update_status(new)
        self.store.delete("Pod", ns, name)
