"""pods/log, pods/eviction, pods/binding and the services/pods proxy, answered from the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chaoskit.kube.status import BadRequest, NotFound, ServiceUnavailable, not_found
from chaoskit.sim.apiserver.paths import Target
from chaoskit.sim.apiserver.resources import Reply, status_success
from chaoskit.sim.cluster import Cluster
from chaoskit.sim.controllers.endpoints import resolve_target_port
from chaoskit.sim.objects import Obj, clone, get_path


def rfc3339_nano(t: float) -> str:
    whole = datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{t % 1:.9f}"[2:].rstrip("0")
    return f"{whole}.{frac}Z" if frac else f"{whole}Z"


# ---------------------------------------------------------------------------- logs


def log_container(pod: Obj, container: str | None) -> str:
    names = [c["name"] for c in get_path(pod, "spec.containers", []) or []]
    inits = [c["name"] for c in (get_path(pod, "spec.initContainers", []) or [])
             + (get_path(pod, "spec.ephemeralContainers", []) or [])]
    name = pod["metadata"]["name"]
    if not container:
        if len(names) == 1:
            return names[0]
        raise BadRequest(f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
                         + (f" or one of the init containers: [{' '.join(inits)}]" if inits else ""))
    if container not in names + inits:
        raise BadRequest(f"container {container} is not valid for pod {name}")
    return container


def log_lines(cluster: Cluster, pod: Obj, container: str, previous: bool) -> list[tuple[float, str]]:
    name = pod["metadata"]["name"]
    statuses = (get_path(pod, "status.containerStatuses", []) or []) + \
        (get_path(pod, "status.initContainerStatuses", []) or []) + \
        (get_path(pod, "status.ephemeralContainerStatuses", []) or [])
    status: dict[str, Any] = next((s for s in statuses if s.get("name") == container), {})
    lines = cluster.kubelet.logs(pod["metadata"]["namespace"], name, container, previous)
    if previous:
        if not status.get("lastState", {}).get("terminated") or lines is None:
            raise BadRequest(f'previous terminated container "{container}" in pod "{name}" not found')
        return lines
    waiting = get_path(status, "state.waiting")
    if waiting and not status.get("lastState", {}).get("terminated") and not status.get("containerID"):
        reason = waiting.get("reason", "ContainerCreating")
        why = "trying and failing to pull image" if reason in ("ErrImagePull", "ImagePullBackOff") else reason
        raise BadRequest(f'container "{container}" in pod "{name}" is waiting to start: {why}')
    if lines is None:
        raise BadRequest(f'container "{container}" in pod "{name}" is not available')
    return lines


def format_logs(lines: list[tuple[float, str]], query: dict[str, str], now: float) -> str:
    if query.get("sinceSeconds", "").isdigit():
        cutoff = now - int(query["sinceSeconds"])
        lines = [entry for entry in lines if entry[0] >= cutoff]
    tail = query.get("tailLines")
    if tail is not None and tail.lstrip("-").isdigit() and int(tail) >= 0:
        lines = lines[len(lines) - int(tail):] if int(tail) else []
    stamps = query.get("timestamps") == "true"
    text = "".join(f"{rfc3339_nano(t)} {line}\n" if stamps else f"{line}\n" for t, line in lines)
    limit = query.get("limitBytes")
    if limit and limit.isdigit():
        text = text[: int(limit)]
    return text


# ---------------------------------------------------------------------------- eviction and binding


def evict(cluster: Cluster, target: Target, body: Any) -> Reply:
    assert target.name is not None
    ns = target.namespace or "default"
    cluster.store.get("Pod", ns, target.name)
    options = body.get("deleteOptions") or {} if isinstance(body, dict) else {}
    grace = options.get("gracePeriodSeconds")
    cluster.store.delete("Pod", ns, target.name, grace=int(grace) if grace is not None else None)
    return Reply(201, status_success(201))


def bind(cluster: Cluster, target: Target, body: Any) -> Reply:
    assert target.name is not None
    node = get_path(body, "target.name") if isinstance(body, dict) else None
    if not node:
        raise BadRequest("Binding.target.name is required")
    pod = clone(cluster.store.get("Pod", target.namespace or "default", target.name))
    pod["spec"]["nodeName"] = node
    cluster.store.update(pod, subresource="binding")
    return Reply(201, status_success(201))


# ---------------------------------------------------------------------------- proxy


@dataclass(frozen=True)
class ProxyReply:
    status: int
    body: bytes
    content_type: str


def _split_name(raw: str) -> tuple[str, str]:
    parts = raw.split(":")
    if len(parts) == 3:  # scheme:name:port
        return parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1]
    return parts[0], ""


def proxy(cluster: Cluster, target: Target, method: str, query_string: str) -> ProxyReply:
    assert target.name is not None
    ns = target.namespace or "default"
    name, port_text = _split_name(target.name)
    path = "/" + target.rest + (f"?{query_string}" if query_string else "")
    if target.kind.kind == "Service":
        pod, port = _service_backend(cluster, ns, name, port_text)
    else:
        found = cluster.store.try_get("Pod", ns, name)
        if found is None:
            raise not_found("pods", name)
        pod = found
        containers = get_path(pod, "spec.containers", []) or []
        if port_text.isdigit():
            port = int(port_text)
        elif port_text:
            port = next((p["containerPort"] for c in containers for p in c.get("ports") or []
                         if p.get("name") == port_text), 0)
        else:
            port = next((p["containerPort"] for c in containers for p in c.get("ports") or []), 80)
    ip = get_path(pod, "status.podIP", "")
    for container in get_path(pod, "spec.containers", []) or []:
        proc = cluster.kubelet.process_of(ns, pod["metadata"]["name"], container["name"])
        if proc is None:
            continue
        reply = proc.http(port, method, path)
        if reply is not None:
            return ProxyReply(reply.status, reply.body.encode(), reply.content_type)
    raise ServiceUnavailable(f"error trying to reach service: dial tcp {ip}:{port}: connect: connection refused")


def _service_backend(cluster: Cluster, ns: str, name: str, port_text: str) -> tuple[Obj, int]:
    svc = cluster.store.try_get("Service", ns, name)
    if svc is None:
        raise NotFound(f'services "{name}" not found', {"name": name, "kind": "services"})
    ports = get_path(svc, "spec.ports", []) or []
    if port_text:
        svc_port = next((p for p in ports if p.get("name") == port_text or str(p.get("port")) == port_text), None)
        if svc_port is None:
            raise ServiceUnavailable(f'no endpoints available for service "{name}"')
    elif ports:
        svc_port = ports[0]
    else:
        raise ServiceUnavailable(f'no endpoints available for service "{name}"')
    ep = cluster.store.try_get("Endpoints", ns, name)
    ready = [a for s in (ep or {}).get("subsets") or [] for a in s.get("addresses") or []]
    if not ready:
        raise ServiceUnavailable(f'no endpoints available for service "{name}"')
    choice = ready[cluster.ids.rng.randrange(len(ready))]
    ref = choice.get("targetRef") or {}
    pod = cluster.store.try_get("Pod", ns, ref.get("name", ""))
    if pod is None:
        raise ServiceUnavailable(f'no endpoints available for service "{name}"')
    port = resolve_target_port(svc_port, pod)
    return pod, port or int(svc_port.get("port", 80))
