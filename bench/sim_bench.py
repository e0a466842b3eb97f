"""Simulator benchmarks (``make bench``): wall time and peak memory, printed as numbers.

1. From nothing to the default cluster plus a 3-replica app all Running and Ready.
2. 500 nodes and 5,000 pods (one Deployment per 50 pods) converging to Running, with the default
   pull and probe timings in simulator time and the clock run as fast as the engine goes.
Each scenario runs in a fresh subprocess so peak RSS belongs to it alone.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time


def small() -> dict[str, float]:
    from chaoskit.sim import Cluster

    start = time.perf_counter()
    cluster = Cluster()
    cluster.store.create({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                     {"name": "web", "image": "nginx:1.27",
                      "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 2}}]}}}})

    def ready() -> bool:
        pods = cluster.pods("default", app="web")
        return len(pods) == 3 and all(p["status"].get("conditions") and any(
            c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in pods)

    assert cluster.run_until(ready, timeout=120, step=0.5)
    return {"wall_s": time.perf_counter() - start, "sim_s": cluster.now - cluster.config.start}


def large(nodes: int = 500, pods: int = 5000) -> dict[str, float]:
    from chaoskit.sim import Cluster, ClusterConfig, Topology

    start = time.perf_counter()
    cluster = Cluster(ClusterConfig(topology=Topology(workers=nodes - 1)))
    built = time.perf_counter() - start
    for i in range(pods // 50):
        cluster.store.create({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app{i}", "namespace": "default"},
            "spec": {"replicas": 50, "selector": {"matchLabels": {"app": f"app{i}"}},
                     "template": {"metadata": {"labels": {"app": f"app{i}"}}, "spec": {"containers": [
                         {"name": "app", "image": "nginx:1.27",
                          "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                          "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}]}}}})

    def converged() -> bool:
        running = [p for p in cluster.store.list("Pod", "default") if p.get("status", {}).get("phase") == "Running"]
        return len(running) == pods

    assert cluster.run_until(converged, timeout=600, step=5)
    return {"wall_s": time.perf_counter() - start, "build_s": built, "sim_s": cluster.now - cluster.config.start,
            "pods_total": cluster.store.count("Pod"), "nodes": cluster.store.count("Node"),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(name: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", name], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        result = small() if sys.argv[2] == "small" else large()
        print(json.dumps(result))
        return
    runs = [child("small") for _ in range(5)]
    walls = [r["wall_s"] for r in runs]
    print(f"default cluster + 3-replica app Running and Ready: median {statistics.median(walls) * 1000:.0f} ms "
          f"(min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}; {runs[0]['sim_s']:.1f} s simulated; "
          "target < 500 ms)")
    big = child("large")
    print(f"{big['nodes']:.0f} nodes, 5000 app pods ({big['pods_total']:.0f} pods with system pods) Running: "
          f"{big['wall_s']:.2f} s wall (build {big['build_s']:.2f} s; {big['sim_s']:.0f} s simulated; "
          f"target < 10 s), peak RSS {big['peak_rss_mb']:.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    main()
