"""kube-scheduler: filter nodes, score them, bind, and explain failures exactly.

The FailedScheduling message is assembled as the framework's FitError does: each node's first
failing filter gives one reason (NodeResourcesFit may give several), counted, the
"N reason" strings sorted, then the preemption summary.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaoskit.kube import quantity
from chaoskit.sim.controllers.base import Controller, Ctx
from chaoskit.sim.controllers.podutil import requests
from chaoskit.sim.controllers.taints import matches_node_selector, untolerated
from chaoskit.sim.objects import Obj, clone, controller_of, get_path, set_condition

UNRESOLVABLE = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


@dataclass
class NodeInfo:
    name: str
    node: Obj
    cpu: int
    mem: int
    pods_max: int
    used_cpu: int = 0
    used_mem: int = 0
    pods: int = 0
    owners: Counter[str] = field(default_factory=Counter)


class Scheduler(Controller):
    name = "default-scheduler"

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.nodes: dict[str, NodeInfo] = {}
        self.accounted: dict[tuple[str, str], tuple[str, int, int, str]] = {}
        self.unschedulable: set[tuple[str, str]] = set()
        self._start = 0
        # Node-level filter results depend only on the pod's scheduling constraints and the
        # node's spec, so pods of one workload share them until a node changes.
        self._static: dict[str, tuple[list[str], Counter[str]]] = {}

    # ------------------------------------------------------------------ cache

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Node":
            relevant = old is None or etype == "DELETED" or old.get("spec") != obj.get("spec") or \
                old["metadata"].get("labels") != obj["metadata"].get("labels") or \
                get_path(old, "status.allocatable") != get_path(obj, "status.allocatable")
            self._node_changed(obj, etype, relevant)
            if relevant:
                self._retry_unschedulable()
        elif kind == "Pod":
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            self._account(key, obj, etype)
            if etype != "DELETED" and not get_path(obj, "spec.nodeName") and \
                    get_path(obj, "spec.schedulerName", "default-scheduler") == "default-scheduler" and \
                    "deletionTimestamp" not in obj["metadata"] and key not in self.unschedulable:
                self.enqueue(key)

    def _node_changed(self, node: Obj, etype: str, relevant: bool) -> None:
        if relevant:
            self._static.clear()
        name = node["metadata"]["name"]
        if etype == "DELETED":
            self.nodes.pop(name, None)
            return
        alloc = get_path(node, "status.allocatable") or {}
        info = self.nodes.get(name)
        cpu = quantity.millicores(alloc.get("cpu", 0))
        mem = quantity.bytes_of(alloc.get("memory", 0))
        pods_max = int(quantity.parse(alloc.get("pods", 110)))
        if info is None:
            self.nodes[name] = NodeInfo(name, node, cpu, mem, pods_max)
        else:
            info.node, info.cpu, info.mem, info.pods_max = node, cpu, mem, pods_max

    def _account(self, key: tuple[str, str], pod: Obj, etype: str) -> None:
        node_name = get_path(pod, "spec.nodeName")
        terminal = get_path(pod, "status.phase") in ("Succeeded", "Failed")
        prev = self.accounted.pop(key, None)
        if prev is not None:
            info = self.nodes.get(prev[0])
            if info is not None:
                info.used_cpu -= prev[1]
                info.used_mem -= prev[2]
                info.pods -= 1
                info.owners[prev[3]] -= 1
            if etype == "DELETED" or terminal:
                self._retry_unschedulable()
        if etype == "DELETED" or not node_name or terminal:
            return
        cpu, mem = requests(pod)
        owner = (controller_of(pod) or {}).get("uid", "")
        self.accounted[key] = (node_name, cpu, mem, owner)
        info = self.nodes.get(node_name)
        if info is not None:
            info.used_cpu += cpu
            info.used_mem += mem
            info.pods += 1
            info.owners[owner] += 1

    def _retry_unschedulable(self) -> None:
        if not self.unschedulable:
            return
        waiting, self.unschedulable = self.unschedulable, set()
        for key in sorted(waiting):
            self.enqueue_later(self.ctx.timings.scheduler_retry, key)

    # ------------------------------------------------------------------ filter

    def _static_reason(self, spec: dict[str, Any], node: Obj) -> str | None:
        tolerations = spec.get("tolerations") or []
        if get_path(node, "spec.unschedulable"):
            taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
            if untolerated([taint], tolerations):
                return "node(s) were unschedulable"
        if untolerated(get_path(node, "spec.taints") or [], tolerations):
            return "node(s) had untolerated taint(s)"
        if not matches_node_selector(spec, node):
            return "node(s) didn't match Pod's node affinity/selector"
        return None

    def _static_view(self, spec: dict[str, Any]) -> tuple[list[str], Counter[str]]:
        """Nodes passing the node-level filters for these constraints, and why the others fail.

        Shared by every pod with the same tolerations, nodeSelector and affinity until a node changes.
        """
        signature = json.dumps([spec.get("tolerations"), spec.get("nodeSelector"), spec.get("affinity")],
                               sort_keys=True)
        view = self._static.get(signature)
        if view is None:
            pinned = _pinned_nodes(spec)
            ok: list[str] = []
            failures: Counter[str] = Counter()
            for name in sorted(self.nodes):
                if pinned is not None and name not in pinned:
                    # NodeAffinity's PreFilter narrows matchFields pods to their node(s).
                    reason: str | None = "node(s) didn't match Pod's node affinity/selector"
                else:
                    reason = self._static_reason(spec, self.nodes[name].node)
                if reason is None:
                    ok.append(name)
                else:
                    failures[reason] += 1
            view = self._static[signature] = (ok, failures)
        return view

    @staticmethod
    def _fit(cpu: int, mem: int, info: NodeInfo) -> list[str]:
        """NodeResourcesFit: every resource that does not fit is a reason."""
        reasons = []
        if info.pods + 1 > info.pods_max:
            reasons.append("Too many pods")
        if cpu and info.used_cpu + cpu > info.cpu:
            reasons.append("Insufficient cpu")
        if mem and info.used_mem + mem > info.mem:
            reasons.append("Insufficient memory")
        return reasons

    def _to_find(self, n: int) -> int:
        """percentageOfNodesToScore's adaptive default: all nodes up to 100, then a share."""
        if n < 100:
            return n
        pct = max(5, 50 - n // 125)
        return max(100, n * pct // 100)

    # ------------------------------------------------------------------ schedule one pod

    def reconcile(self, key: Any) -> None:
        ns, name = key
        pod = self.store.try_get("Pod", ns, name)
        if pod is None or get_path(pod, "spec.nodeName") or "deletionTimestamp" in pod["metadata"]:
            return
        cpu, mem = requests(pod)
        ok, static_failures = self._static_view(pod["spec"])
        total = len(self.nodes)
        failures: Counter[str] = Counter(static_failures)
        unresolvable = sum(static_failures.values())
        feasible: list[NodeInfo] = []
        want = self._to_find(total)
        start = self._start % len(ok) if ok else 0
        for i in range(len(ok)):
            info = self.nodes[ok[(start + i) % len(ok)]]
            reasons = self._fit(cpu, mem, info)
            if reasons:
                failures.update(reasons)
                continue
            feasible.append(info)
            if len(feasible) >= want:
                break
        self._start += 1
        if not feasible:
            self._fail(pod, total, failures, unresolvable)
            return
        # Score: LeastAllocated plus a spread term for pods of one owner (default topology spread).
        owner = (controller_of(pod) or {}).get("uid", "")
        cpu_req, mem_req = cpu or 100, mem or 200 * 2**20
        scores = [round(-n.owners.get(owner, 0) * 100 * bool(owner)
                        + ((n.cpu - n.used_cpu - cpu_req) / n.cpu if n.cpu else 0) * 50
                        + ((n.mem - n.used_mem - mem_req) / n.mem if n.mem else 0) * 50, 6) for n in feasible]
        top = max(scores)
        best = [n for n, s in zip(feasible, scores, strict=True) if s == top]
        # Equal scores: the real scheduler picks one at random; ours is seeded.
        self._bind(pod, best[self.ctx.ids.rng.randrange(len(best))].name if len(best) > 1 else best[0].name)


    def _fail(self, pod: Obj, total: int, failures: Counter[str], unresolvable: int) -> None:
        parts = sorted(f"{count} {reason}" for reason, count in failures.items())
        resolvable = total - unresolvable
        pre = []
        if unresolvable:
            pre.append(f"{unresolvable} {UNRESOLVABLE}")
        if resolvable:
            pre.append(f"{resolvable} {NO_VICTIMS}")
        message = f"0/{total} nodes are available: " + ", ".join(parts) + ". no new claims to deallocate, " \
            f"preemption: 0/{total} nodes are available: " + ", ".join(sorted(pre)) + "."
        if not total:
            message = "no nodes available to schedule pods"
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        self.unschedulable.add(key)
        self.enqueue_later(self.ctx.timings.unschedulable_flush, key)
        # Only the status is written (the status subresource), so only it is copied: a pod's
        # spec can be large and thousands of pods fail at once on a full cluster.
        status = clone(pod.get("status") or {})
        set_condition(status, {
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
        }, self.ctx.now_iso(), probe_times=True)
        status.setdefault("phase", "Pending")
        if status != pod.get("status"):
            self.store.update_status({**pod, "status": status})
        self.event(pod, "Warning", "FailedScheduling", message)

    def _bind(self, pod: Obj, node: str) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        self.unschedulable.discard((ns, name))
        new = clone(pod)
        new["spec"]["nodeName"] = node
        # The binding subresource sets nodeName and the PodScheduled condition in one write.
        set_condition(new.setdefault("status", {}), {"type": "PodScheduled", "status": "True"},
                      self.ctx.now_iso(), probe_times=True)
        for cond in new["status"]["conditions"]:
            if cond["type"] == "PodScheduled":
                cond.pop("reason", None)
                cond.pop("message", None)
        bound = self.store.update(new, subresource="binding")
        self.event(bound, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}")


def _pinned_nodes(spec: dict[str, Any]) -> set[str] | None:
    """Node names a pod is limited to by ``matchFields metadata.name In [...]`` in every term."""
    terms = get_path(spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
    if not terms:
        return None
    names: set[str] = set()
    for term in terms:
        fields = [f for f in term.get("matchFields") or []
                  if f.get("key") == "metadata.name" and f.get("operator") == "In"]
        if not fields:
            return None
        names.update(fields[0].get("values") or [])
    return names
