"""A node's kubelet state in a snapshot, and the kubelet carrying on after a restore.

What is saved is what the API cannot rebuild: restart counts, back-off deadlines, logs, which
containers run. On restore each running container's process is spawned again, the same way a
fresh start spawns it (same environment rules, same sandbox files, stdin kept open for a debug
shell), and replays its start with its output muted; probes and pending restarts are re-armed
where they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chaoskit.sim.kubelet import images
from chaoskit.sim.kubelet.config import ContainerConfigError, MountError, volume_files
from chaoskit.sim.kubelet.context import NodeContext
from chaoskit.sim.kubelet.prober import Prober
from chaoskit.sim.kubelet.process import StartError
from chaoskit.sim.kubelet.restarts import Supervisor
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime
from chaoskit.sim.kubelet.sandbox import pod_files
from chaoskit.sim.kubelet.start import ContainerLog, Starter
from chaoskit.sim.objects import Obj, get_path


def snapshot(running: bool, images_present: dict[str, int], next_ip: int,
             pods: Iterable[PodRuntime]) -> dict[str, Any]:
    return {"running": running, "images": images_present, "next_ip": next_ip,
            "pods": [rt.snapshot() for rt in pods if not rt.removed]}


class Restorer:
    """Rebuilds one node's pods from a snapshot and resumes their containers."""

    def __init__(self, node: NodeContext, starter: Starter, prober: Prober, supervisor: Supervisor) -> None:
        self.node = node
        self.starter = starter
        self.prober = prober
        self.supervisor = supervisor

    def restore_pods(self, saved_pods: list[dict[str, Any]], pods: dict[tuple[str, str], PodRuntime]) -> None:
        """Pods whose object is gone, or was replaced by a namesake, are dropped."""
        for saved in saved_pods:
            pod = self.node.store.try_get("Pod", saved["namespace"], saved["name"])
            if pod is None or pod["metadata"]["uid"] != saved["uid"]:
                continue
            rt = _pod_runtime(pod, saved)
            pods[rt.key] = rt
            for c in rt.containers.values():
                self._resume(rt, c, pod)

    def _resume(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj) -> None:
        if c.state == "running":
            log = ContainerLog(self.node, c, muted=True)
            try:
                ref = images.parse(str(c.spec.get("image", "")))
                env = self.starter.environment(rt, pod, c)
                files = volume_files(self.node.store, pod, c.spec)
                proc = self.starter.spawn(rt, c, ref, env, files, log)
            except (images.InvalidImage, ContainerConfigError, MountError, StartError):
                self.supervisor.exited(rt, c, 137, "Error")
                return
            c.proc = proc
            c.instance += 1
            if not c.init:
                self.prober.start(rt, c, keep_ready=True)
            self.supervisor.run(rt, c, proc.run(), c.instance)
            log.muted = False
        else:
            self.supervisor.rearm_restart(rt, c)


def _pod_runtime(pod: Obj, saved: dict[str, Any]) -> PodRuntime:
    specs = {c["name"]: c for c in (get_path(pod, "spec.initContainers", []) or [])
             + (get_path(pod, "spec.containers", []) or [])
             + (get_path(pod, "spec.ephemeralContainers", []) or [])}
    rt = PodRuntime(saved["namespace"], saved["name"], saved["uid"], ip=saved["ip"],
                    start_time=saved["start_time"], sandbox_ready=saved["sandbox_ready"],
                    terminating=saved["terminating"], hostname=saved["hostname"],
                    init_order=list(saved["init_order"]), app_order=list(saved["app_order"]),
                    ephemeral_order=list(saved.get("ephemeral_order", [])))
    if rt.sandbox_ready:  # the sandbox's files follow from its identity and IP; they are not saved
        rt.files = pod_files(rt.namespace, rt.name, rt.ip)
    for name, cdata in saved["containers"].items():
        if name in specs:
            rt.containers[name] = ContainerRuntime.restore(specs[name], cdata)
    return rt
