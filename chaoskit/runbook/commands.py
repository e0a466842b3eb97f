"""What a kubectl command asks the API server for, so that a runbook step is recognised in the
audit log by the requests its own commands make (``kubectl get endpoints web`` is a ``get`` of
``endpoints``; ``kubectl get nodes`` a ``list`` of ``nodes``), not by a hand-written pattern that can
drift from them.

Only reads are modelled: investigation is reading. A request is shown to the trainee by the
command that made it (the ``Kubectl-Command`` header kubectl sends, e.g. ``kubectl describe``),
so ``kubectl logs POD`` (which fetches the pod, then its log) does not count as reading the pod's
status, while ``kubectl get pod POD -o yaml`` and ``kubectl describe pod POD`` both do.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

# kind: (plural resource, API group, what kubectl accepts for it)
RESOURCES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pod": ("pods", "", ("po", "pod", "pods")),
    "service": ("services", "", ("svc", "service", "services")),
    "endpoints": ("endpoints", "", ("ep", "endpoints")),
    "endpointslice": ("endpointslices", "discovery.k8s.io", ("endpointslice", "endpointslices")),
    "node": ("nodes", "", ("no", "node", "nodes")),
    "namespace": ("namespaces", "", ("ns", "namespace", "namespaces")),
    "configmap": ("configmaps", "", ("cm", "configmap", "configmaps")),
    "secret": ("secrets", "", ("secret", "secrets")),
    "event": ("events", "", ("ev", "event", "events")),
    "serviceaccount": ("serviceaccounts", "", ("sa", "serviceaccount", "serviceaccounts")),
    "persistentvolumeclaim": ("persistentvolumeclaims", "", ("pvc", "persistentvolumeclaim",
                                                              "persistentvolumeclaims")),
    "persistentvolume": ("persistentvolumes", "", ("pv", "persistentvolume", "persistentvolumes")),
    "deployment": ("deployments", "apps", ("deploy", "deployment", "deployments")),
    "replicaset": ("replicasets", "apps", ("rs", "replicaset", "replicasets")),
    "daemonset": ("daemonsets", "apps", ("ds", "daemonset", "daemonsets")),
    "statefulset": ("statefulsets", "apps", ("sts", "statefulset", "statefulsets")),
    "job": ("jobs", "batch", ("job", "jobs")),
    "cronjob": ("cronjobs", "batch", ("cj", "cronjob", "cronjobs")),
    "ingress": ("ingresses", "networking.k8s.io", ("ing", "ingress", "ingresses")),
    "networkpolicy": ("networkpolicies", "networking.k8s.io", ("netpol", "networkpolicy", "networkpolicies")),
    "horizontalpodautoscaler": ("horizontalpodautoscalers", "autoscaling", ("hpa", "horizontalpodautoscaler",
                                                                            "horizontalpodautoscalers")),
    "storageclass": ("storageclasses", "storage.k8s.io", ("sc", "storageclass", "storageclasses")),
}
ALIASES = {alias: kind for kind, (_, _, aliases) in RESOURCES.items() for alias in aliases}
# Both show an object (or a list) in full: a step that says one is taken by the other.
VIEWERS = frozenset({"kubectl get", "kubectl describe"})
# Flags whose value is the next argument (so it is not mistaken for a resource or a name).
VALUED = frozenset({"-o", "--output", "-l", "--selector", "-n", "--namespace", "-c", "--container",
                    "--field-selector", "--sort-by", "--tail", "--since", "--revision", "--context"})


@dataclass(frozen=True)
class Request:
    """One read a command makes: the command path kubectl reports, and the request's shape."""

    command: str          # "kubectl get", "kubectl rollout history"
    verb: str             # get, list or watch
    resource: str         # plural: pods, services ...
    subresource: str = ""
    group: str = ""

    def shows(self, record_command: str, verb: str, resource: str, subresource: str) -> bool:
        """Whether an audit record of a request with this shape, made by ``record_command`` (''
        for clients other than kubectl), is this read."""
        if (verb, resource, subresource) != (self.verb, self.resource, self.subresource):
            return False
        if not record_command:
            return True
        if self.command in VIEWERS:
            return record_command in VIEWERS
        return record_command == self.command


def _positional(args: list[str]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in VALUED
            continue
        out.append(arg)
    return out


def _targets(words: list[str]) -> list[tuple[str, bool]]:
    """(kind, named) for ``TYPE[,TYPE] [NAME]`` and ``TYPE/NAME`` forms; unknown types are skipped."""
    if not words:
        return []
    if "/" in words[0]:
        out = []
        for word in words:
            kind = ALIASES.get(word.split("/", 1)[0].lower())
            if kind:
                out.append((kind, True))
        return out
    named = len(words) > 1
    return [(ALIASES[t.lower()], named) for t in words[0].split(",") if t.lower() in ALIASES]


def _read(command: str, kind: str, named: bool) -> Request:
    plural, group, _ = RESOURCES[kind]
    return Request(command, "get" if named else "list", plural, "", group)


def requests_of(command: str) -> tuple[Request, ...]:
    """The reads ``command`` makes that show the trainee something (empty for writes and for
    commands this does not model)."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return ()
    if len(argv) < 2 or argv[0] != "kubectl":
        return ()
    sub, rest = argv[1], _positional(argv[2:])
    if sub in ("get", "describe"):
        return tuple(_read(f"kubectl {sub}", kind, named) for kind, named in _targets(rest))
    if sub == "logs" and rest:  # a pod's log, or one of a workload's pods' (kubectl picks it)
        return (Request("kubectl logs", "get", "pods", "log"),)
    if sub == "top" and rest:
        top = ALIASES.get(rest[0].lower(), "")
        if top in ("pod", "node"):
            return (Request(f"kubectl top {top}", "list", RESOURCES[top][0], "", "metrics.k8s.io"),)
        return ()
    if sub == "events":
        return (Request("kubectl events", "list", "events"),)
    if sub == "rollout" and rest and rest[0] in ("status", "history"):
        found = _targets(rest[1:])
        return tuple(Request(f"kubectl rollout {rest[0]}", "get", RESOURCES[kind][0], "", RESOURCES[kind][1])
                     for kind, _ in found)
    return ()
