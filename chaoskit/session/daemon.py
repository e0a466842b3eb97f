"""The session process: its venue (the embedded simulator, or a real cluster behind the audit proxy),
the scenario deployed into its own namespace, the fault timeline (apscheduler, wall triggers derived
from cluster time at the venue's speed), the synthetic monitor and the remediation watcher.
``python -m chaoskit.session.daemon DIR``."""

from __future__ import annotations

import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from chaoskit.catalog import catalogue
from chaoskit.checks import Memory, evaluate
from chaoskit.cluster import Kube
from chaoskit.errors import ChaoskitError
from chaoskit.faults import REGISTRY, Journal
from chaoskit.scenario import Scenario
from chaoskit.scenario.model import FaultSpec
from chaoskit.session.home import read_json, write_json
from chaoskit.session.neighbours import SESSION_LABEL, node_fault_conflict
from chaoskit.session.record import Record
from chaoskit.session.teardown import teardown
from chaoskit.session.venue import ClusterVenue, Venue, install, open_venue

BASELINE_TIMEOUT = 300.0  # simulator seconds
WATCH_EVERY = 5.0  # simulator seconds between remediation looks


class Daemon:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.record = Record(directory)
        self.meta = self.record.meta()
        extra = tuple(Path(p) for p in self.meta.get("scenario_dirs", ()))
        self.scenario: Scenario = catalogue(extra)[self.meta["scenario"]]
        self.ns: str = self.meta["namespace"]
        self.venue: Venue = open_venue(directory, self.meta)
        self.speed = self.venue.speed
        self.kube: Kube = self.venue.kube
        self.journal = Journal(directory / "journal.jsonl")
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.memories: dict[int, Memory] = {}
        self.since: dict[str, float | None] = {}
        self.outage_since: float | None = None
        self.alerting = False

    def now(self) -> float:
        return self.venue.now()

    def tick_clock(self) -> None:
        write_json(self.dir / "clock.json", {"wall": time.time(), "sim": self.now(), "speed": self.speed})

    def wall_after(self, sim_seconds: float) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=sim_seconds / self.speed)

    def deploy(self) -> None:
        self.venue.trainee_kubeconfig(self.dir / "kubeconfig", self.ns)
        install(self.kube, self.scenario, self.ns, self.meta["id"], self.scenario.node_faults)
        deadline = time.monotonic() + BASELINE_TIMEOUT / self.speed
        while time.monotonic() < deadline:
            if all(evaluate(self.kube, self.ns, c).ok for c in self.scenario.baseline):
                return
            time.sleep(0.05)
        raise RuntimeError("the scenario's baseline did not become healthy")

    def inject(self, index: int) -> None:
        spec = self.scenario.timeline[index]
        self._inject(spec, index, red_herring=spec.red_herring)

    def escalate(self, index: int) -> None:
        """An escalation step fires only while the trainee has not fixed things yet."""
        state = read_json(self.dir / "checks.json", {"checks": {}})["checks"]
        if state and all(c["since"] is not None for c in state.values()):
            self.record.add("escalation-skipped", self.now(), step=index)
            return
        self._inject(self.scenario.escalations[index].fault, 100 + index, escalation=index)

    def _inject(self, spec: FaultSpec, seed: int, **extra: Any) -> None:
        with self.lock:
            if self.done.is_set():
                return
            ftype = spec.type
            fault = REGISTRY[ftype](spec.target, spec.params, seed=seed)
            namespace = None if spec.target.kind == "Node" else self.ns
            try:
                if spec.target.kind == "Node" and isinstance(self.venue, ClusterVenue):
                    node_fault_conflict(self.kube, self.meta["id"], node_fault=True)
                done = fault.inject(self.kube, namespace, self.journal)
                self.record.add("injected", self.now(), fault=ftype, changes=len(done), what=fault.describe(),
                                **{"red_herring": False, **extra})
            except ChaoskitError as err:  # a target gone (scaled away, deleted): recorded, not fatal
                self.record.add("inject-failed", self.now(), fault=ftype, error=str(err))

    def probe(self) -> None:
        mon = self.scenario.monitor
        if not mon or self.done.is_set():
            return
        code, _ = self.kube.proxy_get(self.ns, mon.service, mon.port, mon.path)
        ok = code == mon.expect
        now = self.now()
        self.record.add("probe", now, ok=ok, code=code)
        if ok:
            if self.alerting:
                self.record.add("resolved", now, alert=mon.service)
            self.outage_since, self.alerting = None, False
            return
        self.outage_since = self.outage_since if self.outage_since is not None else now
        if not self.alerting and now - self.outage_since >= mon.alert_after:
            self.alerting = True
            self.record.add("alert", now, alert=mon.service, since=self.outage_since)

    def watch(self) -> None:
        """Per check: since when it has passed without a break (None while failing)."""
        if self.done.is_set():
            return
        now = self.now()
        state = {}
        for i, check in enumerate(self.scenario.remediation):
            memory = self.memories.setdefault(i, Memory())
            ok = evaluate(self.kube, self.ns, check, memory).ok
            name = f"{i}:{check.check}"
            if not ok:
                self.memories[i] = Memory()
            previous = self.since.get(name)
            self.since[name] = (previous if previous is not None else now) if ok else None
            state[name] = {"since": self.since[name], "hold": check.hold}
        write_json(self.dir / "checks.json", {"at": now, "checks": state})
        if isinstance(self.venue, ClusterVenue):
            self.venue.clock.sync()
        self.tick_clock()

    def schedule(self) -> None:
        for i, spec in enumerate(self.scenario.timeline):
            self.scheduler.add_job(self.inject, "date", run_date=self.wall_after(spec.at), args=[i])
            if spec.every:
                self.scheduler.add_job(self.inject, "interval", seconds=spec.every / self.speed, args=[i],
                                       start_date=self.wall_after(spec.at + spec.every))
        for j, step in enumerate(self.scenario.escalations):
            self.scheduler.add_job(self.escalate, "date", run_date=self.wall_after(step.after),
                                   args=[j])
        if self.scenario.monitor:
            every = self.scenario.monitor.interval / self.speed
            self.scheduler.add_job(self.probe, "interval", seconds=every, max_instances=1, coalesce=True)
        self.scheduler.add_job(self.watch, "interval", seconds=WATCH_EVERY / self.speed, max_instances=1,
                               coalesce=True)
        self.scheduler.add_job(self.time_up, "date", run_date=self.wall_after(self.scenario.time_limit))
        self.scheduler.start()

    def time_up(self) -> None:
        if not (self.dir / "grade.json").exists():
            self.record.add("time-up", self.now())
            from chaoskit.session.finish import finish  # the grader runs here when nobody finished in time

            finish(self.dir, reason="time limit reached")

    def stop(self) -> None:
        """Revert every fault, re-check the baseline; on a real cluster also delete the namespace
        (unless the stop request asked to keep it: ``chaoskit reset``)."""
        with self.lock:
            self.done.set()
        self.scheduler.shutdown(wait=False)
        request = read_json(self.dir / "stop", None) if (self.dir / "stop").stat().st_size else None
        keep = bool((request or {}).get("keep_namespace"))
        teardown(self.dir, self.kube, self.scenario, self.speed,
                 delete_namespace=isinstance(self.venue, ClusterVenue) and not keep)
        self.venue.stop()

    def run(self) -> None:
        self.deploy()
        start = self.now()
        self.tick_clock()
        meta = {**self.meta, "sim_start": start, "pid": self.meta.get("pid"), "state": "running",
                "kubeconfig": str(self.dir / "kubeconfig"), "server": self.venue.url, "speed": self.speed}
        self.record.add("started", start, scenario=self.scenario.id, namespace=self.ns)
        write_json(self.dir / "session.json", meta)
        self.schedule()
        while not (self.dir / "stop").exists():
            time.sleep(0.1)
        self.stop()
        write_json(self.dir / "session.json", {**read_json(self.dir / "session.json"), "state": "stopped"})


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    signal.signal(signal.SIGTERM, lambda *_: (directory / "stop").touch())
    daemon = None
    try:
        daemon = Daemon(directory)
        daemon.run()
    except Exception as exc:  # recorded for 'chaoskit start' to report, then the process ends
        Record(directory).add("failed", error=f"{type(exc).__name__}: {exc}")
        write_json(directory / "session.json", {**read_json(directory / "session.json"), "state": "failed",
                                                "error": str(exc)})
        if daemon is not None:
            try:
                teardown(directory, daemon.kube, daemon.scenario, daemon.speed,
                         delete_namespace=isinstance(daemon.venue, ClusterVenue) and _created(daemon))
            except ChaoskitError as err:
                Record(directory).add("revert-failed", error=str(err))
            daemon.venue.stop()
        return 1
    return 0


def _created(daemon: Daemon) -> bool:
    """Whether the session's namespace is ours (a failed start must not delete somebody else's)."""
    ns = daemon.kube.try_get("Namespace", None, daemon.ns)
    return ns is not None and (ns["metadata"].get("labels") or {}).get(SESSION_LABEL) == daemon.meta["id"]



if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
