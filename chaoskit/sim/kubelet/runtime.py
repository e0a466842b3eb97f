"""What the kubelet knows about each pod and container on its node (the CRI's view)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from chaoskit.sim.clock import Timer
from chaoskit.sim.kubelet.process import Process

MAX_LOG_LINES = 10_000

State = Literal["waiting", "running", "terminated"]


class StartResult(Enum):
    """How a start flow ended; only STARTED leaves the container to its process (``busy`` stays its own)."""

    GONE = "gone"          # the pod was deleted or replaced before the flow began
    RETRY = "retry"        # a mount, image or config error: the next sync tries again
    STARTED = "started"


StartFlow = Generator[float, None, StartResult]


@dataclass
class ProbeState:
    """One probe's counters and its next run."""

    failures: int = 0
    successes: int = 0
    timer: Timer | None = None


@dataclass
class ContainerRuntime:
    """One container as the runtime sees it: its state, its process, its counters and its logs."""

    spec: dict[str, Any]
    init: bool = False
    ephemeral: bool = False
    state: State = "waiting"
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int = 0
    last: dict[str, Any] | None = None   # lastState.terminated
    restarts: int = 0
    container_id: str = ""
    image: str = ""
    image_id: str = ""
    crash_count: int = 0
    pull_failures: int = 0
    pull_backoff_until: float = 0.0
    proc: Process | None = None
    instance: int = 0                    # bumped on every start/stop: stale timers check it
    busy: bool = False                   # a start flow or a restart wait is in progress
    killing: bool = False
    ready: bool = False
    started: bool = False
    logs: list[tuple[float, str]] = field(default_factory=list)
    prev_logs: list[tuple[float, str]] = field(default_factory=list)
    probes: dict[str, ProbeState] = field(default_factory=dict)
    flow: StartFlow | None = None
    restart_at: float | None = None      # when a stopped container is due to start again

    SAVED = ("init", "ephemeral", "state", "reason", "message", "started_at", "finished_at", "exit_code", "last",
             "restarts", "container_id", "image", "image_id", "crash_count", "pull_failures", "pull_backoff_until",
             "ready", "started", "killing", "restart_at")

    def snapshot(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.SAVED}
        data["logs"] = [list(entry) for entry in self.logs]
        data["prev_logs"] = [list(entry) for entry in self.prev_logs]
        return data

    @classmethod
    def restore(cls, spec: dict[str, Any], data: dict[str, Any]) -> ContainerRuntime:
        c = cls(spec=spec)
        for name in cls.SAVED:
            if name in data:
                setattr(c, name, data[name])
        c.logs = [(float(t), str(line)) for t, line in data.get("logs", [])]
        c.prev_logs = [(float(t), str(line)) for t, line in data.get("prev_logs", [])]
        return c

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    def log(self, now: float, text: str) -> None:
        for line in text.splitlines():
            self.logs.append((now, line))
        if len(self.logs) > MAX_LOG_LINES:
            del self.logs[: len(self.logs) - MAX_LOG_LINES]

    def cancel_probes(self) -> None:
        for probe in self.probes.values():
            if probe.timer is not None:
                probe.timer.cancel()
        self.probes.clear()

    @property
    def succeeded(self) -> bool:
        return self.state == "terminated" and self.exit_code == 0


@dataclass
class PodRuntime:
    """One pod's sandbox (IP, files) and its containers in init, app and ephemeral order."""

    namespace: str
    name: str
    uid: str
    ip: str = ""
    start_time: float = 0.0
    sandbox_ready: bool = False
    containers: dict[str, ContainerRuntime] = field(default_factory=dict)
    init_order: list[str] = field(default_factory=list)
    app_order: list[str] = field(default_factory=list)
    ephemeral_order: list[str] = field(default_factory=list)
    terminating: bool = False
    removed: bool = False
    hostname: str = ""
    files: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def snapshot(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name, "uid": self.uid, "ip": self.ip,
                "start_time": self.start_time, "sandbox_ready": self.sandbox_ready, "terminating": self.terminating,
                "hostname": self.hostname, "init_order": self.init_order, "app_order": self.app_order,
                "ephemeral_order": self.ephemeral_order,
                "containers": {n: c.snapshot() for n, c in self.containers.items()}}

    def inits(self) -> list[ContainerRuntime]:
        return [self.containers[n] for n in self.init_order]

    def apps(self) -> list[ContainerRuntime]:
        return [self.containers[n] for n in self.app_order]

    def ephemerals(self) -> list[ContainerRuntime]:
        return [self.containers[n] for n in self.ephemeral_order]

    def initialized(self) -> bool:
        return all(c.succeeded for c in self.inits())
