"""Guardrails, judged from the trainee's writes in the audit log and from the objects' state at the
end (:mod:`chaoskit.grading.facts`). Reading is always free; only writes can break a guardrail.

A scenario declares the guardrails of its story; :data:`ALWAYS` hold in every scenario, because a
fix that breaks one is never the right fix: tolerating every taint, relabelling pods so that a
selector matches them today, deleting a workload and creating it again (a full outage), editing an
application's command or arguments (which removes a fault's symptom, not its cause). The outage of
a deleted-and-recreated workload also caps the grade (:data:`CAPS`), so a destructive success
never passes."""

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


def _image_change(_: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("{what} runs another image than the release"), {"what": what})
            for what in after.get("image_changed") or ()]


def _blanket_toleration(_: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("{what} tolerates every taint (operator Exists without a key)"), {"what": what})
            for what in after.get("blanket_tolerations") or ()]


def _relabelled_pods(_: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    pods = list(after.get("relabelled_pods") or ())
    return [Message(N_("{count} pod(s) relabelled away from their ReplicaSet's template: {pods}"),
                    {"count": len(pods), "pods": ", ".join(pods[:5])})] if pods else []


def _delete_recreate(records: Sequence[Record], ns: str, _: Mapping[str, Any]) -> list[Message]:
    """A workload deleted and then created again under the same name: the service was down between."""
    deleted: dict[tuple[str, str], Record] = {}
    found: set[tuple[str, str]] = set()
    for r in records:
        if not is_write(r) or r.get("resource") not in WORKLOADS:
            continue
        key = (str(r.get("resource")), str(r.get("name") or ""))
        if r.get("verb") == "delete" and key[1]:
            deleted[key] = r
        elif r.get("verb") == "create" and key in deleted and key[1]:
            found.add(key)
        elif r.get("verb") == "create":
            named = [k for k in deleted if k[0] == key[0]]
            if named:  # the name of a create travels in its body; match by resource when the log lacks it
                found.add(named[-1])
    return [Message(N_("deleted and recreated {resource}/{name}: a full outage"), {"resource": res, "name": name})
            for res, name in sorted(found)]


def _command_edit(_: Sequence[Record], ns: str, after: Mapping[str, Any]) -> list[Message]:
    return [Message(N_("{what}: command or arguments differ from the release (this hides a symptom; the cause "
                       "stays)"), {"what": what}) for what in after.get("command_changed") or ()]


WORKLOADS = frozenset({"deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "replicasets"})


GUARDRAILS: dict[str, Judge] = {
    "no-delete-workload": _delete_workload,
    "no-scale-to-zero": _scale_to_zero,
    "no-other-namespaces": _other_namespaces,
    "no-control-plane-taint-removal": _control_plane_taint,
    "no-image-change": _image_change,
    "no-blanket-toleration": _blanket_toleration,
    "no-relabelled-pods": _relabelled_pods,
    "no-delete-recreate": _delete_recreate,
    "no-command-edit": _command_edit,
}
ALWAYS = ("no-blanket-toleration", "no-relabelled-pods", "no-delete-recreate", "no-command-edit")
CAPS = {"no-delete-recreate": 65}  # a grade with this violation is at most this (and so never passes)


def violations(names: Sequence[str], records: Sequence[Record], namespace: str,
               after: Mapping[str, Any]) -> list[tuple[str, Message]]:
    """(guardrail, what happened) for every violation of the scenario's guardrails and of
    :data:`ALWAYS`. ``after`` holds the facts :func:`chaoskit.grading.facts.gather` read at the end."""
    judged = [*names, *(a for a in ALWAYS if a not in names)]
    return [(name, what) for name in judged for what in GUARDRAILS[name](records, namespace, after)]


def cap(found: Sequence[tuple[str, Message]]) -> tuple[int, Message] | None:
    """The lowest grade cap the violations impose, with why; None when none does."""
    capped = [(CAPS[name], what) for name, what in found if name in CAPS]
    return min(capped, key=lambda c: c[0]) if capped else None
