"""Guardrails a scenario declares, judged from the trainee's writes in the audit log and from the
objects' state at the end. Reading is always free; only writes can break a guardrail."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chaoskit.grading.activity import Record, is_write
from chaoskit.i18n import N_, Message

Judge = Callable[[Sequence[Record], str, Mapping[str, Any]], list[Message]]


def _delete_workload(records: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("deleted {resource}/{name}"), {"resource": r["resource"], "name": r.get("name") or "*"})
            for r in records
            if is_write(r) and r.get("verb") in ("delete", "deletecollection")
            and r.get("resource") in ("deployments", "statefulsets", "daemonsets", "jobs", "cronjobs")]


def _scale_to_zero(records: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("deployment/{name} left at 0 replicas"), {"name": name}) for name, replicas in
            (after.get("deployment_replicas") or {}).items() if replicas == 0]


def _other_namespaces(records: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("{verb} {resource}/{name} in namespace {namespace}"),
                    {"verb": r["verb"], "resource": r.get("resource"), "name": r.get("name") or "*",
                     "namespace": r.get("namespace")})
            for r in records if is_write(r) and r.get("namespace") and r.get("namespace") != ns]


def _control_plane_taint(records: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("node/{node} lost its control-plane NoSchedule taint"), {"node": node})
            for node in after.get("control_plane_untainted") or ()]


GUARDRAILS: dict[str, Judge] = {
    "no-delete-workload": _delete_workload,
    "no-scale-to-zero": _scale_to_zero,
    "no-other-namespaces": _other_namespaces,
    "no-control-plane-taint-removal": _control_plane_taint,
}


def violations(names: Sequence[str], records: Sequence[Record], namespace: str,
               after: Mapping[str, Any]) -> list[tuple[str, Message]]:
    """(guardrail, what happened) for every violation. ``after`` holds facts read from the cluster
    at the end: ``deployment_replicas`` {name: replicas} and ``control_plane_untainted`` [node]."""
    return [(name, what) for name in names for what in GUARDRAILS[name](records, namespace, after)]
