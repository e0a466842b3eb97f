"""The trainee's activity as the API server's audit log saw it.

Only the trainee's credentials count: chaoskit's injections, checks and monitor probes use the
``system:chaoskit`` user and never earn or cost anything."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chaoskit.kube.identity import TRAINEE
from chaoskit.runbook.model import Step

TRAINEE_USER = TRAINEE
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
Record = Mapping[str, Any]


def trainee_records(records: Iterable[Record], user: str = TRAINEE_USER) -> list[Record]:
    return [r for r in records if r.get("user") == user]


def sim_time(record: Record) -> datetime:
    """The record's simulator time."""
    return datetime.fromisoformat(str(record["simTime"]).replace("Z", "+00:00"))


def sim_seconds(record: Record, start: datetime) -> float:
    """Seconds from ``start`` to the record's simulator time."""
    return (sim_time(record) - start).total_seconds()


def takes(record: Record, step: Step) -> bool:
    """Whether this successful record is one of the reads the step's commands make."""
    if int(record.get("code", 0)) >= 400:
        return False
    command, verb = str(record.get("kubectlCommand", "")), str(record.get("verb", ""))
    resource, sub = str(record.get("resource", "")), str(record.get("subresource", ""))
    return any(read.shows(command, verb, resource, sub) for read in step.reads)


def is_write(record: Record) -> bool:
    return record.get("verb") in WRITE_VERBS and int(record.get("code", 0)) < 400
