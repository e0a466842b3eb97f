"""A scenario as typed, frozen data (what the YAML says, after validation).

The parts with structure and defaults (a fault's target, a fault spec, an escalation, the monitor,
the diagnosis) are dataclasses whose JSON Schema is generated from them
(:mod:`chaoskit.scenario.dataschema`), so each default is written here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from chaoskit.scenario.dataschema import Duration, build, parse_duration
from chaoskit.scenario.variants import choose, code_for, render_data

__all__ = ["Check", "Diagnosis", "Escalation", "FaultSpec", "Monitor", "Scenario", "Solution", "Target",
           "parse_duration"]

DEFAULT_WEIGHTS = {"diagnosis": 35.0, "remediation": 45.0, "process": 20.0}
Mode = Literal["one", "all", "fixed", "fixed-percent"]


@dataclass(frozen=True)
class Target:
    """Which objects a fault hits, in the words Chaos Mesh users know."""

    kind: str = field(metadata={"doc": "the kind of object hit: Deployment, Service, Pod, Node, ..."})
    name: str | None = None
    selector: str | None = field(default=None, metadata={"doc": "a label selector, when no name is given"})
    mode: Mode = field(default="all", metadata={"doc": "how many of the matching objects: one, all, fixed "
                                                       "(value of them), fixed-percent (value percent)"})
    value: int | None = field(default=None, metadata={"schema": {"minimum": 0}})
    container: str | None = field(default=None, metadata={"doc": "the container hit (default: the first)"})


@dataclass(frozen=True)
class FaultSpec:
    """One fault of the timeline (or of an escalation step)."""

    type: str = field(metadata={"doc": "a fault type from the fault library"})
    target: Target
    params: dict[str, Any] = field(default_factory=dict, metadata={"doc": "the fault type's parameters"})
    at: Duration = field(default=0.0, metadata={"doc": "when it is injected, after the session starts"})
    every: Duration | None = field(default=None, metadata={"doc": "inject again at this interval"})
    red_herring: bool = field(default=False, metadata={"doc": "a distraction, not the cause"})


@dataclass(frozen=True)
class Escalation:
    """A further fault that fires only if the trainee has not fixed things by then."""

    after: Duration
    fault: FaultSpec


@dataclass(frozen=True)
class Monitor:
    """A synthetic probe of the service, whose failures become the alerts the trainee is paged with."""

    service: str
    port: int
    path: str = "/"
    expect: int = 200
    interval: Duration = 10.0
    alert_after: Duration = 60.0


@dataclass(frozen=True)
class Diagnosis:
    """The truth a trainee's diagnosis is graded against."""

    causes: tuple[str, ...] = field(metadata={"schema": {"minItems": 1}})
    resource: str = field(metadata={"doc": "KIND/NAME of the broken object, e.g. deployment/checkout"})
    keywords: tuple[str, ...] = ()

    @property
    def resource_name(self) -> str:
        return self.resource.split("/", 1)[-1]


@dataclass(frozen=True)
class Check:
    check: str
    args: dict[str, Any]
    hold: float = 0.0


@dataclass(frozen=True)
class Solution:
    commands: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    briefing: str
    difficulty: int
    tags: tuple[str, ...]
    minutes: int
    time_limit: float
    manifests: tuple[dict[str, Any], ...]
    baseline: tuple[Check, ...]
    faults: tuple[FaultSpec, ...]
    diagnosis: Diagnosis
    remediation: tuple[Check, ...]
    solution: Solution
    alternatives: tuple[Solution, ...]
    wrong: tuple[Solution, ...]
    runbook: str
    sources: tuple[str, ...]
    symptoms: tuple[dict[str, Any], ...]
    path: Path
    variables: dict[str, Any] = field(default_factory=dict)
    guardrails: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    monitor: Monitor | None = None
    targets: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    pass_score: int = 70
    escalations: tuple[Escalation, ...] = ()
    cause_checks: tuple[Check, ...] = ()
    variants: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    seed: int = 0
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the file's data, unrendered

    @property
    def code(self) -> str:
        """The neutral incident code a trainee sees for this variant (never the scenario id)."""
        return code_for(self.id, self.seed)

    def variant(self, seed: int) -> Scenario:
        """Incident ``seed`` of this scenario: every variable drawn from its ``variants`` (seed 0: the
        defaults), every string rendered with them. The source was validated with every value."""
        if not self.source:
            return self
        values = choose(dict(self.source.get("variables") or {}), self.source.get("variants") or {}, seed, self.id)
        data = render_data(self.source, values)
        return replace(Scenario.from_dict({**data, "variables": values}, self.path, self.source), seed=seed)

    @property
    def timeline(self) -> tuple[FaultSpec, ...]:
        """The faults in the order they are injected (ties keep the file's order)."""
        return tuple(sorted(self.faults, key=lambda f: f.at))

    @property
    def all_faults(self) -> tuple[FaultSpec, ...]:
        """Every fault a session may inject: the timeline's and the escalations'."""
        return (*self.faults, *(e.fault for e in self.escalations))

    @property
    def node_faults(self) -> bool:
        """Whether any fault may touch a node (those need a cluster to themselves)."""
        return any(f.target.kind == "Node" for f in self.all_faults)

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path, source: dict[str, Any] | None = None) -> Scenario:
        """The scenario for ``data`` (rendered with its variables; the scenario schema accepted it);
        ``source`` is the file's data before rendering, from which :meth:`variant` draws others."""

        def check(c: dict[str, Any]) -> Check:
            args = {k: v for k, v in c.items() if k not in ("check", "hold")}
            return Check(c["check"], args, parse_duration(c.get("hold", "0s")))

        def solution(s: dict[str, Any]) -> Solution:
            return Solution(tuple(s["commands"]), s.get("description", ""))

        monitor = data.get("monitor")
        return cls(
            id=data["id"], title=data["title"], briefing=data["briefing"].strip(), difficulty=data["difficulty"],
            tags=tuple(data["tags"]), minutes=data["minutes"], time_limit=parse_duration(data["time_limit"]),
            manifests=tuple(data["manifests"]), baseline=tuple(check(c) for c in data["baseline"]),
            faults=tuple(build(FaultSpec, f) for f in data["faults"]),
            diagnosis=build(Diagnosis, data["diagnosis"]), remediation=tuple(check(c) for c in data["remediation"]),
            solution=solution(data["solution"]), alternatives=tuple(solution(s) for s in data["alternatives"]),
            wrong=tuple(solution(s) for s in data["wrong"]), runbook=data["runbook"],
            sources=tuple(data["sources"]), symptoms=tuple(data["symptoms"]), path=path,
            variables=dict(data.get("variables") or {}), guardrails=tuple(data.get("guardrails") or ()),
            hints=tuple(data.get("hints") or ()), monitor=build(Monitor, monitor) if monitor else None,
            targets={k: parse_duration(v) for k, v in (data.get("targets") or {}).items()},
            weights={**DEFAULT_WEIGHTS, **(data.get("weights") or {})},
            pass_score=int(data.get("pass_score", 70)),
            escalations=tuple(build(Escalation, e) for e in data.get("escalations") or ()),
            cause_checks=tuple(check(c) for c in data.get("cause_checks") or ()),
            variants={k: tuple(v) for k, v in (data.get("variants") or {}).items()}, source=dict(source or {}))
