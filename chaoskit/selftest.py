"""Prove a scenario honest: on a fresh simulator, the baseline holds; after injection its symptoms
appear and its checks fail; the reference fix (real kubectl) makes them pass and hold; every
alternative fix does too; every known-wrong fix leaves them failing; revert restores the baseline."""

from __future__ import annotations

import secrets
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaoskit.checks import Memory, evaluate
from chaoskit.cluster import Kube, KubeError
from chaoskit.cluster.access import Access
from chaoskit.cluster.kubectl import kubectl_path
from chaoskit.errors import ChaoskitError
from chaoskit.faults import REGISTRY, Journal, revert
from chaoskit.scenario import Scenario
from chaoskit.scenario.model import Check, Solution
from chaoskit.session.venue import ClusterVenue, SimVenue, Venue, install

SPEED = 100.0
BASELINE_TIMEOUT = 180.0    # simulator seconds
SETTLE = 60.0               # after injection, before checks must fail
FIX_TIMEOUT = 900.0         # for a fix to take hold
WRONG_WINDOW = 240.0        # a wrong fix is watched this long


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Result:
    id: str
    variant: int = 0
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "variant": self.variant, "passed": self.passed, "seconds": round(self.seconds, 2),
                "steps": [{"name": s.name, "ok": s.ok, "detail": s.detail} for s in self.steps]}


class Run:
    """One path through the scenario: on a fresh simulator, or in a fresh namespace of a real
    cluster (reached like a session: scoped writes, the trainee's kubectl through the audit proxy)."""

    def __init__(self, scenario: Scenario, workdir: Path, speed: float, access: Access | None = None) -> None:
        self.scenario = scenario
        self.ns = f"chaoskit-{scenario.id}"[:57] + f"-{secrets.token_hex(2)}"
        self.id = f"selftest-{self.ns.removeprefix('chaoskit-')}"[:63].rstrip("-")
        self.venue: Venue = SimVenue(workdir, speed, 0, self.ns) if access is None \
            else ClusterVenue(workdir, access, self.ns)
        self.remote = access is not None
        self.speed = self.venue.speed
        self.kube: Kube = self.venue.kube
        self.journal = Journal(workdir / "journal.jsonl")
        self.kubeconfig = self.venue.trainee_kubeconfig(workdir / "trainee.kubeconfig", self.ns)

    def close(self) -> None:
        """On a real cluster nothing may stay behind: every fault reverted, the namespace deleted."""
        try:
            if self.remote:
                revert(self.kube, self.journal)
                self.kube.delete("Namespace", None, self.ns)
        finally:
            self.venue.stop()

    def wall(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed

    def wait(self, predicate: Callable[[], bool], sim_timeout: float) -> bool:
        deadline = time.monotonic() + self.wall(sim_timeout)
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def all_pass(self, checks: tuple[Check, ...]) -> tuple[bool, str]:
        results = [evaluate(self.kube, self.ns, c) for c in checks]
        failing = [r.detail for r in results if not r.ok]
        return not failing, "; ".join(failing) or "all pass"

    def holds(self, checks: tuple[Check, ...], sim_timeout: float) -> tuple[bool, str]:
        """Wait until every check passes, then demand it keeps passing for its hold window."""
        deadline = time.monotonic() + self.wall(sim_timeout)
        last = ""
        while time.monotonic() < deadline:
            ok, last = self.all_pass(checks)
            if ok:
                window = max((c.hold for c in checks), default=0.0)
                memories = {id(c): Memory() for c in checks}
                end = time.monotonic() + self.wall(window)
                broken = ""
                while time.monotonic() < end:
                    for c in checks:
                        result = evaluate(self.kube, self.ns, c, memories[id(c)])
                        if not result.ok:
                            broken = result.detail
                            break
                    if broken:
                        break
                    time.sleep(0.05)
                if not broken:
                    return True, f"held for {window:.0f}s"
                last = f"passed, then failed within the hold window: {broken}"
            time.sleep(0.05)
        return False, last

    def deploy(self) -> Step:
        install(self.kube, self.scenario, self.ns, self.id)
        ok = self.wait(lambda: self.all_pass(self.scenario.baseline)[0], BASELINE_TIMEOUT)
        return Step("baseline", ok, self.all_pass(self.scenario.baseline)[1])

    def inject(self) -> Step:
        done = []
        for i, spec in enumerate(self.scenario.timeline):
            fault = REGISTRY[spec.type](spec.target, spec.params, seed=i)
            namespace = None if spec.target.kind == "Node" else self.ns
            try:
                done += fault.inject(self.kube, namespace, self.journal)
            except ChaoskitError as err:
                return Step("inject", False, str(err))
        time.sleep(self.wall(SETTLE))
        ok, detail = self.all_pass(self.scenario.remediation)
        if not self.scenario.cause_checks:
            return Step("checks fail after injection", not ok and bool(done), detail)
        fixed_cause, why = self.all_pass(self.scenario.cause_checks)
        return Step("checks fail after injection", not ok and not fixed_cause and bool(done),
                    f"{detail}; cause checks: {why}")

    def symptoms(self) -> Step:
        missing = [s for s in self.scenario.symptoms if s["kind"] == "pod-state" and not self._pod_state(s)]
        return Step("symptoms appear", not missing, "missing: " + ", ".join(s.get("reason", "") for s in missing)
                    if missing else "observed")

    def _pod_state(self, symptom: dict[str, str]) -> bool:
        """Any of the ``|``-separated reasons shows on a selected pod (phase, condition or container state)."""
        reasons = set(symptom.get("reason", "").split("|"))

        def seen() -> bool:
            for pod in self.kube.items("Pod", self.ns, symptom.get("selector")):
                status = pod.get("status") or {}
                found = {status.get("phase"), status.get("reason")}
                found |= {c.get("reason") for c in status.get("conditions") or []}
                for cs in status.get("containerStatuses") or []:
                    for state in (cs.get("state") or {}, cs.get("lastState") or {}):
                        found |= {d.get("reason") for d in state.values() if isinstance(d, dict)}
                if found & reasons:
                    return True
            return False

        return self.wait(seen, 120.0)

    def apply(self, solution: Solution) -> Step:
        kubectl = str(kubectl_path())
        for command in solution.commands:
            args = shlex.split(command)[1:]
            proc = subprocess.run([kubectl, *args], capture_output=True, text=True, timeout=120,
                                  env={"KUBECONFIG": str(self.kubeconfig), "HOME": str(self.kubeconfig.parent),
                                       "PATH": "/usr/bin:/bin"})
            if proc.returncode != 0:
                return Step(f"run: {command}", False, proc.stderr.strip()[:300])
        return Step(f"run: {' ; '.join(solution.commands)}", True)

    def revert(self) -> Step:
        try:
            outcome = revert(self.kube, self.journal)
        except KubeError as err:
            return Step("revert", False, str(err))
        ok, detail = self.holds(self.scenario.baseline, BASELINE_TIMEOUT)
        return Step("revert restores the baseline", ok,
                    f"restored {len(outcome.restored)}, left {len(outcome.skipped)}; {detail}")


def _path(scenario: Scenario, solution: Solution, label: str, fixed: bool, speed: float,
          access: Access | None) -> list[Step]:
    with tempfile.TemporaryDirectory(prefix=f"chaoskit-selftest-{scenario.id}-") as tmp:
        run = Run(scenario, Path(tmp), speed, access)
        try:
            steps = [run.deploy()]
            if not steps[-1].ok:
                return steps
            steps += [run.inject(), run.symptoms()]
            if not all(s.ok for s in steps):
                return steps
            applied = run.apply(solution)
            if not fixed and not applied.ok and "(Forbidden)" in applied.detail:
                # the trainee's policy refuses this wrong fix outright: it cannot be made at all
                steps.append(Step(f"{label}: {applied.name}", True, "refused by the trainee's policy: "
                                  + applied.detail))
                return steps
            steps.append(Step(f"{label}: {applied.name}", applied.ok, applied.detail))
            if not applied.ok:
                return steps
            if fixed:
                ok, detail = run.holds((*scenario.remediation, *scenario.cause_checks), FIX_TIMEOUT)
                steps.append(Step(f"{label}: checks pass and hold", ok, detail))
                if label == "reference":
                    steps.append(run.revert())
            else:
                ok, detail = run.holds((*scenario.remediation, *scenario.cause_checks), WRONG_WINDOW)
                steps.append(Step(f"{label}: checks still fail", not ok, detail))
            return steps
        finally:
            run.close()


def selftest(scenario: Scenario, speed: float = SPEED, access: Access | None = None) -> Result:
    """``access`` None: a fresh simulator per path at ``speed``; else that cluster at its own speed."""
    kubectl_path()  # no kubectl: say so before a cluster is built
    started = time.monotonic()
    result = Result(scenario.id, scenario.seed)
    result.steps += _path(scenario, scenario.solution, "reference", True, speed, access)
    for i, alt in enumerate(scenario.alternatives):
        result.steps += _path(scenario, alt, f"alternative {i + 1}", True, speed, access)
    for i, wrong in enumerate(scenario.wrong):
        result.steps += _path(scenario, wrong, f"wrong {i + 1}", False, speed, access)
    result.seconds = time.monotonic() - started
    return result
