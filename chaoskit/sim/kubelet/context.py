"""What the pod worker's collaborators (puller, prober, supervisor, starter) may use of their node.

They get this narrow context instead of the pod worker itself, so each can be read alone and the
import graph stays a tree: the pod worker imports its collaborators, never the other way round.
The cluster's services (store, ids, timings) are here too, since a collaborator reads a ConfigMap
or draws a container ID, but nothing that would let one collaborator reach another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from chaoskit.sim.clock import Timer
from chaoskit.sim.controllers.base import Ctx
from chaoskit.sim.kubelet.runtime import PodRuntime
from chaoskit.sim.kubelet.shell import Net
from chaoskit.sim.objects import Obj


class NodeContext:
    """One node's view of the clock, the event recorder, the kubelet's work queue and its pods."""

    def __init__(self, ctx: Ctx, node: str, host_ip: str, pods: dict[tuple[str, str], PodRuntime],
                 enqueue: Callable[[Hashable], None], net: Net) -> None:
        self._loop = ctx.loop
        self._recorder = ctx.recorder
        self.store = ctx.store
        self.ids = ctx.ids
        self.timings = ctx.timings
        self.name = node
        self.host_ip = host_ip
        self.net = net
        self._pods = pods
        self._enqueue = enqueue

    @property
    def now(self) -> float:
        return self._loop.now

    def later(self, delay: float, fn: Callable[[], None]) -> Timer:
        return self._loop.call_later(delay, fn)

    def at(self, when: float, fn: Callable[[], None]) -> Timer:
        return self._loop.call_at(when, fn)

    def kick(self, rt: PodRuntime) -> None:
        """Queue the pod for a sync (status write, next start), as the pod worker's channel does."""
        self._enqueue((self.name, rt.namespace, rt.name))

    def pod_of(self, rt: PodRuntime) -> Obj | None:
        """The pod object ``rt`` runs, or None once it is gone or replaced by a namesake."""
        pod = self.store.try_get("Pod", rt.namespace, rt.name)
        if pod is None or pod["metadata"]["uid"] != rt.uid:
            return None
        return pod

    def event(self, pod: Obj, etype: str, reason: str, message: str, container: str = "", init: bool = False) -> None:
        """A kubelet event, with the container's fieldPath (``spec.containers{web}``) when there is one."""
        group = "initContainers" if init else "containers"
        rt = self._pods.get((pod["metadata"]["namespace"], pod["metadata"]["name"]))
        if rt is not None and container in rt.ephemeral_order:
            group = "ephemeralContainers"
        path = f"spec.{group}{{{container}}}" if container else ""
        self._recorder.event(pod, etype, reason, message, "kubelet", host=self.name, field_path=path)
