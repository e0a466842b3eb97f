"""Pod facts several controllers need (readiness, availability, requests)."""

from __future__ import annotations

from chaoskit.kube import quantity
from chaoskit.kube.times import parse_iso
from chaoskit.sim.objects import Obj, condition, get_path


def is_active(pod: Obj) -> bool:
    """Counted by ReplicaSets: not terminating and not terminal."""
    return "deletionTimestamp" not in pod["metadata"] and \
        get_path(pod, "status.phase") not in ("Succeeded", "Failed")


def is_ready(pod: Obj) -> bool:
    cond = condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def ready_since(pod: Obj) -> float | None:
    cond = condition(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return None
    return parse_iso(cond["lastTransitionTime"])


def is_available(pod: Obj, min_ready: float, now: float) -> bool:
    since = ready_since(pod)
    return since is not None and (min_ready <= 0 or since + min_ready <= now)


def requests(pod: Obj) -> tuple[int, int]:
    """(millicores, bytes) the scheduler accounts for: sum over containers, max with init containers."""
    spec = pod.get("spec") or {}
    cpu = mem = 0
    for c in spec.get("containers") or []:
        req = get_path(c, "resources.requests") or {}
        cpu += quantity.millicores(req.get("cpu", 0))
        mem += quantity.bytes_of(req.get("memory", 0))
    for c in spec.get("initContainers") or []:
        req = get_path(c, "resources.requests") or {}
        cpu = max(cpu, quantity.millicores(req.get("cpu", 0)))
        mem = max(mem, quantity.bytes_of(req.get("memory", 0)))
    return cpu, mem
