"""Pod status as the kubelet computes it: phase (getPhase), conditions, containerStatuses."""

from __future__ import annotations

from typing import Any

from chaoskit.kube.times import iso
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime
from chaoskit.sim.objects import Obj, get_path


def go_duration(seconds: float) -> str:
    """Go's time.Duration String(), which kubelet's messages print with ``%v``: ``500ms``, ``1.5s``,
    ``2m40s``, ``5m0s`` (the CrashLoopBackOff cap), ``1h0m0s``; computed on whole nanoseconds as Go is."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return f"{sign}{_decimal(ns, size)}{unit}"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{_decimal(rest, 1_000_000_000)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    """``value / unit`` with the fraction's trailing zeros dropped, as Go's fmtFrac does."""
    whole, frac = divmod(value, unit)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def truncate_ms(seconds: float) -> float:
    """``Duration.Truncate(time.Millisecond)``: what kubelet does to a pull's durations before printing them."""
    return round(seconds * 1e9) // 1_000_000 / 1000


def container_status(c: ContainerRuntime, running_ok: bool = True) -> dict[str, Any]:
    st: dict[str, Any] = {"name": c.name, "image": c.image or c.spec.get("image", ""), "imageID": c.image_id,
                          "ready": bool(c.ready and c.state == "running" and running_ok),
                          "restartCount": c.restarts,
                          "started": bool(c.started and c.state == "running")}
    if c.container_id:
        st["containerID"] = c.container_id
    st["state"] = state_dict(c)
    st["lastState"] = {"terminated": dict(c.last)} if c.last else {}
    mounts = [{"name": m["name"], "mountPath": m["mountPath"],
               **({"readOnly": True, "recursiveReadOnly": "Disabled"} if m.get("readOnly") else {})}
              for m in c.spec.get("volumeMounts") or []]
    if mounts and c.container_id:
        st["volumeMounts"] = mounts
    resources = c.spec.get("resources") or {}
    if (resources.get("requests") or resources.get("limits")) and c.container_id:
        st["resources"] = {k: dict(v) for k, v in resources.items() if v}
        st["allocatedResources"] = dict(resources.get("requests") or {})
    return st


def state_dict(c: ContainerRuntime) -> dict[str, Any]:
    if c.state == "running":
        return {"running": {"startedAt": iso(c.started_at or 0)}}
    if c.state == "terminated":
        return {"terminated": terminated_dict(c)}
    waiting: dict[str, Any] = {"reason": c.reason}
    if c.message:
        waiting["message"] = c.message
    return {"waiting": waiting}


def terminated_dict(c: ContainerRuntime, reason: str | None = None, message: str = "") -> dict[str, Any]:
    term: dict[str, Any] = {"exitCode": c.exit_code, "reason": reason or c.reason,
                            "startedAt": iso(c.started_at or 0), "finishedAt": iso(c.finished_at or 0)}
    if c.container_id:
        term["containerID"] = c.container_id
    if message or c.message:
        term["message"] = message or c.message
    return term


def phase(rt: PodRuntime, restart_policy: str) -> str:
    """kubelet getPhase: a container waiting after a termination counts as stopped, not waiting."""
    if not rt.initialized():
        if restart_policy == "Never" and any(c.state == "terminated" and c.exit_code != 0 for c in rt.inits()):
            return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for c in rt.apps():
        if c.state == "running":
            running += 1
        elif c.state == "terminated":
            stopped += 1
            if c.exit_code == 0:
                succeeded += 1
        elif c.last is not None:
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if restart_policy == "Never" else "Running"
    return "Pending"


def _cond(ctype: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
    cond: dict[str, Any] = {"type": ctype, "status": "True" if ok else "False"}
    if not ok and reason:
        cond["reason"] = reason
    if not ok and message:
        cond["message"] = message
    return cond


def conditions(rt: PodRuntime, pod_phase: str) -> list[dict[str, Any]]:
    unready = [c.name for c in rt.apps() if not (c.ready and c.state == "running")]
    init_pending = [c.name for c in rt.inits() if not c.succeeded]
    terminal = pod_phase in ("Succeeded", "Failed")
    ready_reason = "PodCompleted" if terminal else "ContainersNotReady"
    ready_msg = "" if terminal else f"containers with unready status: [{' '.join(unready)}]"
    init_reason = "PodCompleted" if terminal and not init_pending else "ContainersNotInitialized"
    return [
        _cond("PodReadyToStartContainers", rt.sandbox_ready and not terminal),
        _cond("Initialized", not init_pending, init_reason,
              f"containers with incomplete status: [{' '.join(init_pending)}]" if init_pending else ""),
        _cond("Ready", not unready and not terminal, ready_reason, ready_msg),
        _cond("ContainersReady", not unready and not terminal, ready_reason, ready_msg),
    ]


def merge_conditions(old: list[dict[str, Any]], new: list[dict[str, Any]], now: float,
                     generation: int) -> list[dict[str, Any]]:
    """Keep lastTransitionTime unless the status flips; keep PodScheduled and others as they are."""
    by_type = {c["type"]: c for c in old}
    out = []
    for cond in new:
        prev = by_type.pop(cond["type"], None)
        merged = dict(cond)
        merged["lastProbeTime"] = None
        merged["lastTransitionTime"] = prev["lastTransitionTime"] if prev and prev.get("status") == cond["status"] \
            else iso(now)
        merged["observedGeneration"] = generation
        out.append(merged)
    out.extend(by_type.values())
    order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    out.sort(key=lambda c: order.index(c["type"]) if c["type"] in order else len(order))
    return out


def pod_status(pod: Obj, rt: PodRuntime, host_ip: str, now: float, qos: str) -> dict[str, Any]:
    policy = get_path(pod, "spec.restartPolicy", "Always")
    pod_phase = phase(rt, policy)
    generation = int(pod["metadata"].get("generation", 1))
    old = pod.get("status") or {}
    status: dict[str, Any] = {
        "phase": pod_phase,
        "conditions": merge_conditions(old.get("conditions") or [], conditions(rt, pod_phase), now, generation),
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": iso(rt.start_time),
        "qosClass": qos,
        "observedGeneration": generation,
    }
    if rt.ip:
        status["podIP"] = rt.ip
        status["podIPs"] = [{"ip": rt.ip}]
    if rt.init_order:
        status["initContainerStatuses"] = [container_status(c) for c in rt.inits()]
    status["containerStatuses"] = [container_status(c) for c in rt.apps()]
    if rt.ephemeral_order:
        status["ephemeralContainerStatuses"] = [container_status(c) for c in rt.ephemerals()]
    for keep in ("reason", "message", "nominatedNodeName"):
        if keep in old:
            status[keep] = old[keep]
    return status
