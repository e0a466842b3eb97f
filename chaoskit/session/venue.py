"""Where a session runs: the embedded simulator, or a real cluster behind the audit proxy.

Either way the session gets the same four things: a scoped client for chaoskit's own requests,
a kubeconfig for the trainee, an audit log at ``DIR/cluster/audit.log`` and a clock in cluster
time. Everything above (faults, checks, grading) is the same code on every backend.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

import yaml

from chaoskit.cluster import Kube, KubeError, connect
from chaoskit.cluster.access import Access, simulator_identity
from chaoskit.cluster.proxy import AuditProxy, Upstream
from chaoskit.cluster.scope import Scope
from chaoskit.kube.authz import Policy
from chaoskit.scenario import Scenario
from chaoskit.scenario.render import render
from chaoskit.session.neighbours import NODE_FAULTS_LABEL, labels
from chaoskit.sim.apiserver.embedded import EmbeddedServer
from chaoskit.sim.cluster import ClusterConfig

POD_SECURITY = {"pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/enforce-version": "latest"}


class Venue(Protocol):
    kube: Kube
    speed: float
    url: str

    def now(self) -> float: ...

    def trainee_kubeconfig(self, path: Path, namespace: str) -> Path: ...

    def stop(self) -> None: ...


class SimVenue:
    """The embedded simulator: it lives and dies with the session process."""

    def __init__(self, directory: Path, speed: float, seed: int, namespace: str) -> None:
        self.speed = speed
        # the trainee's requests are held to the session's policy, as the audit proxy holds them
        self.server = EmbeddedServer(directory / "cluster", speed=speed,
                                     config=ClusterConfig(seed=seed, start=time.time()),
                                     policy=Policy(frozenset({namespace}), nodes=True))
        system = self.server.system_kubeconfig
        # chaoskit's own requests use the system identity, so they never count as the trainee's
        self.kube = connect(system, system).scoped(Scope(frozenset({namespace}), nodes=True))
        self.url = self.server.url

    def now(self) -> float:
        return self.server.cluster.now

    def trainee_kubeconfig(self, path: Path, namespace: str) -> Path:
        config = yaml.safe_load(self.server.kubeconfig.read_text())
        config["contexts"][0]["context"]["namespace"] = namespace
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path

    def stop(self) -> None:
        self.server.stop()


class ClusterClock:
    """Cluster time: wall time on a real cluster; on a served simulator its own clock and speed,
    re-read now and then so a busy simulator that falls behind is followed, never outrun."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.speed = 1.0
        self._sim, self._wall, self._last = time.time(), time.time(), 0.0
        self.simulator = False
        self.sync()

    def sync(self) -> None:
        identity = simulator_identity(self.kube)
        if identity is not None:
            self.simulator = True
            self.speed = float(identity["speed"])
            self._sim, self._wall = float(identity["now"]), time.time()

    def now(self) -> float:
        value = self._sim + (time.time() - self._wall) * self.speed
        self._last = max(self._last, value)
        return self._last


class ClusterVenue:
    """A kind or other real cluster (or a served simulator reached like one)."""

    def __init__(self, directory: Path, access: Access, namespace: str) -> None:
        scope = Scope(frozenset({namespace}), nodes=access.node_faults)
        self.kube = access.client(scope.namespaces)
        self.clock = ClusterClock(self.kube)
        self.speed = self.clock.speed
        self.proxy = AuditProxy(Upstream(access.kubeconfig, access.context), directory / "cluster",
                                Policy(scope.namespaces, nodes=scope.nodes), self.clock.now)
        self.url = self.proxy.url

    def now(self) -> float:
        return self.clock.now()

    def trainee_kubeconfig(self, path: Path, namespace: str) -> Path:
        return self.proxy.kubeconfig(path, namespace)

    def stop(self) -> None:
        self.proxy.stop()


def install(kube: Kube, scenario: Scenario, namespace: str, session: str, node_faults: bool | None = None) -> None:
    """The session's namespace and the scenario's objects, all carrying chaoskit's labels.

    The namespace enforces Pod Security ``baseline`` (no privileged pods, host namespaces or
    hostPath: a trainee's pod cannot reach its node) and says whether the scenario has node faults
    (``node_faults`` None: read from the scenario), which is what lets the trainee's policy allow
    node writes. The trainee may not change these labels (chaoskit.kube.admit)."""
    marks = labels(session)
    marks.update(POD_SECURITY)
    if node_faults if node_faults is not None else scenario.node_faults:
        marks[NODE_FAULTS_LABEL] = "true"
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": marks}})
    for obj in render(scenario, namespace, labels(session)):
        kube.create(obj)


def open_venue(directory: Path, meta: dict[str, Any]) -> Venue:
    if meta.get("backend", "sim") == "sim":
        return SimVenue(directory, float(meta["speed"]), int(meta.get("seed", 0)), meta["namespace"])
    return ClusterVenue(directory, Access.from_dict(meta["cluster"]), meta["namespace"])


def reconnect(directory: Path, meta: dict[str, Any]) -> Kube | None:
    """A scoped client for a session's cluster from what is on disk, for grading and for reverting
    after the session process is gone; None when the cluster went with it (the simulator)."""
    namespaces = frozenset({meta["namespace"]})
    if meta.get("backend", "sim") != "sim":
        return Access.from_dict(meta["cluster"]).client(namespaces)
    system = directory / "cluster" / "system.kubeconfig"
    kube = connect(system, system).scoped(Scope(namespaces, nodes=True))
    try:
        kube.request("GET", "/version")
    except KubeError:
        return None
    return kube
