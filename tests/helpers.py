"""Manifest builders and small queries shared by the simulator tests."""

from __future__ import annotations

from typing import Any

from chaoskit.sim import Cluster
from chaoskit.sim.objects import Obj, get_path
from chaoskit.sim.printing import pod_cells


def container(name: str = "web", image: str = "nginx:1.27", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def deployment(name: str = "web", replicas: int = 3, ns: str = "default", labels: dict[str, str] | None = None,
               **container_extra: Any) -> Obj:
    labels = labels or {"app": name}
    image = container_extra.pop("image", "nginx:1.27")
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                 "template": {"metadata": {"labels": dict(labels)},
                              "spec": {"containers": [container(name, image, **container_extra)]}}},
    }


def pod(name: str = "bare", ns: str = "default", **container_extra: Any) -> Obj:
    image = container_extra.pop("image", "nginx:1.27")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [container("main", image, **container_extra)]}}


def service(name: str = "web", selector: dict[str, str] | None = None, port: int = 80,
            target: int | str = 80, ns: str = "default") -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": selector if selector is not None else {"app": name},
                     "ports": [{"port": port, "targetPort": target}]}}


def row(cluster: Cluster, p: Obj) -> dict[str, str]:
    """The kubectl get pods row of ``p`` as a dict."""
    cells = pod_cells(cluster.store.get("Pod", p["metadata"]["namespace"], p["metadata"]["name"]), cluster.now)
    return dict(zip(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"], cells, strict=False))


def events(cluster: Cluster, obj: Obj, reason: str | None = None) -> list[Obj]:
    uid = obj["metadata"]["uid"]
    return [e for e in cluster.store.list("Event")
            if e["involvedObject"].get("uid") == uid and (reason is None or e["reason"] == reason)]


def messages(cluster: Cluster, obj: Obj, reason: str | None = None) -> list[str]:
    return [e["message"] for e in events(cluster, obj, reason)]


def container_state(cluster: Cluster, p: Obj, index: int = 0) -> dict[str, Any]:
    current = cluster.store.get("Pod", p["metadata"]["namespace"], p["metadata"]["name"])
    return get_path(current, f"status.containerStatuses.{index}") or {}
