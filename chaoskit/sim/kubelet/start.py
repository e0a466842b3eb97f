"""The start flow of one container, in kubelet's order: volumes (``FailedMount``), image
(``puller.py``), configuration (``CreateContainerConfigError``), create, start, then probes.

The flow is a generator of simulated delays, stepped on the clock, and ends with a
:class:`StartResult`. :meth:`Starter.spawn` builds the container's process; a fresh start and a
snapshot restore both go through it, so a restored container runs the process a fresh one would.
"""

from __future__ import annotations

from chaoskit.sim.kubelet import images
from chaoskit.sim.kubelet.config import ContainerConfigError, MountError, container_env, service_env, volume_files
from chaoskit.sim.kubelet.context import NodeContext
from chaoskit.sim.kubelet.prober import Prober
from chaoskit.sim.kubelet.process import Process, StartError, model_for, resolve_argv
from chaoskit.sim.kubelet.puller import Puller
from chaoskit.sim.kubelet.restarts import Supervisor
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime, StartFlow, StartResult
from chaoskit.sim.kubelet.status import terminated_dict
from chaoskit.sim.objects import Obj, get_path

SHELL_IMAGE = images.Repo((), 0, "shell", cmd=("sh",))
"""What runs from an image the catalogue does not know (a pull of it succeeded, so it exists)."""


class ContainerLog:
    """The process's output into the container's log. A restored process replays its start
    muted, so the lines it wrote before the snapshot are not logged twice."""

    def __init__(self, node: NodeContext, c: ContainerRuntime, muted: bool = False) -> None:
        self.node = node
        self.c = c
        self.muted = muted

    def __call__(self, text: str) -> None:
        if not self.muted:
            self.c.log(self.node.now, text)


class Starter:
    """Starts the containers of one node."""

    def __init__(self, node: NodeContext, puller: Puller, prober: Prober, supervisor: Supervisor) -> None:
        self.node = node
        self.puller = puller
        self.prober = prober
        self.supervisor = supervisor

    # ------------------------------------------------------------------ the flow, stepped on the clock

    def start(self, rt: PodRuntime, c: ContainerRuntime) -> None:
        c.busy = True
        c.flow = self.flow(rt, c)
        self._step(rt, c, c.instance)

    def _step(self, rt: PodRuntime, c: ContainerRuntime, instance: int) -> None:
        if rt.removed or rt.terminating or c.instance != instance or c.flow is None:
            return
        try:
            delay = next(c.flow)
        except StopIteration as done:
            c.flow = None
            if done.value is not StartResult.STARTED:
                c.busy = False  # a started process manages busy itself (exit -> restart wait)
            self.node.kick(rt)
            return
        self.node.kick(rt)
        self.node.later(delay, lambda: self._step(rt, c, instance))

    def flow(self, rt: PodRuntime, c: ContainerRuntime) -> StartFlow:
        """The steps in kubelet's order, each yielding the simulated seconds it takes."""
        node = self.node
        pod = node.pod_of(rt)
        if pod is None:
            return StartResult.GONE
        retry = node.timings.pod_sync_retry
        try:
            files = volume_files(node.store, pod, c.spec)
        except MountError as exc:
            node.event(pod, "Warning", "FailedMount", str(exc))
            yield retry
            return StartResult.RETRY
        image = str(c.spec.get("image", ""))
        try:
            ref = images.parse(image)
        except images.InvalidImage as exc:
            c.state, c.reason, c.message = "waiting", "InvalidImageName", str(exc)
            node.event(pod, "Warning", "InspectFailed", str(exc), c.name, c.init)
            node.event(pod, "Warning", "Failed", "Error: InvalidImageName", c.name, c.init)
            yield retry
            return StartResult.RETRY
        yield from self.puller.pull(c, pod, ref, image)
        if self.puller.failed(c):
            return StartResult.RETRY
        # Configuration (env) is resolved when the container is created.
        try:
            env = self.environment(rt, pod, c)
        except ContainerConfigError as exc:
            if c.state != "terminated":
                c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", str(exc)
            node.event(pod, "Warning", "Failed", f"Error: {exc}", c.name, c.init)
            yield retry
            return StartResult.RETRY
        yield node.timings.container_start
        c.busy = False
        self._create_and_start(rt, c, pod, ref, env, files)
        return StartResult.STARTED

    def environment(self, rt: PodRuntime, pod: Obj, c: ContainerRuntime) -> dict[str, str]:
        """The container's variables (raises ContainerConfigError), Service links unless disabled."""
        store = self.node.store
        links = service_env(store, rt.namespace) if get_path(pod, "spec.enableServiceLinks", True) else {}
        return container_env(store, pod, c.spec, links)

    # ------------------------------------------------------------------ create, start, spawn

    def _create_and_start(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, ref: images.ImageRef,
                          env: dict[str, str], files: dict[str, str]) -> None:
        node = self.node
        if c.state == "terminated":
            c.last = terminated_dict(c)
        if c.container_id:
            # restartCount is the number of earlier instances; logs --previous reads the last one.
            c.restarts += 1
            c.prev_logs, c.logs = c.logs, []
        c.instance += 1
        c.container_id = "containerd://" + node.ids.hex(64)
        c.image = ref.canonical
        c.image_id = images.image_id(ref)
        c.started_at = node.now
        node.event(pod, "Normal", "Created", "Container created", c.name, c.init)
        try:
            proc = self.spawn(rt, c, ref, env, files, ContainerLog(node, c))
        except StartError as exc:
            self.supervisor.start_failed(rt, c, pod, str(exc))
            return
        c.proc = proc
        c.state, c.reason, c.message = "running", "", ""
        c.ready = False
        c.started = "startupProbe" not in c.spec
        c.killing = False
        node.event(pod, "Normal", "Started", "Container started", c.name, c.init)
        if not c.init and not c.ephemeral:
            self.prober.start(rt, c)
        if c.ephemeral:
            c.ready, c.started = False, True
        self.supervisor.run(rt, c, proc.run(), c.instance)

    def spawn(self, rt: PodRuntime, c: ContainerRuntime, ref: images.ImageRef, env: dict[str, str],
              files: dict[str, str], log: ContainerLog) -> Process:
        """The container's process: the image's program (or the command that overrides it) with the
        image's environment under the container's, and the pod's files under the mounted ones.
        Raises StartError when the image has no such program."""
        repo = images.lookup(ref) or SHELL_IMAGE
        argv = resolve_argv(repo, c.spec)
        tools = repo.tools_for(ref.tag)
        model = model_for(repo, argv, tools)
        node = self.node
        proc = model(argv, {**dict(repo.env), **env}, {**rt.files, **files}, tools, rt.hostname, node.ids.rng, log,
                     lambda: node.now)
        proc.net, proc.namespace, proc.pod_ip = node.net, rt.namespace, rt.ip
        proc.interactive = bool(c.spec.get("stdin"))
        return proc
