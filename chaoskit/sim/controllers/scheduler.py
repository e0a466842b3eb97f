"""kube-scheduler: filter nodes, score them, bind, and explain failures exactly.

The FailedScheduling message is assembled as the framework's FitError does: each node's first
failing filter gives one reason (NodeResourcesFit may give several), counted, the
"N reason" strings sorted, then the preemption summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaoskit.sim import quantity
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

    # ------------------------------------------------------------------ cache

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Node":
            self._node_changed(obj, etype)
            self._retry_unschedulable()
        elif kind == "Pod":
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            self._account(key, obj, etype)
            if etype != "DELETED" and not get_path(obj, "spec.nodeName") and \
                    get_path(obj, "spec.schedulerName", "default-scheduler") == "default-scheduler" and \
                    "deletionTimestamp" not in obj["metadata"] and key not in self.unschedulable:
                self.enqueue(key)

    def _node_changed(self, node: Obj, etype: str) -> None:
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

    def _filter(self, pod: Obj, cpu: int, mem: int, info: NodeInfo) -> list[str]:
        """Reasons this node does not fit, in filter-plugin order (first failing plugin wins)."""
        spec = pod["spec"]
        node = info.node
        tolerations = spec.get("tolerations") or []
        if get_path(node, "spec.unschedulable"):
            taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
            if untolerated([taint], tolerations):
                return ["node(s) were unschedulable"]
        if untolerated(get_path(node, "spec.taints") or [], tolerations):
            return ["node(s) had untolerated taint(s)"]
        if not matches_node_selector(spec, node):
            return ["node(s) didn't match Pod's node affinity/selector"]
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
        names = sorted(self.nodes)
        feasible: list[NodeInfo] = []
        failures: Counter[str] = Counter()
        unresolvable = 0
        want = self._to_find(len(names))
        for i in range(len(names)):
            info = self.nodes[names[(self._start + i) % len(names)]]
            reasons = self._filter(pod, cpu, mem, info)
            if reasons:
                for r in reasons:
                    failures[r] += 1
                if not any(r.startswith("Insufficient") or r == "Too many pods" for r in reasons):
                    unresolvable += 1
                continue
            feasible.append(info)
            if len(feasible) >= want:
                break
        if names:
            self._start = (self._start + 1) % len(names)
        if not feasible:
            self._fail(pod, len(names), failures, unresolvable)
            return
        best = max(feasible, key=lambda n: (self._score(pod, cpu, mem, n), self.ctx.ids.rng.random()))
        self._bind(pod, best.name)

    def _score(self, pod: Obj, cpu: int, mem: int, info: NodeInfo) -> float:
        """LeastAllocated plus a spread term for pods of the same owner (default topology spread)."""
        cpu_req = cpu or 100
        mem_req = mem or 200 * 2**20
        free_cpu = (info.cpu - info.used_cpu - cpu_req) / info.cpu if info.cpu else 0
        free_mem = (info.mem - info.used_mem - mem_req) / info.mem if info.mem else 0
        owner = (controller_of(pod) or {}).get("uid", "")
        spread = -info.owners.get(owner, 0) if owner else 0
        return spread * 100 + (free_cpu + free_mem) * 50

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
        new = clone(pod)
        set_condition(new.setdefault("status", {}), {
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
        }, self.ctx.now_iso(), probe_times=True)
        new["status"].setdefault("phase", "Pending")
        if new != pod:
            self.store.update_status(new)
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
