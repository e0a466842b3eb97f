"""What a served simulator's crash-safe snapshot costs (``python bench/snapshot_bench.py [PODS]``).

``chaoskit sim serve`` encodes the cluster on the engine's event loop every 5 wall seconds (requests
wait while it runs), then writes and fsyncs it on a worker thread; a restart reads, validates and
restores it. This builds a cluster of PODS running pods (default 500, on one node per 50 pods),
lets five simulated minutes pass, and prints the median of five runs of each step.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(step: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    from chaoskit.sim import Cluster, ClusterConfig, Topology, snapshot
    from chaoskit.sim.apiserver.serve import MAX_SNAPSHOT_SHARE, SNAPSHOT_INTERVAL
    from chaoskit.sim.snapshot_schema import problem

    pods = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    cluster = Cluster(ClusterConfig(topology=Topology(workers=max(1, pods // 50))))
    for i in range(pods // 50):
        cluster.store.create({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app{i}", "namespace": "default"},
            "spec": {"replicas": 50, "selector": {"matchLabels": {"app": f"app{i}"}},
                     "template": {"metadata": {"labels": {"app": f"app{i}"}}, "spec": {"containers": [
                         {"name": "app", "image": "nginx:1.27",
                          "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                          "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}]}}}})
    running = lambda: sum(p["status"].get("phase") == "Running"  # noqa: E731
                          for p in cluster.store.list("Pod", "default")) == pods
    assert cluster.run_until(running, timeout=900, step=5)
    cluster.advance(300)
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        data = snapshot.encode(cluster)
        encode = _median_ms(lambda: snapshot.encode(cluster))
        write = _median_ms(lambda: snapshot.write(state, data))
        parsed = json.loads(data)
        validate = _median_ms(lambda: problem(parsed))
        read = _median_ms(lambda: snapshot.read(state))
    interval = max(SNAPSHOT_INTERVAL, encode / 1000 / MAX_SNAPSHOT_SHARE)
    print(f"snapshot of {pods} running pods ({len(parsed['objects'])} objects, {len(data) / 1e6:.1f} MB): "
          f"encode on the loop {encode:.0f} ms (every {interval:.1f} s: {encode / 10 / interval:.1f}% of the loop), "
          f"write+fsync off the loop {write:.0f} ms; restart: validate {validate:.0f} ms, "
          f"read+validate+restore {read:.0f} ms")


if __name__ == "__main__":
    main()
