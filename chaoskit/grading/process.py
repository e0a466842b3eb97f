"""Process: did the trainee investigate the way the runbook teaches, and how fast?

Steps earn credit for coverage and for sensible order (the longest run of steps taken in runbook
order, so the runbook's commands fired backwards earn only part). Detection and recovery are
measured in simulator seconds against the scenario's targets: full credit up to the target,
falling linearly to nothing at three times it. Hints and destructive commands cost points."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chaoskit.grading.activity import Record, is_write, sim_seconds, takes
from chaoskit.grading.result import Item, Part
from chaoskit.i18n import N_, Message
from chaoskit.runbook.model import Step

STEPS_SHARE, DETECT_SHARE, RECOVER_SHARE = 0.5, 0.25, 0.25
HINT_COST = 0.15  # of the part's maximum, per hint
DESTRUCTIVE_COST = 0.25
WORKLOADS = frozenset({"deployments", "statefulsets", "daemonsets", "replicasets"})


@dataclass(frozen=True)
class ProcessInputs:
    records: Sequence[Record]  # the trainee's audit records, oldest first
    steps: Sequence[Step]
    started: datetime  # simulator time the first fault was injected
    namespace: str
    targets: dict[str, float] = field(default_factory=dict)  # detect / recover seconds
    recovered_after: float | None = None  # simulator seconds from injection to recovery
    hints: int = 0


def first_matches(records: Sequence[Record], steps: Sequence[Step]) -> list[int | None]:
    """For each step, the index of the first record that is evidence of it."""
    return [next((i for i, r in enumerate(records) if takes(r, s)), None) for s in steps]


def order_ratio(found: list[int | None]) -> float:
    """Longest increasing subsequence of step numbers, sorted by when each step was first taken,
    over the number of steps taken."""
    taken = sorted((idx, step) for step, idx in enumerate(found) if idx is not None)
    tails: list[int] = []
    for _, step in taken:
        pos = bisect_left(tails, step)
        tails[pos:pos + 1] = [step]
    return len(tails) / len(taken) if taken else 0.0


def timeliness(seconds: float | None, target: float | None) -> float:
    if seconds is None:
        return 0.0
    if not target or seconds <= target:
        return 1.0
    return max(0.0, 1.0 - (seconds - target) / (2 * target))


def destructive(record: Record) -> Message | None:
    """Why a trainee write is destructive, or None."""
    if not is_write(record):
        return None
    what = {"verb": record.get("verb"), "resource": record.get("resource"), "name": record.get("name") or "*",
            "namespace": record.get("namespace") or ""}
    if record.get("namespace") == "kube-system":
        return Message(N_("{verb} in kube-system"), what)
    if record.get("verb") in ("delete", "deletecollection"):
        if record.get("resource") in WORKLOADS or record.get("resource") in ("namespaces", "nodes"):
            return Message(N_("deleted {resource}/{name}"), what)
        if record.get("verb") == "deletecollection":
            if record.get("namespace"):
                return Message(N_("deleted every {resource} in {namespace}"), what)
            return Message(N_("deleted every {resource} in the cluster"), what)
        if record.get("gracePeriodSeconds") == 0 or "gracePeriodSeconds=0" in str(record.get("uri", "")):
            return Message(N_("force-deleted {resource}/{name}"), what)
    return None


def score_process(inp: ProcessInputs, maximum: float) -> Part:
    after = [r for r in inp.records if sim_seconds(r, inp.started) >= 0]  # looking before the fault is not
    found = first_matches(after, inp.steps)                                # investigating it
    taken = sum(i is not None for i in found)
    coverage = taken / len(inp.steps) if inp.steps else 0.0
    order = order_ratio(found)
    step_credit = coverage * (0.5 + 0.5 * order)
    missed = [s.title for s, i in zip(inp.steps, found, strict=True) if i is None]
    steps = {"taken": taken, "steps": len(inp.steps), "order": order, "missed": "; ".join(missed)}
    items = [Item(N_("runbook steps"), step_credit * STEPS_SHARE * maximum, STEPS_SHARE * maximum,
                  N_("{taken}/{steps} steps, order {order:.0%}; missed: {missed}") if missed
                  else N_("{taken}/{steps} steps, order {order:.0%}"), steps)]
    first = min((i for i in found if i is not None), default=None)
    detect = sim_seconds(after[first], inp.started) if first is not None else None
    items.append(Item(N_("time to first relevant look"), timeliness(detect, inp.targets.get("detect"))
                      * DETECT_SHARE * maximum, DETECT_SHARE * maximum,
                      N_("{seconds:.0f}s") if detect is not None else N_("never looked"), {"seconds": detect}))
    items.append(Item(N_("time to recovery"), timeliness(inp.recovered_after, inp.targets.get("recover"))
                      * RECOVER_SHARE * maximum, RECOVER_SHARE * maximum,
                      N_("{seconds:.0f}s") if inp.recovered_after is not None else N_("not recovered"),
                      {"seconds": inp.recovered_after}))
    for n in range(inp.hints):
        items.append(Item(N_("hint {n} used"), -HINT_COST * maximum, 0.0, "", {"n": n + 1}))
    for record in inp.records:
        why = destructive(record)
        if why:
            items.append(Item(N_("destructive command"), -DESTRUCTIVE_COST * maximum, 0.0,
                              N_("{what} ({command})"),
                              {"what": why, "command": record.get("kubectlCommand") or record.get("method")}))
    return Part.of("process", maximum, items)
