"""What a trainee's write would make, judged before it reaches the cluster.

:func:`chaoskit.kube.authz.authorize` judges a request by its address alone, as RBAC does. Some
refusals need the object the write would produce:

* RBAC's own **escalation check**: a Role, or the role a RoleBinding refers to, may grant only
  what the trainee already holds (``ConfirmNoEscalation``, worded as kube-apiserver words it);
* **pods stay off the control plane**: a pod, or the pod template of a Deployment, ReplicaSet,
  StatefulSet, DaemonSet, Job, CronJob or ReplicationController, may not name a control-plane node
  in ``nodeName`` nor tolerate the control plane's taint (a toleration of
  ``node-role.kubernetes.io/control-plane``, or ``Exists`` without a key, which tolerates every
  taint). Pod Security ``baseline``, which the session namespace enforces, keeps out privileged
  pods, host namespaces and hostPath, but says nothing about where a pod runs;
* **chaoskit's marks on the session namespace stay**: its ``app.kubernetes.io/managed-by``,
  ``chaoskit.dev/*`` and ``pod-security.kubernetes.io/*`` labels, its finalizers and owners. A
  trainee who relabels ``enforce=privileged`` would undo the line above; one who adds
  ``chaoskit.dev/node-faults`` would grant themselves node writes.

The object is what the API server itself says the write would make: the caller asks for it with
``dryRun=All`` (the proxy upstream, the simulator in-process), so every patch type (JSON, merge,
strategic, apply), every body encoding (JSON, YAML, the protobuf ``kubectl create`` sends) and
every default is read exactly as the cluster reads it, as ``kubectl diff`` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from chaoskit.kube.authz import (
    CONTROL_PLANE_LABEL,
    MANAGED_BY,
    RBAC_GROUP,
    Facts,
    Policy,
    Rule,
    escalation,
    new_forbidden,
    rules_of,
)
from chaoskit.kube.requestinfo import RequestInfo
from chaoskit.kube.status import Forbidden

Obj = dict[str, Any]
CONTROL_PLANE_KEYS = (CONTROL_PLANE_LABEL, "node-role.kubernetes.io/master")
# (group, resource) -> where its pod spec sits
POD_SPECS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): ("spec",),
    ("", "replicationcontrollers"): ("spec", "template", "spec"),
    ("", "podtemplates"): ("template", "spec"),
    ("apps", "deployments"): ("spec", "template", "spec"),
    ("apps", "replicasets"): ("spec", "template", "spec"),
    ("apps", "statefulsets"): ("spec", "template", "spec"),
    ("apps", "daemonsets"): ("spec", "template", "spec"),
    ("batch", "jobs"): ("spec", "template", "spec"),
    ("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template", "spec"),
}
RBAC_KINDS = frozenset({(RBAC_GROUP, "roles"), (RBAC_GROUP, "rolebindings")})
NAMESPACES = ("", "namespaces")
PROTECTED_LABELS = (MANAGED_BY,)
PROTECTED_PREFIXES = ("chaoskit.dev/", "pod-security.kubernetes.io/")
WRITES = frozenset({"create", "update", "patch"})


def guarded(info: RequestInfo) -> bool:
    """Whether this write needs its resulting object checked (an allowed request, by authorize)."""
    if not info.resource_request or info.verb not in WRITES or info.subresource:
        return False
    key = (info.group, info.resource)
    return key in POD_SPECS or key in RBAC_KINDS or key == NAMESPACES


def needs_current(info: RequestInfo) -> bool:
    """The namespace guard compares with the object as it is now."""
    return (info.group, info.resource) == NAMESPACES and info.verb != "create"


def role_ref(info: RequestInfo, new: Obj) -> tuple[str, str, str]:
    """(kind, path, name) of the role a RoleBinding refers to; kind '' when it names none."""
    ref = new.get("roleRef")
    ref = ref if isinstance(ref, dict) else {}
    kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
    if kind == "ClusterRole" and name:
        return kind, f"/apis/{RBAC_GROUP}/v1/clusterroles/{name}", name
    if kind == "Role" and name and info.namespace:
        return kind, f"/apis/{RBAC_GROUP}/v1/namespaces/{info.namespace}/roles/{name}", name
    return "", "", name


def ref_not_found(info: RequestInfo, new: Obj) -> Forbidden:
    """The refusal of a binding to a role that does not exist (``GetRoleReferenceRules`` failed)."""
    kind, _, name = role_ref(info, new)
    plural = "clusterroles" if kind == "ClusterRole" else "roles"
    return new_forbidden(info.resource, info.group, _name(info, new), f'{plural}.{RBAC_GROUP} "{name}" not found')


def decode(body: bytes, content_type: str) -> Obj | None:
    """A create or update body read here (JSON or YAML), None when only the cluster can read it
    (protobuf) or it is no object."""
    if "protobuf" in content_type or not body:
        return None
    try:
        doc = yaml.safe_load(body.decode()) if "yaml" in content_type else json.loads(body)
    except (ValueError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _name(info: RequestInfo, new: Obj) -> str:
    return info.name or str((new.get("metadata") or {}).get("name", ""))


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def placement(spec: Any, where: str, control_plane: frozenset[str]) -> str:
    """Why a pod spec would reach the control plane ('' when it would not)."""
    if not isinstance(spec, dict):
        return ""
    node = spec.get("nodeName")
    if node and node in control_plane:
        return f'{where}.nodeName: node "{node}" is the control plane; trainee pods run on worker nodes'
    for i, toleration in enumerate(spec.get("tolerations") or []):
        if not isinstance(toleration, dict):
            continue
        key, operator = str(toleration.get("key") or ""), str(toleration.get("operator") or "Equal")
        if key in CONTROL_PLANE_KEYS:
            return (f'{where}.tolerations[{i}]: tolerating "{key}" would let trainee pods onto the control '
                    "plane")
        if not key and operator == "Exists":
            return (f"{where}.tolerations[{i}]: an Exists toleration without a key tolerates every taint, the "
                    "control plane's too")
    return ""


def protected(meta: Any) -> dict[str, Any]:
    """chaoskit's marks in an object's metadata: its labels, finalizers and owners."""
    meta = meta if isinstance(meta, dict) else {}
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    marks: dict[str, Any] = {f"label {k}": v for k, v in labels.items()
                             if k in PROTECTED_LABELS or k.startswith(PROTECTED_PREFIXES)}
    marks["finalizers"] = meta.get("finalizers") or []
    marks["ownerReferences"] = meta.get("ownerReferences") or []
    return marks


def namespace_change(old: Obj | None, new: Obj) -> str:
    """Why a namespace update would change chaoskit's marks ('' when it keeps them)."""
    before, after = protected((old or {}).get("metadata")), protected(new.get("metadata"))
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if not changed:
        return ""
    return f"chaoskit's marks on a session namespace stay as chaoskit set them ({', '.join(changed)})"


def review(info: RequestInfo, policy: Policy, facts: Facts, new: Obj, old: Obj | None = None,
           referenced: Sequence[Rule] = ()) -> Forbidden | None:
    """The refusal of a guarded write whose result ``new`` (the dry run's answer, or the body
    itself) crosses a line; ``old`` is the namespace before the write, ``referenced`` the rules of
    the role a RoleBinding names."""
    key = (info.group, info.resource)
    name = _name(info, new)
    if key in POD_SPECS:
        path = POD_SPECS[key]
        why = placement(_dig(new, path), ".".join(path), facts.control_plane)
        return new_forbidden(info.resource, info.group, name, why) if why else None
    if key == NAMESPACES:
        why = namespace_change(old, new)
        return new_forbidden(info.resource, info.group, name, why) if why else None
    if key == (RBAC_GROUP, "roles"):
        why = escalation(policy, facts, info.namespace, rules_of(new))
        return new_forbidden(info.resource, info.group, name, why) if why else None
    if key == (RBAC_GROUP, "rolebindings"):
        why = escalation(policy, facts, info.namespace, referenced)
        return new_forbidden(info.resource, info.group, name, why) if why else None
    return None
