"""The simulated cluster: store, controllers, kubelets and clock wired together.

This is the Python surface the API server sits on. Everything runs on one thread; time
moves only through :meth:`Cluster.advance` (tests) or :mod:`chaoskit.sim.runner` (users).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chaoskit.sim.clock import DEFAULT_START, Loop
from chaoskit.sim.controllers.base import Controller, Ctx, Timings
from chaoskit.sim.controllers.cronjob import CronJobController
from chaoskit.sim.controllers.daemonset import DaemonSetController
from chaoskit.sim.controllers.deployment import DeploymentController
from chaoskit.sim.controllers.endpoints import EndpointsController
from chaoskit.sim.controllers.job import JobController
from chaoskit.sim.controllers.lifecycle import GarbageCollector, NamespaceController
from chaoskit.sim.controllers.nodelifecycle import NodeLifecycleController, TaintEvictionController
from chaoskit.sim.controllers.replicaset import ReplicaSetController
from chaoskit.sim.controllers.scheduler import Scheduler
from chaoskit.sim.events import Recorder
from chaoskit.sim.guard import LOG, ONCE
from chaoskit.sim.ids import Ids
from chaoskit.sim.kubelet import Kubelet, images
from chaoskit.sim.objects import Obj
from chaoskit.sim.store import Store
from chaoskit.sim.topology import (
    SYSTEM_IMAGES,
    Topology,
    kubernetes_service,
    node_object,
    static_pods,
    system_workloads,
)

SETTLE_LIMIT = 2_000_000


@dataclass(frozen=True)
class ClusterConfig:
    topology: Topology = field(default_factory=Topology)
    timings: Timings = field(default_factory=Timings)
    start: float = DEFAULT_START
    seed: int = 0


class Cluster:
    def __init__(self, config: ClusterConfig | None = None, build: bool = True) -> None:
        self.config = config or ClusterConfig()
        self.loop = Loop(self.config.start)
        self.ids = Ids(self.config.seed)
        self.store = Store(self.loop, self.ids)
        self.recorder = Recorder(self.store)
        self.ctx = Ctx(self.store, self.loop, self.recorder, self.ids, self.config.timings)
        self.gc = GarbageCollector(self.ctx)
        self.namespaces = NamespaceController(self.ctx)
        self.deployments = DeploymentController(self.ctx)
        self.replicasets = ReplicaSetController(self.ctx)
        self.daemonsets = DaemonSetController(self.ctx)
        self.jobs = JobController(self.ctx)
        self.cronjobs = CronJobController(self.ctx)
        self.endpoints = EndpointsController(self.ctx)
        self.scheduler = Scheduler(self.ctx)
        self.node_lifecycle = NodeLifecycleController(self.ctx)
        self.taint_eviction = TaintEvictionController(self.ctx)
        self.kubelet = Kubelet(self.ctx)
        self.controllers: list[Controller] = [
            self.namespaces, self.gc, self.deployments, self.replicasets, self.daemonsets, self.cronjobs, self.jobs,
            self.scheduler, self.kubelet, self.endpoints, self.taint_eviction, self.node_lifecycle,
        ]
        routes: dict[str, list[Controller]] = {
            "Deployment": [self.deployments], "ReplicaSet": [self.deployments, self.replicasets],
            "Pod": [self.deployments, self.replicasets, self.daemonsets, self.jobs, self.endpoints,
                    self.scheduler, self.taint_eviction, self.kubelet],
            "DaemonSet": [self.daemonsets], "Job": [self.jobs, self.cronjobs], "CronJob": [self.cronjobs],
            "Service": [self.endpoints],
            "Node": [self.daemonsets, self.scheduler, self.taint_eviction],
        }
        self._routes = routes
        self.store.subscribe(self._dispatch)
        self.loop.settle = self.settle
        if build:
            self._build()
        self.recorder_expiry()

    # ------------------------------------------------------------------ wiring

    def _dispatch(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        targets: list[Controller] = [self.gc]
        if kind == "Namespace" or etype == "DELETED":
            targets.append(self.namespaces)
        targets += self._routes.get(kind, ())
        for controller in targets:
            try:
                controller.on_change(kind, etype, obj, old)
            except Exception as exc:  # an informer handler's failure never fails the write
                ONCE.error(f"{controller.name} event handler", (kind, etype), exc)

    def settle(self) -> None:
        """Run every controller until no work is queued (the cluster is quiescent at this instant).

        Controllers that keep re-queueing each other without end are cut off after
        ``SETTLE_LIMIT`` keys; what is left stays queued for the next tick, so the engine goes on.
        Past ``loop.deadline`` (served simulators only) the rest also waits, with ``loop.backlog`` set.
        """
        handled = 0
        loop = self.loop
        while True:
            progress = 0
            for controller in self.controllers:
                progress += controller.drain(256)
            if not progress:
                loop.backlog = False
                return
            if loop.deadline is not None and time.perf_counter() >= loop.deadline:
                loop.backlog = True
                return
            handled += progress
            if handled > SETTLE_LIMIT:
                LOG.error("simulator controllers did not settle after %d keys; the rest waits for the next tick",
                          handled)
                return

    def _build(self) -> None:
        topo = self.config.topology
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"):
            self.store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        cp_ip = ""
        for index, name in enumerate(topo.node_names()):
            self.add_node(name, index)
            if name.endswith("-control-plane"):
                cp_ip = self.kubelet.agents[name].host_ip
        self.store.create(kubernetes_service(cp_ip or "172.18.0.2")[0])
        self.store.create(kubernetes_service(cp_ip or "172.18.0.2")[1])
        if topo.system_pods:
            if topo.control_plane:
                cp = topo.node_names()[0]
                node_uid = self.store.get("Node", "", cp)["metadata"]["uid"]
                for pod in static_pods(cp, cp_ip, node_uid):
                    self.store.create(pod)
            for obj in system_workloads():
                self.store.create(obj)
        self.node_lifecycle.start()
        self.settle()

    def replay(self) -> None:
        """After a restore: let every controller see every object once, as after a controller restart."""
        order = {"Namespace": 0, "Node": 1}
        objs = sorted(((k, o) for k in self.store.kinds_present() for o in self.store.list(k)),
                      key=lambda ko: order.get(ko[0], 2))
        for kind, obj in objs:
            self._dispatch(kind, "ADDED", obj, None)
        self.node_lifecycle.start()
        self.settle()

    def add_node(self, name: str, index: int | None = None) -> Obj:
        index = len(self.kubelet.agents) if index is None else index
        node, host_ip = node_object(self.config.topology, name, index, self.ids.hex(64))
        created = self.store.create(node)
        agent = self.kubelet.add_node(created, index, host_ip)
        for ref in SYSTEM_IMAGES:
            repo = images.lookup(images.parse(ref))
            agent.images[images.parse(ref).canonical] = repo.size if repo else 0
        self.kubelet.post_node_status(agent)
        return self.store.get("Node", "", name)

    def recorder_expiry(self) -> None:
        def expire() -> None:
            self.recorder.expire()
            self.loop.call_later(60, expire)

        self.loop.call_later(60, expire)

    # ------------------------------------------------------------------ time

    @property
    def now(self) -> float:
        return self.loop.now

    def advance(self, seconds: float) -> None:
        self.loop.advance(seconds)

    def run_until(self, predicate: Callable[[], bool], timeout: float = 600.0, step: float = 1.0) -> bool:
        return self.loop.run_until(predicate, timeout, step)

    # ------------------------------------------------------------------ conveniences

    def apply(self, obj: Obj) -> Obj:
        """Create ``obj``, settling the controllers so its immediate effects are visible."""
        created = self.store.create(obj)
        self.settle()
        return created

    def pods(self, namespace: str = "default", **labels: str) -> list[Obj]:
        return [p for p in self.store.list("Pod", namespace)
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())]

    def stop_kubelet(self, node: str) -> None:
        self.kubelet.stop(node)

    def start_kubelet(self, node: str) -> None:
        self.kubelet.start(node)
        self.settle()
