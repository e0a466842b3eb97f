"""Per-container probe workers, as the kubelet's prober runs them (prober/worker.go).

Each probe runs every ``periodSeconds`` after ``initialDelaySeconds``; ``failureThreshold`` failures
in a row make readiness false, or kill the container for liveness and startup; liveness and
readiness wait until the startup probe has passed. What one probe run answers is ``probes.py``.
"""

from __future__ import annotations

from chaoskit.sim.kubelet.context import NodeContext
from chaoskit.sim.kubelet.probes import run_probe
from chaoskit.sim.kubelet.restarts import Supervisor
from chaoskit.sim.kubelet.runtime import ContainerRuntime, PodRuntime, ProbeState
from chaoskit.sim.objects import Obj, get_path

KINDS = ("startupProbe", "livenessProbe", "readinessProbe")
LABELS = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}


class Prober:
    """The probe workers of one node; a failed liveness or startup probe asks the supervisor to kill."""

    def __init__(self, node: NodeContext, supervisor: Supervisor) -> None:
        self.node = node
        self.supervisor = supervisor

    def start(self, rt: PodRuntime, c: ContainerRuntime, keep_ready: bool = False) -> None:
        """Arm the probes of a started container (``keep_ready``: a restored one, already probed)."""
        elapsed = self.node.now - (c.started_at or self.node.now)
        for kind in KINDS:
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
            self._schedule(rt, c, kind, delay)
        if "readinessProbe" not in c.spec and "startupProbe" not in c.spec:
            c.ready = True

    def _schedule(self, rt: PodRuntime, c: ContainerRuntime, kind: str, delay: float) -> None:
        state = c.probes.setdefault(kind, ProbeState())
        instance = c.instance
        state.timer = self.node.later(delay, lambda: self._probe(rt, c, kind, instance))

    def _probe(self, rt: PodRuntime, c: ContainerRuntime, kind: str, instance: int) -> None:
        if rt.removed or rt.terminating or c.instance != instance or c.state != "running" or c.killing:
            return
        probe = c.spec[kind]
        state = c.probes[kind]
        result = run_probe(probe, c.spec, c.proc, rt.ip)
        pod = self.node.pod_of(rt)
        if pod is None:
            return
        if result.ok:
            state.failures = 0
            state.successes += 1
            if state.successes >= int(probe.get("successThreshold", 1)):
                self._passed(rt, c, kind)
        else:
            state.successes = 0
            state.failures += 1
            self.node.event(pod, "Warning", "Unhealthy", f"{LABELS[kind]} probe failed: {result.output}", c.name)
            if state.failures >= int(probe.get("failureThreshold", 3)):
                if kind == "readinessProbe":
                    if c.ready:
                        c.ready = False
                        self.node.kick(rt)
                else:
                    self._kill(rt, c, pod, "startup" if kind == "startupProbe" else "liveness")
                    return
        if kind == "startupProbe" and c.started:
            return
        if c.instance == instance and c.state == "running":
            self._schedule(rt, c, kind, float(probe.get("periodSeconds", 10)))

    def _passed(self, rt: PodRuntime, c: ContainerRuntime, kind: str) -> None:
        if kind == "readinessProbe" and not c.ready:
            c.ready = True
            self.node.kick(rt)
        elif kind == "startupProbe" and not c.started:
            c.started = True
            c.probes.pop("startupProbe", None)
            for other in ("livenessProbe", "readinessProbe"):
                probe = c.spec.get(other)
                if probe:
                    elapsed = self.node.now - (c.started_at or self.node.now)
                    self._schedule(rt, c, other, max(0.0, float(probe.get("initialDelaySeconds", 0)) - elapsed))
            if "readinessProbe" not in c.spec:
                c.ready = True
            self.node.kick(rt)

    def _kill(self, rt: PodRuntime, c: ContainerRuntime, pod: Obj, which: str) -> None:
        """The probe's own terminationGracePeriodSeconds wins over the pod's."""
        self.node.event(pod, "Normal", "Killing", f"Container {c.name} failed {which} probe, will be restarted",
                        c.name)
        probe = c.spec.get("livenessProbe" if which == "liveness" else "startupProbe") or {}
        grace = probe.get("terminationGracePeriodSeconds", get_path(pod, "spec.terminationGracePeriodSeconds", 30))
        self.supervisor.kill(rt, c, float(grace))
