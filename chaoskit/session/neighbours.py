"""Other sessions on the same cluster. Every session namespace carries chaoskit's labels, so the
cluster itself says who else is playing, whichever machine or user started them. Node-level
faults hit everyone on the cluster, so they wait until a session has the cluster to itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaoskit.errors import SafetyError

if TYPE_CHECKING:
    from chaoskit.cluster import Kube

MANAGED_BY = "app.kubernetes.io/managed-by"
SESSION_LABEL = "chaoskit.dev/session"
NODE_FAULTS_LABEL = "chaoskit.dev/node-faults"


def labels(session: str) -> dict[str, str]:
    """What marks every object chaoskit creates: its name and the session's id."""
    return {MANAGED_BY: "chaoskit", SESSION_LABEL: session}


def active_sessions(kube: Kube, session: str) -> dict[str, bool]:
    """Other live sessions on this cluster: namespace -> whether it has node faults."""
    found = {}
    for ns in kube.items("Namespace", selector=f"{MANAGED_BY}=chaoskit"):
        marks = ns["metadata"].get("labels") or {}
        if marks.get(SESSION_LABEL) == session or (ns.get("status") or {}).get("phase") == "Terminating":
            continue
        found[ns["metadata"]["name"]] = marks.get(NODE_FAULTS_LABEL) == "true"
    return found


def node_fault_conflict(kube: Kube, session: str, node_fault: bool) -> None:
    """Refuse node faults while others play here, and any session while someone's node faults run."""
    others = active_sessions(kube, session)
    if node_fault and others:
        raise SafetyError(f"refusing node-level faults: another session is active on this cluster (namespace "
                          f"{', '.join(sorted(others))}); stop it first, or pick a scenario without node faults")
    breaking = sorted(ns for ns, nodes in others.items() if nodes)
    if breaking:
        raise SafetyError(f"refusing to start: session namespace {', '.join(breaking)} runs node-level faults on "
                          "this cluster; wait for it to finish")
