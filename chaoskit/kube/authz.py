"""The trainee's RBAC, as data, and the one authorizer the audit proxy and the simulator share.

On a kind or real cluster the proxy forwards with the facilitator's own credentials (usually
cluster-admin), so the proxy *is* the trainee's RBAC; on the simulator the same rules guard the
trainee's identity. Both call :func:`authorize` with a :class:`~chaoskit.kube.requestinfo.RequestInfo`,
the session's :class:`Policy` and a few :class:`Facts` read from the cluster, and refuse with
:func:`forbidden`, which words the 403 exactly as kube-apiserver's RBAC does
(``responsewriters.Forbidden``), a reason appended the way a webhook authorizer's is.

The rules are kubernetes' own default roles, copied as data from the bootstrap policy
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, as aggregated in its
``testdata/cluster-roles.yaml``, kubernetes/kubernetes@025f2834a128): ``admin`` (=
``system:aggregate-to-admin`` + ``-to-edit`` + ``-to-view``), ``view``, ``system:discovery``,
``system:public-info-viewer`` and ``system:basic-user``; and metrics-server's
``system:aggregated-metrics-reader``, which aggregates into ``view`` wherever metrics-server runs.
The trainee holds:

* in the session's namespace(s): ``admin`` without ``impersonate`` (Roles and RoleBindings can be
  fixed there; exec, attach, port-forward and TokenRequests work only there);
* in every other namespace: ``view`` (which has no Secrets), except kube-system and friends are
  never written and other sessions' namespaces (:data:`MANAGED_BY` = chaoskit, not this session's)
  are not even readable;
* at the cluster scope: discovery, health and version paths, the self-reviews, reads of nodes,
  namespaces and a few cluster-scoped kinds (``kubectl get nodes``, ``describe node``), and, only
  when the session's scenario has node faults (:data:`NODE_FAULTS_LABEL` on its namespace), patch
  and update of worker nodes (cordon, uncordon, taint). While no other session shares the cluster,
  ``view`` is also bound cluster-wide, so ``kubectl get pods -A`` works; once another session
  arrives, a list across namespaces is refused as RBAC refuses a list the user cannot make in
  every namespace, and ``get secrets -A`` is refused always.

Through the proxy the trainee may also update or patch the session's own namespace object, its
chaoskit labels, finalizers and owners excepted (:mod:`chaoskit.kube.admit` computes the effect).
That grant is *not held* for RBAC's escalation check, so it cannot be handed on in a Role to a
service account, which would reach the API server without the proxy's check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from chaoskit.kube.identity import CONTROL_PREFIX, TRAINEE
from chaoskit.kube.requestinfo import RequestInfo
from chaoskit.kube.status import Forbidden

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
READ_WRITE = READ + WRITE
ALL = "*"
RBAC_GROUP = "rbac.authorization.k8s.io"
# The labels chaoskit puts on a session's namespace (chaoskit.session.neighbours writes them).
MANAGED_BY = "app.kubernetes.io/managed-by"
SESSION_LABEL = "chaoskit.dev/session"
NODE_FAULTS_LABEL = "chaoskit.dev/node-faults"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
NEVER_WRITTEN = frozenset({"kube-system", "kube-public", "kube-node-lease"})
AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class Rule:
    """One RBAC PolicyRule (rbac/v1), matched as ``rbac.RuleAllows`` matches it."""

    verbs: tuple[str, ...]
    groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    names: tuple[str, ...] = ()    # resourceNames
    urls: tuple[str, ...] = ()     # nonResourceURLs

    def allows(self, info: RequestInfo) -> bool:
        if not (ALL in self.verbs or info.verb in self.verbs):
            return False
        if not info.resource_request:
            return any(url == ALL or url == info.path or (url.endswith("*") and info.path.startswith(url[:-1]))
                       for url in self.urls)
        if not (ALL in self.groups or info.group in self.groups):
            return False
        combined = info.resource_path
        starred = f"*/{info.subresource}" if info.subresource else ALL
        if not any(r in (ALL, combined, starred) for r in self.resources):
            return False
        return not self.names or info.name in self.names


def rule(verbs: Iterable[str], group: str, *resources: str, names: Iterable[str] = ()) -> Rule:
    return Rule(tuple(verbs), (group,), tuple(resources), tuple(names))


def urls(verbs: Iterable[str], *paths: str) -> Rule:
    return Rule(tuple(verbs), urls=tuple(paths))


# ---------------------------------------------------------------------------- kubernetes' default roles

VIEW: tuple[Rule, ...] = (   # system:aggregate-to-view
    rule(READ, "", "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
         "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"),
    rule(READ, "", "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
         "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"),
    rule(READ, "", "namespaces"),
    rule(READ, "discovery.k8s.io", "endpointslices"),
    rule(READ, "apps", "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
         "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
         "statefulsets/scale", "statefulsets/status"),
    rule(READ, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
    rule(READ, "batch", "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
    rule(READ, "extensions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
         "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets",
         "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"),
    rule(READ, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
    rule(READ, "networking.k8s.io", "ingresses", "ingresses/status", "networkpolicies"),
)
EDIT: tuple[Rule, ...] = (   # system:aggregate-to-edit
    rule(READ, "", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"),
    rule(("impersonate",), "", "serviceaccounts"),
    rule(WRITE, "", "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"),
    rule(("create",), "", "pods/eviction"),
    rule(WRITE, "", "configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
         "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"),
    rule(("create",), "", "serviceaccounts/token"),
    rule(WRITE, "apps", "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
         "replicasets/scale", "statefulsets", "statefulsets/scale"),
    rule(WRITE, "autoscaling", "horizontalpodautoscalers"),
    rule(WRITE, "batch", "cronjobs", "jobs"),
    rule(WRITE, "extensions", "daemonsets", "deployments", "deployments/rollback", "deployments/scale",
         "ingresses", "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"),
    rule(WRITE, "policy", "poddisruptionbudgets"),
    rule(WRITE, "networking.k8s.io", "ingresses", "networkpolicies"),
    rule(READ_WRITE, "coordination.k8s.io", "leases"),
)
ADMIN_ONLY: tuple[Rule, ...] = (   # system:aggregate-to-admin
    rule(("create",), "authorization.k8s.io", "localsubjectaccessreviews"),
    rule(READ_WRITE, RBAC_GROUP, "rolebindings", "roles"),
)
METRICS_READER: tuple[Rule, ...] = (   # metrics-server's system:aggregated-metrics-reader (aggregates to view)
    rule(READ, "metrics.k8s.io", "pods", "nodes"),
)
DISCOVERY: tuple[Rule, ...] = (   # system:discovery and system:public-info-viewer
    urls(("get",), "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
         "/version", "/version/"),
)
BASIC_USER: tuple[Rule, ...] = (   # system:basic-user
    rule(("create",), "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
    rule(("create",), "authentication.k8s.io", "selfsubjectreviews"),
)
CLUSTER_ADMIN: tuple[Rule, ...] = (Rule((ALL,), (ALL,), (ALL,)), Rule((ALL,), urls=(ALL,)))
CLUSTER_ROLES: dict[str, tuple[Rule, ...]] = {
    "cluster-admin": CLUSTER_ADMIN,
    "admin": VIEW + EDIT + ADMIN_ONLY,
    "edit": VIEW + EDIT,
    "view": VIEW,
}

# ---------------------------------------------------------------------------- chaoskit's grants to the trainee

SESSION_ROLE: tuple[Rule, ...] = tuple(r for r in CLUSTER_ROLES["admin"] if r.verbs != ("impersonate",)) \
    + METRICS_READER
ELSEWHERE_ROLE: tuple[Rule, ...] = VIEW + METRICS_READER
CLUSTER_READER: tuple[Rule, ...] = (   # chaoskit's own: what describe, get nodes and top need at the cluster scope
    rule(READ, "", "nodes", "namespaces", "persistentvolumes"),
    rule(READ, "storage.k8s.io", "storageclasses", "csidrivers", "csinodes"),
    rule(READ, "networking.k8s.io", "ingressclasses"),
    rule(READ, "scheduling.k8s.io", "priorityclasses"),
    rule(READ, "node.k8s.io", "runtimeclasses"),
    rule(READ, "apiextensions.k8s.io", "customresourcedefinitions"),
    rule(READ, "metrics.k8s.io", "nodes"),
    rule(READ, "resource.k8s.io", "resourceslices", "deviceclasses"),
)
NODE_LEASES: tuple[Rule, ...] = (   # chaoskit's own: describe node shows the kubelet's heartbeat lease
    rule(READ, "coordination.k8s.io", "leases"),
)
NODE_LEASE_NAMESPACE = "kube-node-lease"
NODE_WRITER: tuple[Rule, ...] = (rule(("patch", "update"), "", "nodes"),)


@dataclass(frozen=True)
class Policy:
    """A session's trainee: who, which namespaces are theirs, and whether node writes may ever be
    allowed (they are then allowed only while the session's namespace carries the node-faults label)."""

    namespaces: frozenset[str]
    nodes: bool = False
    user: str = TRAINEE
    groups: tuple[str, ...] = (AUTHENTICATED,)


@dataclass(frozen=True)
class Facts:
    """What the cluster says right now: other sessions' namespaces, whether this session's
    namespace is marked for node faults, and which nodes are the control plane."""

    others: frozenset[str] = frozenset()
    node_faults: bool = False
    control_plane: frozenset[str] = frozenset()


def facts_from(policy: Policy, namespaces: Iterable[dict[str, Any]], control_plane: Iterable[str]) -> Facts:
    """The :class:`Facts` in a list of namespace objects and the control-plane nodes' names."""
    others, marked = set(), False
    for ns in namespaces:
        meta = ns.get("metadata") or {}
        name, labels = str(meta.get("name", "")), meta.get("labels") or {}
        if name in policy.namespaces:
            marked = marked or labels.get(NODE_FAULTS_LABEL) == "true"
        elif labels.get(MANAGED_BY) == "chaoskit":
            others.add(name)
    return Facts(frozenset(others), marked, frozenset(control_plane))


def is_control_plane(node: dict[str, Any]) -> bool:
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    return CONTROL_PLANE_LABEL in (meta.get("labels") or {}) or \
        any(t.get("key") == CONTROL_PLANE_LABEL for t in spec.get("taints") or [] if isinstance(t, dict))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOW = Decision(True)


def held(policy: Policy, facts: Facts, namespace: str) -> tuple[Rule, ...]:
    """The rules the trainee holds for requests in ``namespace`` ('' for the cluster scope): their
    namespace bindings plus the cluster-wide ones, as RBAC's ``RulesFor`` collects them."""
    cluster = BASIC_USER + CLUSTER_READER
    if policy.nodes and facts.node_faults:
        cluster += NODE_WRITER
    if not facts.others:
        cluster += ELSEWHERE_ROLE
    if not namespace:
        return cluster
    if namespace in policy.namespaces:
        return SESSION_ROLE + cluster
    if namespace in facts.others:
        return ()
    if namespace == NODE_LEASE_NAMESPACE:
        return ELSEWHERE_ROLE + NODE_LEASES + cluster
    return ELSEWHERE_ROLE + cluster


def granted(policy: Policy, facts: Facts, namespace: str) -> tuple[Rule, ...]:
    """What the proxy lets through: what is held, plus the guarded update of the session's own
    namespace object (never held, so never delegable)."""
    rules = held(policy, facts, namespace)
    if namespace in policy.namespaces:
        rules += (rule(("update", "patch"), "", "namespaces", names=(namespace,)),)
    return rules


def authorize(info: RequestInfo, policy: Policy, facts: Facts | None = None) -> Decision:
    """May the trainee make this request? A pure function of its reading, the policy and the facts."""
    facts = facts or Facts()
    if not info.resource_request:
        if info.path.startswith(CONTROL_PREFIX.rstrip("/")):
            return Decision(False, "chaoskit's own control paths are for chaoskit alone")
        if any(r.allows(info) for r in DISCOVERY):
            return ALLOW
        return Decision(False, "only discovery, version, health and OpenAPI paths are open, and only to read")
    namespace = info.namespace
    if namespace in facts.others and namespace not in policy.namespaces:
        return Decision(False, f'namespace "{namespace}" belongs to another chaoskit session')
    if not any(r.allows(info) for r in granted(policy, facts, namespace)):
        return Decision(False, _why_not(info, policy, facts))
    if namespace in NEVER_WRITTEN and not info.read:   # even were it a session's namespace by mistake
        return Decision(False, f'namespace "{namespace}" is never written')
    if info.resource == "nodes" and not info.group and not info.read and info.name in facts.control_plane:
        return Decision(False, f'node "{info.name}" is the control plane; only worker nodes may be changed')
    return ALLOW


def _why_not(info: RequestInfo, policy: Policy, facts: Facts) -> str:
    """The reason appended to a refusal, so the trainee learns the boundary rather than guessing."""
    mine = ", ".join(f'"{n}"' for n in sorted(policy.namespaces))
    if info.resource == "nodes" and (info.subresource == "proxy" or info.verb == "proxy"):
        return "the kubelet API (nodes/proxy) is never open to the trainee"
    if info.verb == "proxy":
        return "the legacy /proxy/ paths are closed; use a proxy subresource in the session's namespace"
    if info.resource == "nodes" and not info.group and info.verb in ("patch", "update") and not info.subresource:
        return "node-level changes are allowed only in sessions whose scenario has node faults"
    if info.resource == "secrets" and not info.group and info.read:
        return f"Secrets are readable only in the session's namespace ({mine})"
    if not info.namespace and info.verb in ("list", "watch") and facts.others and \
            any(r.allows(info) for r in ELSEWHERE_ROLE):
        return ("another chaoskit session shares this cluster, so lists across namespaces are closed; "
                "name the namespace (-n NAMESPACE)")
    if info.resource == "pods" and info.subresource in ("exec", "attach", "portforward"):
        return f"exec, attach and port-forward work only in the session's namespace ({mine})"
    if info.read:
        return ""
    if info.namespace and info.namespace not in policy.namespaces:
        return f"outside the session's namespace ({mine}) the trainee may only read"
    if not info.namespace:
        return "cluster-scoped changes are not allowed"
    return ""


# ---------------------------------------------------------------------------- RBAC's wording


def _sanitize(text: str) -> str:
    """responsewriters' sanitizer: nothing in an error that looks like HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _q(text: str) -> str:
    """Go's %q for plain strings."""
    return json.dumps(text, ensure_ascii=False)


def _qs(items: Sequence[str]) -> str:
    """Go's %q for a []string: ``["a" "b"]``."""
    return "[" + " ".join(_q(i) for i in items) + "]"


def forbidden_details(resource: str, name: str, group: str) -> dict[str, str]:
    """``metav1.StatusDetails`` as ``NewForbidden`` fills it (empty fields omitted)."""
    return {k: v for k, v in (("name", name), ("group", group), ("kind", resource)) if v}


def qualified(resource: str, group: str) -> str:
    """``schema.GroupResource.String()``: ``deployments.apps``, ``pods``."""
    return f"{resource}.{group}" if group else resource


def new_forbidden(resource: str, group: str, name: str, err: str) -> Forbidden:
    """``apierrors.NewForbidden(groupResource, name, err)``."""
    if not resource and not group:
        message = f"forbidden: {err}"
    elif not name:
        message = f"{qualified(resource, group)} is forbidden: {err}"
    else:
        message = f"{qualified(resource, group)} {_q(name)} is forbidden: {err}"
    return Forbidden(message, forbidden_details(resource, name, group))


def forbidden(info: RequestInfo, user: str = TRAINEE, reason: str = "") -> Forbidden:
    """The 403 ``responsewriters.Forbidden`` writes for a refused request, ``reason`` appended."""
    if not info.resource_request:
        msg = f"User {_q(user)} cannot {info.verb} path {_q(info.path)}"
    else:
        where = f"in the namespace {_q(info.namespace)}" if info.namespace else "at the cluster scope"
        msg = (f"User {_q(user)} cannot {info.verb} resource {_q(info.resource_path)} in API group "
               f"{_q(info.group)} {where}")
    err = _sanitize(msg) + (f": {reason}" if reason else "")
    if not info.resource_request:
        return new_forbidden("", "", "", err)
    return new_forbidden(info.resource, info.group, info.name, err)


IMPERSONATION = "impersonation is not open to the trainee"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


def header_refusal(headers: Any, user: str) -> Forbidden | None:
    """The 403 kube-apiserver's impersonation filter gives a user who may not impersonate, for
    the first ``Impersonate-*`` header; ``X-Remote-*`` (front-proxy identity) likewise."""
    for key in headers:
        low = key.lower()
        value = str(headers[key])
        if low.startswith("x-remote-"):
            return new_forbidden("", "", "", f'User "{user}" cannot send the {key} header: identity headers are '
                                 "for an authenticating front proxy, and the trainee is not one")
        if not low.startswith("impersonate-"):
            continue
        where, group, resource, name = "at the cluster scope", "", "users", value
        if low == "impersonate-user" and value.startswith(SERVICE_ACCOUNT_PREFIX):
            namespace, _, name = value.removeprefix(SERVICE_ACCOUNT_PREFIX).partition(":")
            resource, where = "serviceaccounts", f'in the namespace "{namespace}"'
        elif low == "impersonate-group":
            resource = "groups"
        elif low == "impersonate-uid":
            group, resource = "authentication.k8s.io", "uids"
        elif low.startswith("impersonate-extra-"):
            group, resource = "authentication.k8s.io", "userextras/" + unquote(low.removeprefix("impersonate-extra-"))
        elif low != "impersonate-user":
            resource = low.removeprefix("impersonate-")
        msg = (f'User "{user}" cannot impersonate resource "{resource}" in API group "{group}" {where}: '
               f"{IMPERSONATION}")
        return new_forbidden(resource.split("/")[0], group, name, msg)
    return None


# ---------------------------------------------------------------------------- RBAC's escalation check


def rules_of(role: dict[str, Any]) -> tuple[Rule, ...]:
    """The rules of a Role or ClusterRole object (as JSON)."""
    out = []
    for r in role.get("rules") or []:
        if isinstance(r, dict):
            out.append(Rule(tuple(r.get("verbs") or ()), tuple(r.get("apiGroups") or ()),
                            tuple(r.get("resources") or ()), tuple(r.get("resourceNames") or ()),
                            tuple(r.get("nonResourceURLs") or ())))
    return tuple(out)


def _breakdown(r: Rule) -> list[Rule]:
    """``BreakdownRule``: one verb, one group, one resource, at most one name per rule."""
    out = []
    for group in r.groups:
        for resource in r.resources:
            for verb in r.verbs:
                if r.names:
                    out += [Rule((verb,), (group,), (resource,), (name,)) for name in r.names]
                else:
                    out.append(Rule((verb,), (group,), (resource,)))
    for url in r.urls:
        out += [Rule((verb,), urls=(url,)) for verb in r.verbs]
    return out


def _covers(owner: Rule, sub: Rule) -> bool:
    """``ruleCovers`` (pkg/registry/rbac/validation/policy_comparator.go)."""
    verbs = ALL in owner.verbs or all(v in owner.verbs for v in sub.verbs)
    groups = ALL in owner.groups or all(g in owner.groups for g in sub.groups)
    resources = ALL in owner.resources or all(
        s in owner.resources or any(o.startswith("*/") and s.endswith(o[1:]) for o in owner.resources)
        for s in sub.resources)
    paths = ALL in owner.urls or all(
        s in owner.urls or any(o.endswith("*") and s.startswith(o[:-1]) for o in owner.urls) for s in sub.urls)
    names = not owner.names if not sub.names else (not owner.names or all(n in owner.names for n in sub.names))
    return verbs and groups and resources and paths and names


def _compact_string(r: Rule) -> str:
    """``PolicyRule.CompactString`` (pkg/apis/rbac/v1/helpers.go)."""
    parts = []
    for label, values in (("APIGroups", r.groups), ("Resources", r.resources), ("NonResourceURLs", r.urls),
                          ("ResourceNames", r.names), ("Verbs", r.verbs)):
        if values:
            parts.append(f"{label}:{_qs(values)}")
    return "{" + ", ".join(parts) + "}"


def missing_rights(owner: Sequence[Rule], wanted: Sequence[Rule]) -> list[str]:
    """What ``wanted`` grants beyond ``owner``: ``Covers`` then ``CompactRules`` (simple rules that
    differ only by verb merged), each in ``CompactString`` form, sorted as ``sets.String.List``."""
    missing = [sub for r in wanted for sub in _breakdown(r) if not any(_covers(o, sub) for o in owner)]
    simple: dict[tuple[str, str, str], Rule] = {}
    others = []
    for m in missing:
        if m.urls or len(m.groups) != 1 or len(m.resources) != 1 or len(m.names) > 1:
            others.append(m)
            continue
        key = (m.groups[0], m.resources[0], m.names[0] if m.names else "\x00")
        seen = simple.get(key)
        simple[key] = m if seen is None else Rule(seen.verbs + m.verbs, seen.groups, seen.resources, seen.names)
    return sorted({_compact_string(r) for r in [*others, *simple.values()]})


def escalation(policy: Policy, facts: Facts, namespace: str, wanted: Sequence[Rule]) -> str:
    """``ConfirmNoEscalation``'s error ('' when the trainee holds everything ``wanted`` grants)."""
    missing = missing_rights(held(policy, facts, namespace), wanted)
    if not missing:
        return ""
    return (f"user {_q(policy.user)} (groups={_qs(policy.groups)}) is attempting to grant RBAC permissions not "
            "currently held:\n" + "\n".join(missing))

