"""Save a simulated cluster to a file and bring it back: objects, the clock, the id generator,
and each kubelet's view (restart counts, back-off timers, container logs), so a restored
cluster carries on where it stopped.

The file holds Secret data, so it is written owner-only and atomically (:mod:`chaoskit.kube.files`):
a ``kill -9`` at any moment leaves the previous snapshot whole. It is read back through a JSON
Schema (:mod:`chaoskit.sim.snapshot_schema`), because a file on disk is input like any other: a
truncated, hand-edited or foreign file gets one line naming the file and what is wrong, never a
traceback from deep inside the restore, and the file is left as it is for the user to look at.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chaoskit.kube import files
from chaoskit.kube.status import StatusError
from chaoskit.sim.cluster import Cluster, ClusterConfig
from chaoskit.sim.controllers.base import Timings
from chaoskit.sim.errors import SimError
from chaoskit.sim.kinds import STORED
from chaoskit.sim.snapshot_schema import FORMAT, problem
from chaoskit.sim.topology import NodeShape, Topology

FILE = "snapshot.json"
START_FRESH = "the file is left as it is: move it away (or use another --state-dir) to start a fresh cluster"


class StateFileError(SimError):
    """A file in the simulator's state directory cannot be read back.

    The message names the file, says what is wrong and how to start fresh; nothing was overwritten."""


@dataclass(frozen=True)
class Restored:
    """A cluster read back from a snapshot, and what the user should be told about it."""

    cluster: Cluster
    path: Path
    saved_at: float      # wall clock when it was written, seconds since the epoch
    clean: bool | None   # True: written by a clean stop; False: a periodic snapshot; None: not recorded
    objects: int


def state(cluster: Cluster, saved_at: float | None = None, clean: bool = False) -> dict[str, Any]:
    """The cluster as plain data. It shares the live objects: encode it before anything else runs."""
    config = cluster.config
    return {
        "format": FORMAT,
        "saved_at": time.time() if saved_at is None else saved_at,
        "clean": clean,
        "config": {"topology": asdict(config.topology), "timings": asdict(config.timings), "start": config.start,
                   "seed": config.seed},
        "now": cluster.now,
        "rv": cluster.store.rv,
        "next_cluster_ip": cluster.store._next_ip,
        "rng": _rng_state(cluster.ids.rng),
        "objects": [obj for k in STORED for obj in cluster.store.list(k.kind)],
        "kubelets": {name: agent.snapshot() for name, agent in cluster.kubelet.agents.items()},
    }


def encode(cluster: Cluster, clean: bool = False) -> bytes:
    """The snapshot's bytes: a consistent copy of the cluster at this instant (run it on the engine's loop)."""
    return json.dumps(state(cluster, clean=clean), separators=(",", ":")).encode()


def write(state_dir: Path, data: bytes) -> Path:
    """Replace the snapshot atomically with ``data`` (0600; safe to run off the engine's loop)."""
    path = state_dir / FILE
    files.write_private(path, data)
    return path


def save(cluster: Cluster, state_dir: Path, clean: bool = True) -> Path:
    """Write atomically: a crash mid-write leaves the previous snapshot intact."""
    return write(state_dir, encode(cluster, clean))


def restore(data: Any, source: str = "snapshot") -> Cluster:
    """A cluster from snapshot data, checked first; raises :class:`StateFileError` naming ``source``."""
    wrong = problem(data)
    if wrong is not None:
        raise StateFileError(f"{source}: {wrong}; {START_FRESH}")
    try:
        return _restore(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, StatusError) as exc:
        # The schema checks the shape; what it cannot see (say, a node's pods naming another node's
        # uid) still ends here, as one line, rather than as a traceback from a controller.
        raise StateFileError(f"{source}: does not restore ({type(exc).__name__}: {exc}); {START_FRESH}") from exc


def read(state_dir: Path) -> Restored | None:
    """The snapshot in ``state_dir``, restored; None if there is none. Never writes anything."""
    path = state_dir / FILE
    try:
        raw = path.read_bytes()
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"{path}: cannot be read ({exc.strerror}); {START_FRESH}") from exc
    data = _parse(path, raw)
    cluster = restore(data, str(path))
    saved_at = data.get("saved_at", mtime)
    clean = data.get("clean")
    return Restored(cluster, path, float(saved_at), clean if isinstance(clean, bool) else None,
                    len(data["objects"]))


def _parse(path: Path, raw: bytes) -> Any:
    if not raw.strip():
        raise StateFileError(f"{path}: is empty; {START_FRESH}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StateFileError(f"{path}: is not a snapshot (not UTF-8 text at byte {exc.start}); {START_FRESH}") \
            from exc
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except RecursionError as exc:
        raise StateFileError(f"{path}: is not a snapshot (JSON nested too deeply); {START_FRESH}") from exc
    except json.JSONDecodeError as exc:
        stripped = text.strip()
        if exc.doc is not text:  # raised by _not_json or _finite: the value, not a position, is what is wrong
            what = f"is not a snapshot: {exc.msg}"
        elif exc.pos >= len(stripped) or (stripped.startswith("{") and not stripped.endswith("}")):
            what = f"is truncated: the JSON stops mid-value after {len(raw)} bytes"
        else:
            what = f"is not a snapshot: not JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
        raise StateFileError(f"{path}: {what}; {START_FRESH}") from exc


def _not_json(constant: str) -> float:
    raise json.JSONDecodeError(f"{constant} is not a JSON number", constant, 0)


def _finite(text: str) -> float:
    """JSON has no infinities, but Python reads 1e999 as one; a clock at infinity never ticks."""
    value = float(text)
    if not math.isfinite(value):
        raise json.JSONDecodeError(f"{text} is out of range", text, 0)
    return value


def _restore(data: dict[str, Any]) -> Cluster:
    cfg = data["config"]
    topo = dict(cfg["topology"])
    topo["shape"] = NodeShape(**topo["shape"])
    config = ClusterConfig(topology=Topology(**topo), timings=Timings(**cfg["timings"]), start=float(cfg["start"]),
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


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng_from(saved: list[Any]) -> tuple[Any, ...]:
    return (saved[0], tuple(saved[1]), saved[2])
