"""Save a simulated cluster to a file and bring it back: objects, the clock, the id generator,
and each kubelet's view (restart counts, back-off timers, container logs), so a restored
cluster carries on where it stopped."""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

from chaoskit.sim.cluster import Cluster, ClusterConfig
from chaoskit.sim.controllers.base import Timings
from chaoskit.sim.errors import SimError
from chaoskit.sim.kinds import STORED
from chaoskit.sim.topology import NodeShape, Topology

FILE = "snapshot.json"
FORMAT = 1


def state(cluster: Cluster) -> dict[str, Any]:
    config = cluster.config
    return {
        "format": FORMAT,
        "config": {"topology": asdict(config.topology), "timings": asdict(config.timings), "start": config.start,
                   "seed": config.seed},
        "now": cluster.now,
        "rv": cluster.store.rv,
        "next_cluster_ip": cluster.store._next_ip,
        "rng": _rng_state(cluster.ids.rng),
        "objects": [obj for k in STORED for obj in cluster.store.list(k.kind)],
        "kubelets": {name: agent.snapshot() for name, agent in cluster.kubelet.agents.items()},
    }


def restore(data: dict[str, Any]) -> Cluster:
    if data.get("format") != FORMAT:
        raise SimError(f"snapshot format {data.get('format')!r} is not supported (expected {FORMAT})")
    cfg = data["config"]
    topo = dict(cfg["topology"])
    topo["shape"] = NodeShape(**topo["shape"])
    config = ClusterConfig(topology=Topology(**topo), timings=Timings(**cfg["timings"]), start=cfg["start"],
                           seed=cfg["seed"])
    cluster = Cluster(config, build=False)
    cluster.loop.now = float(data["now"])
    cluster.ids.rng.setstate(_rng_from(data["rng"]))
    store = cluster.store
    for obj in data["objects"]:
        store.insert(obj)
    store.rv = int(data["rv"])
    store._next_ip = int(data.get("next_cluster_ip", store._next_ip))
    cluster.recorder.reindex()
    for node in store.list("Node"):
        name = node["metadata"]["name"]
        cidr = node["spec"].get("podCIDR", "10.244.0.0/24")
        index = int(cidr.split(".")[2])
        host_ip = next((a["address"] for a in node["status"].get("addresses", []) if a["type"] == "InternalIP"), "")
        agent = cluster.kubelet.add_node(node, index, host_ip, register=False)
        agent.restore(data["kubelets"].get(name, {}))
    cluster.replay()
    return cluster


def save(cluster: Cluster, state_dir: Path) -> Path:
    """Write atomically: a crash mid-write leaves the previous snapshot intact."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state(cluster), separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load(state_dir: Path) -> Cluster | None:
    path = state_dir / FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SimError(f"{path}: not a readable snapshot ({exc}); move it away to start a fresh cluster") from exc
    return restore(data)


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng_from(saved: list[Any]) -> tuple[Any, ...]:
    return (saved[0], tuple(saved[1]), saved[2])
