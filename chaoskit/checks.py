"""Remediation and baseline checks: predicates over cluster state, read through the API.

A check with ``hold`` must pass at every look over that window (simulator time), so a pod that
is briefly Running between crashes does not count as fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaoskit.cluster import Kube, KubeError
from chaoskit.scenario.model import Check


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


@dataclass
class Memory:
    """What a check remembers between looks within one hold window (restart counts)."""

    restarts: dict[str, int] = field(default_factory=dict)


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


def evaluate(kube: Kube, namespace: str, check: Check, memory: Memory | None = None) -> CheckResult:
    args = check.args
    try:
        return _CHECKS[check.check](kube, namespace, args, memory or Memory())
    except KubeError as err:
        return CheckResult(False, f"{check.check}: {err}")


def _deployment_available(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    want = int(dep["spec"].get("replicas", 1))
    st = dep.get("status") or {}
    minimum = int(args.get("count", want))
    ok = want >= max(1, minimum) and int(st.get("availableReplicas", 0)) >= want and \
        int(st.get("updatedReplicas", 0)) == want and int(st.get("replicas", 0)) == want
    return CheckResult(ok, f"deployment {args['name']}: {st.get('availableReplicas', 0)}/{want} available, "
                           f"{st.get('updatedReplicas', 0)} updated")


def _pods_ready(kube: Kube, ns: str, args: dict[str, Any], memory: Memory) -> CheckResult:
    pods = [p for p in kube.items("Pod", ns, args.get("selector")) if "deletionTimestamp" not in p["metadata"]]
    ready = [p for p in pods if _ready(p)]
    count = int(args.get("count", 1))
    return CheckResult(len(ready) >= count, f"{len(ready)}/{len(pods)} pods ready ({args.get('selector')}), "
                                            f"want {count}")


def _no_restarts(kube: Kube, ns: str, args: dict[str, Any], memory: Memory) -> CheckResult:
    pods = [p for p in kube.items("Pod", ns, args.get("selector")) if "deletionTimestamp" not in p["metadata"]]
    moved = []
    for p in pods:
        for cs in p.get("status", {}).get("containerStatuses") or []:
            key = f"{p['metadata']['name']}/{cs['name']}"
            seen = memory.restarts.setdefault(key, int(cs.get("restartCount", 0)))
            if int(cs.get("restartCount", 0)) != seen or (cs.get("state", {}).get("waiting") or {}).get("reason"):
                moved.append(key)
    return CheckResult(bool(pods) and not moved, "containers restarting: " + ", ".join(moved) if moved
                       else f"{len(pods)} pods without restarts")


def _service_endpoints(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    ep = kube.try_get("Endpoints", ns, args["service"])
    ready = [a for s in (ep or {}).get("subsets") or [] for a in s.get("addresses") or []]
    count = int(args.get("count", 1))
    return CheckResult(len(ready) >= count, f"service {args['service']}: {len(ready)} ready endpoints, want {count}")


def _http(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    status, _body = kube.proxy_get(ns, args["service"], int(args.get("port", 80)), args.get("path", "/"))
    want = int(args.get("status", 200))
    return CheckResult(status == want, f"GET {args['service']}:{args.get('port', 80)}{args.get('path', '/')} "
                                       f"-> {status}, want {want}")


def _workers(kube: Kube) -> list[dict[str, Any]]:
    return [n for n in kube.items("Node")
            if "node-role.kubernetes.io/control-plane" not in (n["metadata"].get("labels") or {})]


def _node_ready(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    nodes = [kube.get("Node", None, args["name"])] if args.get("name") else kube.items("Node")
    bad = [n["metadata"]["name"] for n in nodes if not any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in n.get("status", {}).get("conditions") or [])]
    return CheckResult(not bad, "not ready: " + ", ".join(bad) if bad else "all nodes ready")


def _node_schedulable(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    good = [n["metadata"]["name"] for n in _workers(kube) if not n["spec"].get("unschedulable") and not any(
        t.get("effect") in ("NoSchedule", "NoExecute") for t in n["spec"].get("taints") or [])]
    count = int(args.get("count", 1))
    return CheckResult(len(good) >= count, f"{len(good)} schedulable workers, want {count}")


_CHECKS = {
    "deployment-available": _deployment_available, "pods-ready": _pods_ready, "no-restarts": _no_restarts,
    "service-endpoints": _service_endpoints, "http": _http, "node-ready": _node_ready,
    "node-schedulable": _node_schedulable,
}
CHECK_TYPES = frozenset(_CHECKS)
