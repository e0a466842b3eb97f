"""metrics.k8s.io/v1beta1, as metrics-server serves it, from the application models' working set
and CPU: ``kubectl top pods`` and ``kubectl top nodes`` show an OOM story in numbers."""

from __future__ import annotations

from typing import Any

from chaoskit.kube.status import not_found
from chaoskit.kube.times import iso
from chaoskit.sim.apiserver.paths import Target
from chaoskit.sim.apiserver.resources import selectors
from chaoskit.sim.cluster import Cluster
from chaoskit.sim.kubelet.process import DaemonProcess, Process
from chaoskit.sim.objects import Obj, get_path

WINDOW = "15.05s"
NODE_OVERHEAD = (180, 620 * 2**20)  # kubelet, containerd and the OS: millicores, bytes


def _cpu(proc: Process) -> int:
    """Millicores: what the model burns plus a realistic idle baseline per kind of process."""
    return proc.cpu_millis if isinstance(proc, DaemonProcess) else proc.cpu_millis + 1


def container_usage(cluster: Cluster, pod: Obj) -> list[dict[str, Any]]:
    out = []
    for c in get_path(pod, "spec.containers", []) or []:
        proc = cluster.kubelet.process_of(pod["metadata"]["namespace"], pod["metadata"]["name"], c["name"])
        if proc is None:
            continue
        out.append({"name": c["name"], "usage": {"cpu": f"{_cpu(proc) * 1_000_000}n",
                                                 "memory": f"{max(proc.memory, 2**20) // 1024}Ki"}})
    return out


def pod_metrics(cluster: Cluster, pod: Obj) -> Obj | None:
    containers = container_usage(cluster, pod)
    if not containers:
        return None
    md = pod["metadata"]
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": md["name"], "namespace": md["namespace"], "labels": md.get("labels") or {},
                         "creationTimestamp": iso(cluster.now)},
            "timestamp": iso(cluster.now - 5), "window": WINDOW, "containers": containers}


def node_metrics(cluster: Cluster, node: Obj) -> Obj | None:
    name = node["metadata"]["name"]
    agent = cluster.kubelet.agents.get(name)
    if agent is None or not agent.running:
        return None
    cpu, mem = NODE_OVERHEAD
    for pod in cluster.store.by_index("Pod", "node", name):
        for c in container_usage(cluster, pod):
            cpu += int(c["usage"]["cpu"][:-1]) // 1_000_000
            mem += int(c["usage"]["memory"][:-2]) * 1024
    return {"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "labels": node["metadata"].get("labels") or {},
                         "creationTimestamp": iso(cluster.now)},
            "timestamp": iso(cluster.now - 5), "window": WINDOW,
            "usage": {"cpu": f"{cpu * 1_000_000}n", "memory": f"{mem // 1024}Ki"}}


def answer(cluster: Cluster, target: Target, query: dict[str, str]) -> Obj:
    pods = target.kind.kind == "PodMetrics"
    source = "Pod" if pods else "Node"
    build = pod_metrics if pods else node_metrics
    if target.name is not None:
        obj = cluster.store.try_get(source, target.namespace or "", target.name)
        metric = build(cluster, obj) if obj is not None else None
        if metric is None:
            raise not_found(target.kind.plural, target.name, target.kind.group)
        return metric
    labels, _ = selectors(target, {k: v for k, v in query.items() if k == "labelSelector"})
    items = [m for o in cluster.store.list(source, target.namespace, labels) if (m := build(cluster, o)) is not None]
    return {"kind": f"{target.kind.kind}List", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"resourceVersion": ""}, "items": items}
