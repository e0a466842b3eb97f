"""A started container until it stops, and when it may start again: the process is driven step by
step, killed on OOM or on request (SIGTERM, then SIGKILL after the grace period), and restarted per
``restartPolicy`` with kubelet's back-off (10 s doubling to 5 min, reset after 10 min of running:
``CrashLoopBackOff``), as kuberuntime's ``doBackOff`` does.
"""

from __future__ import annotations

from collections.abc import Callable

from chaoskit.kube import quantity
from chaoskit.sim.kubelet.context import NodeContext
from chaoskit.sim.kubelet.process import StartError
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime
from chaoskit.sim.kubelet.shell import Alloc, Forever, Run, Sleep
from chaoskit.sim.kubelet.status import go_duration, terminated_dict
from chaoskit.sim.objects import Obj, get_path

MAX_BACKOFF = 300.0
INITIAL_BACKOFF = 10.0
BACKOFF_RESET = 600.0


def backoff(failures: int) -> float:
    """The wait after the ``failures``-th failure in a row (kubelet's MaxContainerBackOff caps it);
    image pulls back off on the same curve."""
    # the exponent is bounded: after a thousand failures 2**n no longer fits a float (OverflowError)
    return min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** min(max(failures - 1, 0), 16))


def stays_stopped(pod: Obj, c: ContainerRuntime) -> bool:
    """Whether a terminated container is done for good under the pod's restartPolicy."""
    if c.state != "terminated":
        return False
    if c.ephemeral:
        return True
    policy = get_path(pod, "spec.restartPolicy", "Always")
    if c.init:
        return c.exit_code == 0 or policy == "Never"
    return policy == "Never" or (policy == "OnFailure" and c.exit_code == 0)


class Supervisor:
    """Runs, kills and restarts the containers of one node.

    ``stopped_while_terminating`` is the pod worker's hook: the last container of a deleted pod
    to stop lets the pod go.
    """

    def __init__(self, node: NodeContext, stopped_while_terminating: Callable[[PodRuntime], None]) -> None:
        self.node = node
        self._stopped_while_terminating = stopped_while_terminating

    # ------------------------------------------------------------------ a running process

    def run(self, rt: PodRuntime, c: ContainerRuntime, gen: Run, instance: int) -> None:
        """Drive the process body: sleeps on the clock, allocations against the memory limit."""
        proc = c.proc
        assert proc is not None
        node = self.node

        def on_exit(code: int) -> None:  # the process ends itself (podinfo's /panic, an attached shell's exit)
            node.later(0, lambda: self.exited_if(rt, c, instance, code))

        proc.on_exit = on_exit

        def step() -> None:
            if rt.removed or c.instance != instance or c.state != "running":
                return
            try:
                item = next(gen)
            except StopIteration as done:
                self.exited(rt, c, int(done.value or 0) & 0xFF)
                return
            except StartError as exc:
                pod = node.pod_of(rt)
                if pod is not None:
                    self.start_failed(rt, c, pod, str(exc))
                return
            if self.check_oom(rt, c):
                return
            if isinstance(item, Sleep):
                node.later(item.seconds, step)
            elif isinstance(item, Alloc):
                proc.memory = item.bytes
                if not self.check_oom(rt, c):
                    node.later(0, step)
            elif isinstance(item, Forever):
                return

        step()

    def check_oom(self, rt: PodRuntime, c: ContainerRuntime) -> bool:
        limit = get_path(c.spec, "resources.limits.memory")
        if limit is None or c.proc is None:
            return False
        if c.proc.memory > quantity.bytes_of(limit):
            self.exited(rt, c, 137, "OOMKilled")
            return True
        return False

    def kill(self, rt: PodRuntime, c: ContainerRuntime, grace: float) -> None:
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
        self.node.later(delay, lambda: self.exited_if(rt, c, instance, code))

    def start_failed(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, detail: str) -> None:
        """runc could not exec the command: exit 128, reason StartError, worded as containerd words it."""
        message = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
                   "create failed: unable to start container process: error during container init: "
                   f"{detail}: unknown")
        self.node.event(pod, "Warning", "Failed", f"Error: {message}", c.name, c.init)
        self.exited(rt, c, 128, "StartError", message)

    # ------------------------------------------------------------------ exit and restart

    def exited_if(self, rt: PodRuntime, c: ContainerRuntime, instance: int, code: int) -> None:
        """An exit that may be stale: only the instance it was scheduled for, and only if still running."""
        if c.instance == instance and c.state == "running":
            self.exited(rt, c, code)

    def exited(self, rt: PodRuntime, c: ContainerRuntime, code: int, reason: str | None = None,
               message: str = "") -> None:
        """The container stopped: record it, then restart it per restartPolicy with back-off."""
        node = self.node
        ran = node.now - (c.started_at or node.now)
        c.instance += 1
        c.cancel_probes()
        c.state, c.exit_code = "terminated", code
        c.reason = reason or ("Completed" if code == 0 else "Error")
        c.message = message
        c.finished_at = node.now
        c.ready = c.started = False
        c.proc = None
        c.busy = True
        node.kick(rt)
        pod = node.pod_of(rt)
        if pod is None or rt.terminating:
            c.busy = False
            self._stopped_while_terminating(rt)
            return
        if stays_stopped(pod, c):
            c.busy = False
            return
        if ran >= BACKOFF_RESET:
            c.crash_count = 0
        delay = 0.0 if c.crash_count == 0 else backoff(c.crash_count)
        c.crash_count += 1
        instance = c.instance
        c.restart_at = node.now + (delay or 1.0)
        if delay == 0:
            node.later(1.0, lambda: self.restart(rt, c, instance))
            return

        def enter_backoff() -> None:
            if c.instance != instance or rt.removed or rt.terminating:
                return
            c.last = terminated_dict(c)
            c.state, c.reason = "waiting", "CrashLoopBackOff"
            c.message = (f"back-off {go_duration(delay)} restarting failed container={c.name} "
                         f"pod={rt.name}_{rt.namespace}({rt.uid})")
            current = node.pod_of(rt)
            if current is not None:
                node.event(current, "Warning", "BackOff", f"Back-off restarting failed container {c.name} in pod "
                           f"{rt.name}_{rt.namespace}({rt.uid})", c.name, c.init)
            node.kick(rt)

        node.later(min(1.0, delay), enter_backoff)
        node.later(delay, lambda: self.restart(rt, c, instance))

    def restart(self, rt: PodRuntime, c: ContainerRuntime, instance: int) -> None:
        """The back-off is over: the next sync starts the container again."""
        if c.instance != instance or rt.removed or rt.terminating:
            return
        c.busy = False
        c.restart_at = None
        self.node.kick(rt)

    def rearm_restart(self, rt: PodRuntime, c: ContainerRuntime) -> None:
        """Re-arm a restart that was pending when the simulator stopped (snapshot restore)."""
        if c.restart_at is None:
            return
        c.busy = True
        instance = c.instance
        self.node.at(c.restart_at, lambda: self.restart(rt, c, instance))
