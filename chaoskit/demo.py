"""``chaoskit demo``: the simulator end to end, until the session flow replaces it.

It starts the default cluster, deploys the sample app (podinfo behind a Service), breaks it
with a bad deploy that lowers the memory limit below the working set, and prints what
``kubectl get pods`` and the pod's events would show before and after.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chaoskit.sim import Cluster, ClusterConfig, Topology
from chaoskit.sim.objects import Obj, clone
from chaoskit.sim.printing import human_duration, render

NAMESPACE = "default"


def sample_app() -> list[Obj]:
    labels = {"app": "checkout"}
    container: dict[str, Any] = {
        "name": "checkout", "image": "ghcr.io/stefanprodan/podinfo:6.7.1",
        "command": ["./podinfo", "--port=9898", "--stress-memory=64"],
        "ports": [{"name": "http", "containerPort": 9898}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 9898}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 9898}, "periodSeconds": 10},
    }
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout", "namespace": NAMESPACE},
         "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "checkout", "namespace": NAMESPACE},
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
    ]


def _ready(cluster: Cluster) -> bool:
    dep = cluster.store.get("Deployment", NAMESPACE, "checkout")
    return int((dep.get("status") or {}).get("availableReplicas", 0)) == 3


def run_demo(seed: int = 0, workers: int = 2, out: Callable[[str], None] = print) -> Cluster:
    started = time.perf_counter()
    cluster = Cluster(ClusterConfig(topology=Topology(workers=workers), seed=seed))
    out(f"Simulated kind cluster ready in {time.perf_counter() - started:.2f}s: "
        f"{cluster.store.count('Node')} nodes, Kubernetes v1.37.")
    out("")
    out("$ kubectl get nodes")
    out(render("Node", cluster.store.list("Node"), cluster.now).rstrip())
    for obj in sample_app():
        cluster.store.create(obj)
    cluster.run_until(lambda: _ready(cluster), timeout=120)
    cluster.advance(20)
    out("")
    out("$ kubectl get deploy,pods -l app=checkout   # the sample app, healthy")
    out(render("Deployment", cluster.store.list("Deployment", NAMESPACE), cluster.now).rstrip())
    out(render("Pod", cluster.pods(NAMESPACE, app="checkout"), cluster.now).rstrip())

    def lower_limit(dep: Obj) -> None:
        c = dep["spec"]["template"]["spec"]["containers"][0]
        c["resources"] = {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"memory": "32Mi"}}

    dep = clone(cluster.store.get("Deployment", NAMESPACE, "checkout"))
    lower_limit(dep)
    cluster.store.update(dep)
    broke_at = cluster.now
    cluster.advance(90)
    out("")
    out(f"# fault injected: a new revision sets limits.memory=32Mi below the app's working set "
        f"({human_duration(cluster.now - broke_at)} ago)")
    out("$ kubectl get pods -l app=checkout")
    pods = cluster.pods(NAMESPACE, app="checkout")
    out(render("Pod", pods, cluster.now).rstrip())
    broken = [p for p in pods if p["spec"]["containers"][0]["resources"]["limits"]["memory"] == "32Mi"]
    if broken:
        victim = broken[0]
        out("")
        out(f"$ kubectl describe pod {victim['metadata']['name']} | sed -n '/Last State/,/Exit Code/p;/Events:/,$p'")
        status = victim["status"]["containerStatuses"][0]
        last = status.get("lastState", {}).get("terminated", {})
        out(f"    Last State:     Terminated\n      Reason:       {last.get('reason')}\n"
            f"      Exit Code:    {last.get('exitCode')}")
        evs = [e for e in cluster.store.list("Event", NAMESPACE)
               if e["involvedObject"].get("uid") == victim["metadata"]["uid"]]
        evs.sort(key=lambda e: (e["lastTimestamp"], e["metadata"]["resourceVersion"]))
        out(render("Event", evs, cluster.now).rstrip())
    out("")
    out(f"Simulated {human_duration(cluster.now - cluster.config.start)} of cluster time in "
        f"{time.perf_counter() - started:.2f}s of wall time.")
    return cluster
