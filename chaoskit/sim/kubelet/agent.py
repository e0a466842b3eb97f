"""The simulated kubelet: one :class:`NodeAgent` per node, driven by :class:`Kubelet`.

Each container goes through the kubelet's real steps (config, image, create, start, probes,
exit, restart with back-off), each step taking simulator time, each worded as the real
kubelet words its events and statuses. A stopped kubelet keeps its containers running but
neither renews its lease nor writes status, as a partitioned node does.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from chaoskit.kube import quantity
from chaoskit.kube.status import BadRequest, not_found
from chaoskit.kube.times import iso, iso_micro
from chaoskit.sim import admission
from chaoskit.sim.controllers.base import Controller, Ctx
from chaoskit.sim.kubelet import images
from chaoskit.sim.kubelet.config import ContainerConfigError, MountError, container_env, service_env, volume_files
from chaoskit.sim.kubelet.network import DNS_IP, ClusterNet
from chaoskit.sim.kubelet.probes import run_probe
from chaoskit.sim.kubelet.process import Process, StartError, model_for, resolve_argv
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime, ProbeState
from chaoskit.sim.kubelet.shell import Alloc, Forever, Sleep
from chaoskit.sim.kubelet.status import pod_status, terminated_dict
from chaoskit.sim.objects import Obj, clone, get_path

MAX_BACKOFF = 300.0
INITIAL_BACKOFF = 10.0
BACKOFF_RESET = 600.0
KUBELET_VERSION = "v1.37.1"

Flow = Generator[float, None, str | None]


def go_duration(seconds: float) -> str:
    """Go's time.Duration String() for the values kubelet events print."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


class NodeAgent:
    """The kubelet of one node."""

    def __init__(self, kubelet: Kubelet, node_name: str, index: int, host_ip: str) -> None:
        self.kubelet = kubelet
        self.name = node_name
        self.index = index
        self.host_ip = host_ip
        self.running = True
        self.pods: dict[tuple[str, str], PodRuntime] = {}
        self.images: dict[str, int] = {}
        self.pull_free_at = 0.0
        self.pulling: set[str] = set()
        self._next_ip = 2

    # ------------------------------------------------------------------ helpers

    @property
    def ctx(self) -> Ctx:
        return self.kubelet.ctx

    @property
    def now(self) -> float:
        return self.ctx.loop.now

    def event(self, pod: Obj, etype: str, reason: str, message: str, container: str = "", init: bool = False) -> None:
        group = "initContainers" if init else "containers"
        rt = self.pods.get((pod["metadata"]["namespace"], pod["metadata"]["name"]))
        if rt is not None and container in rt.ephemeral_order:
            group = "ephemeralContainers"
        path = f"spec.{group}{{{container}}}" if container else ""
        self.ctx.recorder.event(pod, etype, reason, message, "kubelet", host=self.name, field_path=path)

    def kick(self, rt: PodRuntime) -> None:
        self.kubelet.enqueue((self.name, rt.namespace, rt.name))

    def later(self, delay: float, fn: Any) -> None:
        self.ctx.loop.call_later(delay, fn)

    def pod_of(self, rt: PodRuntime) -> Obj | None:
        pod = self.ctx.store.try_get("Pod", rt.namespace, rt.name)
        if pod is None or pod["metadata"]["uid"] != rt.uid:
            return None
        return pod

    # ------------------------------------------------------------------ sync

    def sync(self, ns: str, name: str) -> None:
        pod = self.ctx.store.try_get("Pod", ns, name)
        rt = self.pods.get((ns, name))
        if rt is not None and (pod is None or pod["metadata"]["uid"] != rt.uid):
            self._forget(rt)
            rt = None
        if pod is None or get_path(pod, "spec.nodeName") != self.name or not self.running:
            return
        if rt is None:
            if "deletionTimestamp" in pod["metadata"]:
                self.ctx.store.delete("Pod", ns, name, grace=0)
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
        rt = PodRuntime(md["namespace"], md["name"], md["uid"], start_time=self.now, hostname=md["name"])
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
            if host_network:
                rt.ip = self.host_ip
            else:
                rt.ip = f"10.244.{self.index}.{self._next_ip}"
                self._next_ip = self._next_ip + 1 if self._next_ip < 254 else 2
            rt.files = pod_files(rt.namespace, rt.name, rt.ip)
            rt.sandbox_ready = True
            self.kick(rt)

        self.later(self.ctx.timings.sandbox_start, sandbox_ready)
        return rt

    def _drive(self, rt: PodRuntime, pod: Obj) -> None:
        if not rt.sandbox_ready:
            return
        for c in rt.inits():
            if c.succeeded:
                continue
            if not c.busy and c.state != "running" and not self._stays_stopped(pod, c):
                self._start_flow(rt, c)
            return
        for c in rt.apps():
            if not c.busy and c.state != "running" and not self._stays_stopped(pod, c):
                self._start_flow(rt, c)
        for c in rt.ephemerals():
            if not c.busy and c.state == "waiting" and not c.container_id:
                self._start_flow(rt, c)

    def _stays_stopped(self, pod: Obj, c: ContainerRuntime) -> bool:
        if c.state != "terminated":
            return False
        if c.ephemeral:
            return True
        policy = get_path(pod, "spec.restartPolicy", "Always")
        if c.init:
            return c.exit_code == 0 or policy == "Never"
        return policy == "Never" or (policy == "OnFailure" and c.exit_code == 0)

    # ------------------------------------------------------------------ the start flow

    def _start_flow(self, rt: PodRuntime, c: ContainerRuntime) -> None:
        c.busy = True
        c.flow = self._start_steps(rt, c)
        instance = c.instance
        self._step_flow(rt, c, instance)

    def _step_flow(self, rt: PodRuntime, c: ContainerRuntime, instance: int) -> None:
        if rt.removed or rt.terminating or c.instance != instance or c.flow is None:
            return
        try:
            delay = next(c.flow)
        except StopIteration as done:
            c.flow = None
            if done.value != "started":
                c.busy = False  # a started process manages busy itself (exit -> restart wait)
            self.kick(rt)
            return
        self.kick(rt)
        self.later(delay, lambda: self._step_flow(rt, c, instance))

    def _start_steps(self, rt: PodRuntime, c: ContainerRuntime) -> Flow:
        pod = self.pod_of(rt)
        if pod is None:
            return None
        retry = self.ctx.timings.pod_sync_retry
        try:
            files = volume_files(self.ctx.store, pod, c.spec)
        except MountError as exc:
            self.event(pod, "Warning", "FailedMount", str(exc))
            yield retry
            return "retry"
        # Image
        image = str(c.spec.get("image", ""))
        try:
            ref = images.parse(image)
        except images.InvalidImage as exc:
            c.state, c.reason, c.message = "waiting", "InvalidImageName", str(exc)
            self.event(pod, "Warning", "InspectFailed", str(exc), c.name, c.init)
            self.event(pod, "Warning", "Failed", "Error: InvalidImageName", c.name, c.init)
            yield retry
            return "retry"
        yield from self._pull(rt, c, pod, ref, image)
        if c.reason in ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull") and c.state == "waiting":
            return "retry"
        # Configuration (env) is resolved when the container is created.
        try:
            env = container_env(self.ctx.store, pod, c.spec,
                                service_env(self.ctx.store, rt.namespace)
                                if get_path(pod, "spec.enableServiceLinks", True) else {})
        except ContainerConfigError as exc:
            if c.state != "terminated":
                c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", str(exc)
            self.event(pod, "Warning", "Failed", f"Error: {exc}", c.name, c.init)
            yield retry
            return "retry"
        yield self.ctx.timings.container_start
        c.busy = False
        self._create_and_start(rt, c, pod, ref, env, files)
        return "started"

    def _pull(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, ref: images.ImageRef, image: str) -> Flow:
        policy = c.spec.get("imagePullPolicy") or admission.image_pull_policy(image)
        present = ref.canonical in self.images
        if policy == "Never" and not present:
            c.state, c.reason = "waiting", "ErrImageNeverPull"
            c.message = f'Container image "{image}" is not present with pull policy of Never'
            self.event(pod, "Warning", "ErrImageNeverPull", c.message, c.name, c.init)
            yield self.ctx.timings.pod_sync_retry
            return None
        if present and policy != "Always":
            self.event(pod, "Normal", "Pulled",
                       f'Container image "{image}" already present on machine and can be accessed by the pod',
                       c.name, c.init)
            return None
        if c.pull_backoff_until > self.now:
            yield from self._pull_backoff(c, pod, image)
            return None
        self.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', c.name, c.init)
        error = images.pull_error(ref)
        repo = images.lookup(ref)
        size = repo.sizes.get(ref.tag, repo.size) if repo else 0
        wait = max(0.0, self.pull_free_at - self.now)
        # Layers already on the node (a re-pull, or an earlier pull in the queue) cost only the round trips.
        cached = present or ref.canonical in self.pulling
        took = self.ctx.timings.pull_latency + (0 if error or cached else size / self.ctx.timings.pull_bandwidth)
        self.pulling.add(ref.canonical)
        self.pull_free_at = self.now + wait + took
        yield wait + took
        if error:
            c.pull_failures += 1
            backoff = min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** (c.pull_failures - 1))
            c.pull_backoff_until = self.now + backoff
            c.state, c.reason, c.message = "waiting", "ErrImagePull", error
            c.image = image
            self.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}', c.name, c.init)
            self.event(pod, "Warning", "Failed", "Error: ErrImagePull", c.name, c.init)
            yield 1.0
            yield from self._pull_backoff(c, pod, image)
            return None
        c.pull_failures = 0
        c.pull_backoff_until = 0.0
        if ref.canonical not in self.images:
            self.images[ref.canonical] = size
            self.kubelet.node_images_changed(self)
        self.event(pod, "Normal", "Pulled",
                   f'Successfully pulled image "{image}" in {go_duration(took)} ({go_duration(took + wait)} '
                   f"including waiting). Image size: {size} bytes.", c.name, c.init)
        return None

    def _pull_backoff(self, c: ContainerRuntime, pod: Obj, image: str) -> Flow:
        error = c.message if c.reason == "ErrImagePull" else c.message.split(": ErrImagePull: ", 1)[-1]
        c.state, c.reason = "waiting", "ImagePullBackOff"
        c.message = f'Back-off pulling image "{image}": ErrImagePull: {error}'
        self.event(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"', c.name, c.init)
        self.event(pod, "Warning", "Failed", "Error: ImagePullBackOff", c.name, c.init)
        yield max(0.0, c.pull_backoff_until - self.now)
        c.reason = "ErrImagePull"  # marks "retry the pull" for the flow
        return None

    def _create_and_start(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, ref: images.ImageRef,
                          env: dict[str, str], files: dict[str, str]) -> None:
        repo = images.lookup(ref) or images.Repo((), 0, "shell", cmd=("sh",))
        if c.state == "terminated":
            c.last = terminated_dict(c)
        if c.container_id:
            # restartCount is the number of earlier instances; logs --previous reads the last one.
            c.restarts += 1
            c.prev_logs, c.logs = c.logs, []
        c.instance += 1
        c.container_id = "containerd://" + self.ctx.ids.hex(64)
        c.image = ref.canonical
        c.image_id = images.image_id(ref)
        env = {**dict(repo.env), **env}
        argv = resolve_argv(repo, c.spec)
        c.started_at = self.now
        self.event(pod, "Normal", "Created", "Container created", c.name, c.init)
        try:
            model = model_for(repo, argv, repo.tools_for(ref.tag))
        except StartError as exc:
            self._start_failed(rt, c, pod, str(exc))
            return
        def write(text: str) -> None:
            c.log(self.now, text)

        proc = model(argv, env, {**rt.files, **files}, repo.tools_for(ref.tag), rt.hostname, self.ctx.ids.rng, write,
                     lambda: self.now)
        proc.net, proc.namespace, proc.pod_ip = self.kubelet.net, rt.namespace, rt.ip
        proc.interactive = bool(c.spec.get("stdin"))
        c.proc = proc
        c.state, c.reason, c.message = "running", "", ""
        c.ready = False
        c.started = "startupProbe" not in c.spec
        c.killing = False
        self.event(pod, "Normal", "Started", "Container started", c.name, c.init)
        if not c.init and not c.ephemeral:
            self._start_probes(rt, c)
        if c.ephemeral:
            c.ready, c.started = False, True
        self._run_process(rt, c, proc.run(), c.instance)

    def _start_failed(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, detail: str) -> None:
        message = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
                   "create failed: unable to start container process: error during container init: "
                   f"{detail}: unknown")
        self.event(pod, "Warning", "Failed", f"Error: {message}", c.name, c.init)
        self._exited(rt, c, 128, "StartError", message)

    # ------------------------------------------------------------------ running processes

    def _run_process(self, rt: PodRuntime, c: ContainerRuntime, gen: Any, instance: int) -> None:
        proc = c.proc
        assert proc is not None
        proc.on_exit = lambda code: self.later(0, lambda: self._exited_if(rt, c, instance, code))

        def step() -> None:
            if rt.removed or c.instance != instance or c.state != "running":
                return
            try:
                item = next(gen)
            except StopIteration as done:
                self._exited(rt, c, int(done.value or 0) & 0xFF)
                return
            except StartError as exc:
                pod = self.pod_of(rt)
                if pod is not None:
                    self._start_failed(rt, c, pod, str(exc))
                return
            if self._check_oom(rt, c):
                return
            if isinstance(item, Sleep):
                self.later(item.seconds, step)
            elif isinstance(item, Alloc):
                proc.memory = item.bytes
                if not self._check_oom(rt, c):
                    self.later(0, step)
            elif isinstance(item, Forever):
                return

        step()

    def _exited_if(self, rt: PodRuntime, c: ContainerRuntime, instance: int, code: int) -> None:
        if c.instance == instance and c.state == "running":
            self._exited(rt, c, code)

    def _check_oom(self, rt: PodRuntime, c: ContainerRuntime) -> bool:
        limit = get_path(c.spec, "resources.limits.memory")
        if limit is None or c.proc is None:
            return False
        if c.proc.memory > quantity.bytes_of(limit):
            self._exited(rt, c, 137, "OOMKilled")
            return True
        return False

    def _exited(self, rt: PodRuntime, c: ContainerRuntime, code: int, reason: str | None = None,
                message: str = "") -> None:
        """The container stopped: record it, then restart it per restartPolicy with back-off."""
        ran = self.now - (c.started_at or self.now)
        c.instance += 1
        c.cancel_probes()
        c.state, c.exit_code = "terminated", code
        c.reason = reason or ("Completed" if code == 0 else "Error")
        c.message = message
        c.finished_at = self.now
        c.ready = c.started = False
        c.proc = None
        c.busy = True
        self.kick(rt)
        pod = self.pod_of(rt)
        if pod is None or rt.terminating:
            c.busy = False
            self._maybe_finish_termination(rt)
            return
        if self._stays_stopped(pod, c):
            c.busy = False
            return
        if ran >= BACKOFF_RESET:
            c.crash_count = 0
        delay = 0.0 if c.crash_count == 0 else min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** (c.crash_count - 1))
        c.crash_count += 1
        instance = c.instance
        c.restart_at = self.now + (delay or 1.0)
        if delay == 0:
            self.later(1.0, lambda: self._restart(rt, c, instance))
            return

        def enter_backoff() -> None:
            if c.instance != instance or rt.removed or rt.terminating:
                return
            c.last = terminated_dict(c)
            c.state, c.reason = "waiting", "CrashLoopBackOff"
            c.message = (f"back-off {go_duration(delay)} restarting failed container={c.name} "
                         f"pod={rt.name}_{rt.namespace}({rt.uid})")
            current = self.pod_of(rt)
            if current is not None:
                self.event(current, "Warning", "BackOff", f"Back-off restarting failed container {c.name} in pod "
                           f"{rt.name}_{rt.namespace}({rt.uid})", c.name, c.init)
            self.kick(rt)

        self.later(min(1.0, delay), enter_backoff)
        self.later(delay, lambda: self._restart(rt, c, instance))

    def _restart(self, rt: PodRuntime, c: ContainerRuntime, instance: int) -> None:
        if c.instance != instance or rt.removed or rt.terminating:
            return
        c.busy = False
        c.restart_at = None
        self.kick(rt)

    # ------------------------------------------------------------------ probes

    def _start_probes(self, rt: PodRuntime, c: ContainerRuntime, keep_ready: bool = False) -> None:
        """Arm the probes of a started container (``keep_ready``: a restored one, already probed)."""
        elapsed = self.now - (c.started_at or self.now)
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = c.spec.get(kind)
            if not probe:
                continue
            if kind == "startupProbe" and c.started:
                continue
            if kind != "startupProbe" and "startupProbe" in c.spec and not c.started:
                continue  # started once the startup probe succeeds
            delay = float(probe.get("initialDelaySeconds", 0))
            if keep_ready:
                delay = max(0.0, delay - elapsed) or float(probe.get("periodSeconds", 10))
            self._schedule_probe(rt, c, kind, delay)
        if "readinessProbe" not in c.spec and "startupProbe" not in c.spec:
            c.ready = True

    def _schedule_probe(self, rt: PodRuntime, c: ContainerRuntime, kind: str, delay: float) -> None:
        state = c.probes.setdefault(kind, ProbeState())
        instance = c.instance
        state.timer = self.ctx.loop.call_later(delay, lambda: self._probe(rt, c, kind, instance))

    def _probe(self, rt: PodRuntime, c: ContainerRuntime, kind: str, instance: int) -> None:
        if rt.removed or rt.terminating or c.instance != instance or c.state != "running" or c.killing:
            return
        probe = c.spec[kind]
        state = c.probes[kind]
        result = run_probe(probe, c.spec, c.proc, rt.ip)
        label = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}[kind]
        pod = self.pod_of(rt)
        if pod is None:
            return
        if result.ok:
            state.failures = 0
            state.successes += 1
            if state.successes >= int(probe.get("successThreshold", 1)):
                self._probe_passed(rt, c, kind)
        else:
            state.successes = 0
            state.failures += 1
            self.event(pod, "Warning", "Unhealthy", f"{label} probe failed: {result.output}", c.name)
            if state.failures >= int(probe.get("failureThreshold", 3)):
                if kind == "readinessProbe":
                    if c.ready:
                        c.ready = False
                        self.kick(rt)
                else:
                    self._probe_kill(rt, c, pod, "startup" if kind == "startupProbe" else "liveness")
                    return
        if kind == "startupProbe" and c.started:
            return
        if c.instance == instance and c.state == "running":
            self._schedule_probe(rt, c, kind, float(probe.get("periodSeconds", 10)))

    def _probe_passed(self, rt: PodRuntime, c: ContainerRuntime, kind: str) -> None:
        if kind == "readinessProbe" and not c.ready:
            c.ready = True
            self.kick(rt)
        elif kind == "startupProbe" and not c.started:
            c.started = True
            c.probes.pop("startupProbe", None)
            for other in ("livenessProbe", "readinessProbe"):
                probe = c.spec.get(other)
                if probe:
                    elapsed = self.now - (c.started_at or self.now)
                    self._schedule_probe(rt, c, other, max(0.0, float(probe.get("initialDelaySeconds", 0)) - elapsed))
            if "readinessProbe" not in c.spec:
                c.ready = True
            self.kick(rt)

    def _probe_kill(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, which: str) -> None:
        self.event(pod, "Normal", "Killing", f"Container {c.name} failed {which} probe, will be restarted", c.name)
        probe = c.spec.get("livenessProbe" if which == "liveness" else "startupProbe") or {}
        grace = probe.get("terminationGracePeriodSeconds", get_path(pod, "spec.terminationGracePeriodSeconds", 30))
        self._kill(rt, c, float(grace))

    def _kill(self, rt: PodRuntime, c: ContainerRuntime, grace: float) -> None:
        """SIGTERM, then SIGKILL after the grace period if the process has not exited."""
        proc = c.proc
        if proc is None or c.state != "running":
            return
        c.killing = True
        c.cancel_probes()
        instance = c.instance
        if proc.shutdown_seconds <= grace:
            delay, code = proc.shutdown_seconds, proc.sigterm_code
        else:
            delay, code = grace, 137
        self.later(delay, lambda: self._exited_if(rt, c, instance, code))

    # ------------------------------------------------------------------ termination

    def _terminate(self, rt: PodRuntime, pod: Obj) -> None:
        rt.terminating = True
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds", 30))
        for c in rt.containers.values():
            c.flow = None
            c.busy = False
            if c.state == "running":
                self.event(pod, "Normal", "Killing", f"Stopping container {c.name}", c.name, c.init)
                self._kill(rt, c, grace)
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
        if self.ctx.store.try_get("Pod", rt.namespace, rt.name) is not None:
            self.later(0, lambda: self._delete_pod(rt))

    def _delete_pod(self, rt: PodRuntime) -> None:
        pod = self.ctx.store.try_get("Pod", rt.namespace, rt.name)
        if pod is not None and pod["metadata"]["uid"] == rt.uid:
            self.ctx.store.delete("Pod", rt.namespace, rt.name, grace=0)

    # ------------------------------------------------------------------ status

    def _write_status(self, rt: PodRuntime, pod: Obj) -> None:
        qos = get_path(pod, "status.qosClass") or admission.qos_class(pod["spec"])
        status = pod_status(pod, rt, self.host_ip, self.now, qos)
        if status != pod.get("status"):
            self.ctx.store.update_status({**pod, "status": status})

    # ------------------------------------------------------------------ snapshot and restore

    def snapshot(self) -> dict[str, Any]:
        return {"running": self.running, "images": self.images, "next_ip": self._next_ip,
                "pods": [rt.snapshot() for rt in self.pods.values() if not rt.removed]}

    def restore(self, data: dict[str, Any]) -> None:
        """Rebuild the kubelet's view after a restart: processes resume, timers are re-armed."""
        self.running = bool(data.get("running", True))
        self.images.update({str(k): int(v) for k, v in (data.get("images") or {}).items()})
        self._next_ip = int(data.get("next_ip", 2))
        for saved in data.get("pods") or []:
            pod = self.ctx.store.try_get("Pod", saved["namespace"], saved["name"])
            if pod is None or pod["metadata"]["uid"] != saved["uid"]:
                continue
            specs = {c["name"]: c for c in (get_path(pod, "spec.initContainers", []) or [])
                     + (get_path(pod, "spec.containers", []) or [])
                     + (get_path(pod, "spec.ephemeralContainers", []) or [])}
            rt = PodRuntime(saved["namespace"], saved["name"], saved["uid"], ip=saved["ip"],
                            start_time=saved["start_time"], sandbox_ready=saved["sandbox_ready"],
                            terminating=saved["terminating"], hostname=saved["hostname"],
                            init_order=list(saved["init_order"]), app_order=list(saved["app_order"]),
                            ephemeral_order=list(saved.get("ephemeral_order", [])))
            for name, cdata in saved["containers"].items():
                if name in specs:
                    rt.containers[name] = ContainerRuntime.restore(specs[name], cdata)
            self.pods[rt.key] = rt
            for c in rt.containers.values():
                self._resume(rt, c, pod)

    def _resume(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj) -> None:
        if c.state == "running":
            try:
                ref = images.parse(str(c.spec.get("image", "")))
                env = container_env(self.ctx.store, pod, c.spec, service_env(self.ctx.store, rt.namespace))
                files = volume_files(self.ctx.store, pod, c.spec)
                repo = images.lookup(ref) or images.Repo((), 0, "shell", cmd=("sh",))
                argv = resolve_argv(repo, c.spec)
                model = model_for(repo, argv, repo.tools_for(ref.tag))
            except (images.InvalidImage, ContainerConfigError, MountError, StartError):
                self._exited(rt, c, 137, "Error")
                return
            quiet = [True]

            def write(text: str) -> None:
                if not quiet[0]:
                    c.log(self.now, text)

            proc = model(argv, {**dict(repo.env), **env}, {**rt.files, **files}, repo.tools_for(ref.tag), rt.hostname,
                         self.ctx.ids.rng, write, lambda: self.now)
            proc.net, proc.namespace, proc.pod_ip = self.kubelet.net, rt.namespace, rt.ip
            c.proc = proc
            c.instance += 1
            if not c.init:
                self._start_probes(rt, c, keep_ready=True)
            self._run_process(rt, c, proc.run(), c.instance)
            quiet[0] = False
        elif c.restart_at is not None:
            c.busy = True
            instance = c.instance
            self.ctx.loop.call_at(c.restart_at, lambda: self._restart(rt, c, instance))

    # ------------------------------------------------------------------ reads for the API server

    def logs(self, ns: str, name: str, container: str, previous: bool) -> list[tuple[float, str]] | None:
        rt = self.pods.get((ns, name))
        if rt is None or container not in rt.containers:
            return None
        c = rt.containers[container]
        return list(c.prev_logs if previous else c.logs)

    def process(self, ns: str, name: str, container: str | None = None) -> Process | None:
        rt = self.pods.get((ns, name))
        if rt is None:
            return None
        for c in rt.apps() + rt.ephemerals():
            if (container is None or c.name == container) and c.state == "running":
                return c.proc
        return None


class Kubelet(Controller):
    """Routes pod changes to the node agents and keeps node status and leases."""

    name = "kubelet"

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.agents: dict[str, NodeAgent] = {}
        self.net = ClusterNet(ctx.store, self.process_of, lambda n: ctx.ids.rng.randrange(n))

    def add_node(self, node: Obj, index: int, host_ip: str, register: bool = True) -> NodeAgent:
        name = node["metadata"]["name"]
        agent = NodeAgent(self, name, index, host_ip)
        self.agents[name] = agent
        if register:
            self._renew(agent)
        self.ctx.loop.call_later(self.ctx.timings.lease_renew, lambda: self._lease_loop(agent))
        self.ctx.loop.call_later(self.ctx.timings.node_status_report, lambda: self._status_loop(agent))
        return agent

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Pod":
            node = get_path(obj, "spec.nodeName")
            if node in self.agents:
                self.enqueue((node, obj["metadata"]["namespace"], obj["metadata"]["name"]))

    def reconcile(self, key: Any) -> None:
        node, ns, name = key
        agent = self.agents.get(node)
        if agent is not None:
            agent.sync(ns, name)

    # ------------------------------------------------------------------ node heartbeat

    def _renew(self, agent: NodeAgent) -> None:
        store = self.ctx.store
        renew = iso_micro(self.ctx.loop.now)
        lease = store.try_get("Lease", "kube-node-lease", agent.name)
        if lease is None:
            node = store.try_get("Node", "", agent.name)
            store.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                          "metadata": {"name": agent.name, "namespace": "kube-node-lease",
                                       "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": agent.name,
                                                            "uid": node["metadata"]["uid"] if node else ""}]},
                          "spec": {"holderIdentity": agent.name, "leaseDurationSeconds": 40,
                                   "renewTime": renew}})
        else:
            new = clone(lease)
            new["spec"]["renewTime"] = renew
            store.update(new)

    def _lease_loop(self, agent: NodeAgent) -> None:
        if agent.running:
            self._renew(agent)
        self.ctx.loop.call_later(self.ctx.timings.lease_renew, lambda: self._lease_loop(agent))

    def _status_loop(self, agent: NodeAgent) -> None:
        if agent.running:
            self.post_node_status(agent)
        self.ctx.loop.call_later(self.ctx.timings.node_status_report, lambda: self._status_loop(agent))

    def post_node_status(self, agent: NodeAgent, ready: bool = True) -> None:
        node = self.ctx.store.try_get("Node", "", agent.name)
        if node is None:
            return
        now = iso(self.ctx.loop.now)
        new = clone(node)
        conds = []
        for ctype, reason, message in NODE_CONDITIONS:
            old = next((c for c in get_path(node, "status.conditions", []) or [] if c["type"] == ctype), None)
            status = "True" if ctype == "Ready" else "False"
            conds.append({"type": ctype, "status": status, "lastHeartbeatTime": now,
                          "lastTransitionTime": old["lastTransitionTime"] if old and old["status"] == status else now,
                          "reason": reason, "message": message})
        new["status"]["conditions"] = conds
        new["status"]["images"] = [
            {"names": [images.image_id(images.parse(ref)), ref], "sizeBytes": size}
            for ref, size in sorted(agent.images.items())]
        self.ctx.store.update_status(new)

    def node_images_changed(self, agent: NodeAgent) -> None:
        node = self.ctx.store.try_get("Node", "", agent.name)
        if node is None:
            return
        new = clone(node)
        new["status"]["images"] = [
            {"names": [images.image_id(images.parse(ref)), ref], "sizeBytes": size}
            for ref, size in sorted(agent.images.items())]
        self.ctx.store.update_status(new)

    # ------------------------------------------------------------------ faults a real API cannot express

    def stop(self, node: str) -> None:
        """The node's kubelet stops posting status (the node goes NotReady after the grace period)."""
        self.agents[node].running = False

    def start(self, node: str) -> None:
        agent = self.agents[node]
        if agent.running:
            return
        agent.running = True
        self._renew(agent)
        self.post_node_status(agent)
        for pod in self.ctx.store.by_index("Pod", "node", node):
            self.enqueue((node, pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def exec_process(self, ns: str, name: str, container: str | None) -> Process:
        """The running process an exec enters, or the error kubelet answers with."""
        pod = self.ctx.store.try_get("Pod", ns, name)
        if pod is None:
            raise not_found("pods", name)
        names = [c["name"] for c in (get_path(pod, "spec.containers", []) or [])
                 + (get_path(pod, "spec.ephemeralContainers", []) or [])]
        target = container or (names[0] if names else "")
        if target not in names:
            raise BadRequest(f"container {target} is not valid for pod {name}")
        proc = self.process_of(ns, name, target)
        if proc is None:
            raise BadRequest(f'container not found ("{target}")')
        return proc

    def exec(self, ns: str, name: str, container: str | None, argv: list[str]) -> tuple[int, str]:
        pod = self.ctx.store.get("Pod", ns, name)
        agent = self.agents.get(get_path(pod, "spec.nodeName") or "")
        proc = agent.process(ns, name, container) if agent else None
        if proc is None:
            return 1, "container not found"
        code, output, _ = proc.exec(argv)
        return code, output

    def logs(self, ns: str, name: str, container: str, previous: bool = False) -> list[tuple[float, str]] | None:
        pod = self.ctx.store.try_get("Pod", ns, name)
        if pod is None:
            return None
        agent = self.agents.get(get_path(pod, "spec.nodeName") or "")
        return agent.logs(ns, name, container, previous) if agent else None

    def process_of(self, ns: str, name: str, container: str | None = None) -> Process | None:
        pod = self.ctx.store.try_get("Pod", ns, name)
        if pod is None:
            return None
        agent = self.agents.get(get_path(pod, "spec.nodeName") or "")
        return agent.process(ns, name, container) if agent else None


def pod_files(namespace: str, name: str, ip: str) -> dict[str, str]:
    """The files kubelet writes into every container: resolv.conf, hosts, hostname, the SA token."""
    return {
        "/etc/resolv.conf": f"search {namespace}.svc.cluster.local svc.cluster.local cluster.local\n"
                            f"nameserver {DNS_IP}\noptions ndots:5\n",
        "/etc/hosts": "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                      "ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\n"
                      f"fe00::2\tip6-allrouters\n{ip}\t{name}\n",
        "/etc/hostname": f"{name}\n",
        "/var/run/secrets/kubernetes.io/serviceaccount/namespace": namespace,
        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt": "-----BEGIN CERTIFICATE-----\n(chaoskit)\n"
                                                                "-----END CERTIFICATE-----\n",
        "/var/run/secrets/kubernetes.io/serviceaccount/token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImNoYW9za2l0In0.e30.sig",
    }


NODE_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "KubeletReady", "kubelet is posting ready status"),
)

__all__ = ["KUBELET_VERSION", "Kubelet", "NodeAgent", "go_duration"]
