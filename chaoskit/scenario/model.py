"""A scenario as typed, frozen data (what the YAML says, after validation)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaoskit.errors import ConfigError
from chaoskit.i18n import _

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")


def parse_duration(text: str | int | float) -> float:
    """Simulator seconds from ``30s``, ``2m``, ``1h``, ``500ms`` (numbers are seconds)."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(str(text).strip())
    if not match:
        raise ConfigError(_("not a duration: {text!r} (use 30s, 2m, 1h)").format(text=text))
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@dataclass(frozen=True)
class Check:
    check: str
    args: dict[str, Any]
    hold: float = 0.0


@dataclass(frozen=True)
class FaultSpec:
    type: str
    target: dict[str, Any]
    params: dict[str, Any]
    at: float = 0.0
    every: float | None = None
    red_herring: bool = False


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
    diagnosis: dict[str, Any]
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
    monitor: dict[str, Any] | None = None
    targets: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=lambda: {"diagnosis": 35, "remediation": 45, "process": 20})
    pass_score: int = 70
    escalations: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path) -> Scenario:
        def check(c: dict[str, Any]) -> Check:
            args = {k: v for k, v in c.items() if k not in ("check", "hold")}
            return Check(c["check"], args, parse_duration(c.get("hold", "0s")))

        def solution(s: dict[str, Any]) -> Solution:
            return Solution(tuple(s["commands"]), s.get("description", ""))

        return cls(
            id=data["id"], title=data["title"], briefing=data["briefing"].strip(), difficulty=data["difficulty"],
            tags=tuple(data["tags"]), minutes=data["minutes"], time_limit=parse_duration(data["time_limit"]),
            manifests=tuple(data["manifests"]), baseline=tuple(check(c) for c in data["baseline"]),
            faults=tuple(FaultSpec(f["type"], f["target"], f.get("params") or {}, parse_duration(f.get("at", "0s")),
                                   parse_duration(f["every"]) if f.get("every") else None,
                                   bool(f.get("red_herring"))) for f in data["faults"]),
            diagnosis=data["diagnosis"], remediation=tuple(check(c) for c in data["remediation"]),
            solution=solution(data["solution"]), alternatives=tuple(solution(s) for s in data["alternatives"]),
            wrong=tuple(solution(s) for s in data["wrong"]), runbook=data["runbook"],
            sources=tuple(data["sources"]), symptoms=tuple(data["symptoms"]), path=path,
            variables=dict(data.get("variables") or {}), guardrails=tuple(data.get("guardrails") or ()),
            hints=tuple(data.get("hints") or ()), monitor=data.get("monitor"),
            targets={k: parse_duration(v) for k, v in (data.get("targets") or {}).items()},
            weights={**{"diagnosis": 35, "remediation": 45, "process": 20}, **(data.get("weights") or {})},
            pass_score=int(data.get("pass_score", 70)), escalations=tuple(data.get("escalations") or ()))
