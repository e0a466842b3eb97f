"""The kubelet of one node: one sync per pod change (pod_workers.go), and the collaborators it drives.

A sync admits a new pod (sandbox, IP, files), starts the containers that should run (inits first,
one at a time), tears a deleted pod down, and writes the pod's status. The steps that take time
live with their collaborators: :mod:`start` (the start flow), :mod:`puller` (images),
:mod:`prober` (probes), :mod:`restarts` (exit, OOM, kill, back-off) and :mod:`restore`
(snapshots). They share a :class:`NodeContext`, never this class. A stopped kubelet keeps its
containers running but neither renews its lease nor writes status, as a partitioned node does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from chaoskit.sim import admission
from chaoskit.sim.controllers.base import Ctx
from chaoskit.sim.kubelet.context import NodeContext
from chaoskit.sim.kubelet.prober import Prober
from chaoskit.sim.kubelet.process import Process
from chaoskit.sim.kubelet.puller import Puller
from chaoskit.sim.kubelet.restarts import Supervisor, stays_stopped
from chaoskit.sim.kubelet.restore import Restorer, snapshot
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime
from chaoskit.sim.kubelet.sandbox import Addresses, pod_files
from chaoskit.sim.kubelet.shell import Net
from chaoskit.sim.kubelet.start import Starter
from chaoskit.sim.kubelet.status import pod_status
from chaoskit.sim.objects import Obj, get_path


class PodWorker:
    """Owns the node's pods; ``images`` (the puller's) and ``running`` are read by the kubelet."""

    def __init__(self, ctx: Ctx, node_name: str, index: int, host_ip: str, enqueue: Callable[[Hashable], None],
                 net: Net, images_changed: Callable[[PodWorker], None]) -> None:
        self.name = node_name
        self.index = index
        self.host_ip = host_ip
        self.running = True
        self.pods: dict[tuple[str, str], PodRuntime] = {}
        self.node = node = NodeContext(ctx, node_name, host_ip, self.pods, enqueue, net)
        self.addresses = Addresses(index, host_ip)
        self.puller = Puller(node, lambda: images_changed(self))
        self.images = self.puller.images
        self.supervisor = Supervisor(node, self._maybe_finish_termination)
        self.prober = Prober(node, self.supervisor)
        self.starter = Starter(node, self.puller, self.prober, self.supervisor)
        self.restorer = Restorer(node, self.starter, self.prober, self.supervisor)

    # ------------------------------------------------------------------ sync

    def sync(self, ns: str, name: str) -> None:
        store = self.node.store
        pod = store.try_get("Pod", ns, name)
        rt = self.pods.get((ns, name))
        if rt is not None and (pod is None or pod["metadata"]["uid"] != rt.uid):
            self._forget(rt)
            rt = None
        if pod is None or get_path(pod, "spec.nodeName") != self.name or not self.running:
            return
        if rt is None:
            if "deletionTimestamp" in pod["metadata"]:
                store.delete("Pod", ns, name, grace=0)
                return
            if get_path(pod, "status.phase") in ("Succeeded", "Failed") and get_path(pod, "status.containerStatuses"):
                return  # a finished pod from before a restart of this kubelet
            rt = self._admit(pod)
        if "deletionTimestamp" in pod["metadata"] and not rt.terminating:
            self._terminate(rt, pod)
        if rt.terminating:
            self._maybe_finish_termination(rt)
            if rt.removed:
                return
        else:
            self._add_ephemerals(rt, pod)
            self._drive(rt, pod)
        self._write_status(rt, pod)

    def _add_ephemerals(self, rt: PodRuntime, pod: Obj) -> None:
        """kubectl debug adds ephemeral containers to a running pod; each starts once, never restarts."""
        for spec in get_path(pod, "spec.ephemeralContainers", []) or []:
            if spec.get("name") and spec["name"] not in rt.containers:
                rt.containers[spec["name"]] = ContainerRuntime(spec=spec, ephemeral=True)
                rt.ephemeral_order.append(spec["name"])

    def _forget(self, rt: PodRuntime) -> None:
        rt.removed = True
        for c in rt.containers.values():
            c.instance += 1
            c.cancel_probes()
        self.pods.pop(rt.key, None)

    def _admit(self, pod: Obj) -> PodRuntime:
        md = pod["metadata"]
        rt = PodRuntime(md["namespace"], md["name"], md["uid"], start_time=self.node.now, hostname=md["name"])
        for c in get_path(pod, "spec.initContainers", []) or []:
            rt.containers[c["name"]] = ContainerRuntime(spec=c, init=True)
            rt.init_order.append(c["name"])
        for c in get_path(pod, "spec.containers", []) or []:
            rt.containers[c["name"]] = ContainerRuntime(
                spec=c, reason="PodInitializing" if rt.init_order else "ContainerCreating")
            rt.app_order.append(c["name"])
        self.pods[rt.key] = rt

        host_network = bool(get_path(pod, "spec.hostNetwork"))

        def sandbox_ready() -> None:
            if rt.removed:
                return
            rt.ip = self.addresses.allocate(host_network)
            rt.files = pod_files(rt.namespace, rt.name, rt.ip)
            rt.sandbox_ready = True
            self.node.kick(rt)

        self.node.later(self.node.timings.sandbox_start, sandbox_ready)
        return rt

    def _drive(self, rt: PodRuntime, pod: Obj) -> None:
        if not rt.sandbox_ready:
            return
        start = self.starter.start
        for c in rt.inits():
            if c.succeeded:
                continue
            if not c.busy and c.state != "running" and not stays_stopped(pod, c):
                start(rt, c)
            return
        for c in rt.apps():
            if not c.busy and c.state != "running" and not stays_stopped(pod, c):
                start(rt, c)
        for c in rt.ephemerals():
            if not c.busy and c.state == "waiting" and not c.container_id:
                start(rt, c)

    # ------------------------------------------------------------------ termination

    def _terminate(self, rt: PodRuntime, pod: Obj) -> None:
        rt.terminating = True
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds", 30))
        for c in rt.containers.values():
            c.flow = None
            c.busy = False
            if c.state == "running":
                self.node.event(pod, "Normal", "Killing", f"Stopping container {c.name}", c.name, c.init)
                self.supervisor.kill(rt, c, grace)
            elif c.state == "waiting":
                c.instance += 1
        self._maybe_finish_termination(rt)

    def _maybe_finish_termination(self, rt: PodRuntime) -> None:
        if not rt.terminating or rt.removed:
            return
        if any(c.state == "running" for c in rt.containers.values()):
            return
        if not self.running:
            return
        self._forget(rt)
        if self.node.store.try_get("Pod", rt.namespace, rt.name) is not None:
            self.node.later(0, lambda: self._delete_pod(rt))

    def _delete_pod(self, rt: PodRuntime) -> None:
        if self.node.pod_of(rt) is not None:
            self.node.store.delete("Pod", rt.namespace, rt.name, grace=0)

    # ------------------------------------------------------------------ status

    def _write_status(self, rt: PodRuntime, pod: Obj) -> None:
        qos = get_path(pod, "status.qosClass") or admission.qos_class(pod["spec"])
        status = pod_status(pod, rt, self.host_ip, self.node.now, qos)
        if status != pod.get("status"):
            self.node.store.update_status({**pod, "status": status})

    # ------------------------------------------------------------------ snapshot and restore

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.running, self.images, self.addresses.next_ip, self.pods.values())

    def restore(self, data: dict[str, Any]) -> None:
        """Rebuild the kubelet's view after a restart: processes resume, timers are re-armed."""
        self.running = bool(data.get("running", True))
        self.images.update({str(k): int(v) for k, v in (data.get("images") or {}).items()})
        self.addresses.next_ip = int(data.get("next_ip", 2))
        self.restorer.restore_pods(data.get("pods") or [], self.pods)

    # ------------------------------------------------------------------ reads for the API server

    def logs(self, ns: str, name: str, container: str, previous: bool) -> list[tuple[float, str]] | None:
        rt = self.pods.get((ns, name))
        if rt is None or container not in rt.containers:
            return None
        c = rt.containers[container]
        return list(c.prev_logs if previous else c.logs)

    def process(self, ns: str, name: str, container: str | None = None) -> Process | None:
        """The running process of ``container`` (the first running app or ephemeral one if None)."""
        rt = self.pods.get((ns, name))
        if rt is None:
            return None
        for c in rt.apps() + rt.ephemerals():
            if (container is None or c.name == container) and c.state == "running":
                return c.proc
        return None
