"""The trainee's policy as a table, RBAC's wording and escalation check, the admission review,
the canonical reading of a request (hypothesis), and the simulator holding a session's trainee
to the same rules (in-process, no TLS)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoskit.kube.admit import guarded, namespace_change, review
from chaoskit.kube.audit import AuditLog
from chaoskit.kube.audit import read as read_audit
from chaoskit.kube.authz import (
    CLUSTER_ROLES,
    Facts,
    Policy,
    Rule,
    authorize,
    escalation,
    facts_from,
    forbidden,
    header_refusal,
    held,
    missing_rights,
)
from chaoskit.kube.identity import SYSTEM, TRAINEE
from chaoskit.kube.requestinfo import canonical, request_info
from chaoskit.kube.reviews import answer
from chaoskit.kube.status import BadRequest

SESSION = "chaoskit-oom-1a2b"
OTHER = "chaoskit-bad-image-3c4d"
POLICY = Policy(frozenset({SESSION}), nodes=True)
ALONE = Facts(control_plane=frozenset({"chaoskit-control-plane"}))
CROWDED = Facts(others=frozenset({OTHER}), control_plane=frozenset({"chaoskit-control-plane"}))
NODE_FAULTS = Facts(node_faults=True, control_plane=frozenset({"chaoskit-control-plane"}))
NS = f"/api/v1/namespaces/{SESSION}"
APPS = f"/apis/apps/v1/namespaces/{SESSION}"
OUTSIDE = f'outside the session\'s namespace ("{SESSION}") the trainee may only read'


def decide(method: str, target: str, facts: Facts = ALONE) -> tuple[bool, str]:
    info = request_info(canonical(method, target))
    decision = authorize(info, POLICY, facts)
    return decision.allowed, "" if decision.allowed else forbidden(info, TRAINEE, decision.reason).message


# ---------------------------------------------------------------------------- the policy, as a table

ALLOWED = [
    ("GET", f"{NS}/pods", ALONE),                                    # kubectl get pods
    ("GET", f"{NS}/pods/web-1/log?follow=true", ALONE),              # logs -f
    ("POST", f"{NS}/pods/web-1/exec?command=sh", ALONE),             # exec in the session namespace
    ("GET", f"{NS}/pods/web-1/exec?command=sh&stdout=true", ALONE),  # ... over a WebSocket upgrade
    ("GET", f"{NS}/pods/web-1/portforward", ALONE),
    ("GET", f"{NS}/pods/web-1/attach?stdout=true", ALONE),
    ("PATCH", f"{APPS}/deployments/checkout", ALONE),                # edit, set image, rollout undo/restart
    ("PATCH", f"{APPS}/deployments/checkout/scale", ALONE),          # scale
    ("DELETE", f"{NS}/pods/web-1", ALONE),
    ("POST", f"{NS}/configmaps", ALONE),                             # create configmap
    ("POST", f"{NS}/secrets", ALONE),                                # create secret generic
    ("GET", f"{NS}/secrets/payments-provider", ALONE),
    ("GET", f"{NS}/services/checkout:80/proxy/healthz", ALONE),      # get --raw through the service proxy
    ("POST", f"{NS}/serviceaccounts/default/token", ALONE),          # a TokenRequest in the session
    ("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{SESSION}/rolebindings", ALONE),
    ("PATCH", f"/api/v1/namespaces/{SESSION}", ALONE),               # its own labels (guarded by admit)
    ("GET", f"/api/v1/namespaces/{SESSION}", ALONE),
    ("GET", "/api/v1/namespaces/kube-system/pods", ALONE),           # view elsewhere
    ("GET", "/api/v1/namespaces/kube-system/pods/etcd-x/log", ALONE),
    ("GET", "/api/v1/namespaces/kube-system/events", ALONE),
    ("GET", "/api/v1/nodes", ALONE),                                 # get nodes, describe node
    ("GET", "/api/v1/nodes/chaoskit-worker", ALONE),
    ("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dchaoskit-worker", ALONE),  # describe node, alone
    ("GET", "/api/v1/pods", ALONE),                                  # get pods -A, alone
    ("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/chaoskit-worker", ALONE),
    ("GET", "/apis/metrics.k8s.io/v1beta1/nodes", ALONE),            # top nodes
    ("GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/{SESSION}/pods", ALONE),
    ("PATCH", "/api/v1/nodes/chaoskit-worker", NODE_FAULTS),         # cordon, taint: only with node faults
    ("GET", "/version", ALONE), ("GET", "/api", ALONE), ("GET", "/apis/apps/v1", ALONE),
    ("GET", "/openapi/v3/apis/apps/v1?hash=x", ALONE), ("GET", "/healthz", ALONE),
    ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ALONE),
]


@pytest.mark.parametrize(("method", "target", "facts"), ALLOWED)
def test_the_trainee_may(method: str, target: str, facts: Facts) -> None:
    assert decide(method, target, facts) == (True, "")


REFUSED = [
    ("POST", "/api/v1/namespaces/kube-system/configmaps", ALONE,
     'configmaps is forbidden: User "trainee" cannot create resource "configmaps" in API group "" in the namespace '
     f'"kube-system": {OUTSIDE}'),
    ("POST", "/api/v1/namespaces/kube-system/pods/etcd-x/exec?command=sh", ALONE,
     'pods "etcd-x" is forbidden: User "trainee" cannot create resource "pods/exec" in API group "" in the namespace '
     f'"kube-system": exec, attach and port-forward work only in the session\'s namespace ("{SESSION}")'),
    ("GET", "/api/v1/namespaces/default/pods/web/portforward", ALONE,
     'pods "web" is forbidden: User "trainee" cannot create resource "pods/portforward" in API group "" in the '
     f'namespace "default": exec, attach and port-forward work only in the session\'s namespace ("{SESSION}")'),
    ("GET", "/api/v1/nodes/chaoskit-worker/proxy/pods", ALONE,
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot get resource "nodes/proxy" in API group "" at '
     "the cluster scope: the kubelet API (nodes/proxy) is never open to the trainee"),
    ("GET", "/api/v1/proxy/nodes/chaoskit-worker/pods", ALONE,
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot proxy resource "nodes" in API group "" at the '
     "cluster scope: the kubelet API (nodes/proxy) is never open to the trainee"),
    ("GET", "/api/v1/namespaces/kube-system/secrets/bootstrap-token", ALONE,
     'secrets "bootstrap-token" is forbidden: User "trainee" cannot get resource "secrets" in API group "" in the '
     f'namespace "kube-system": Secrets are readable only in the session\'s namespace ("{SESSION}")'),
    ("GET", "/api/v1/secrets", ALONE,
     'secrets is forbidden: User "trainee" cannot list resource "secrets" in API group "" at the cluster scope: '
     f'Secrets are readable only in the session\'s namespace ("{SESSION}")'),
    ("GET", "/api/v1/secrets?watch=true", ALONE,
     'secrets is forbidden: User "trainee" cannot watch resource "secrets" in API group "" at the cluster scope: '
     f'Secrets are readable only in the session\'s namespace ("{SESSION}")'),
    ("GET", "/api/v1/watch/secrets", ALONE,
     'secrets is forbidden: User "trainee" cannot watch resource "secrets" in API group "" at the cluster scope: '
     f'Secrets are readable only in the session\'s namespace ("{SESSION}")'),
    ("GET", f"/api/v1/namespaces/{OTHER}/pods", CROWDED,
     f'pods is forbidden: User "trainee" cannot list resource "pods" in API group "" in the namespace "{OTHER}": '
     f'namespace "{OTHER}" belongs to another chaoskit session'),
    ("GET", f"/api/v1/namespaces/{OTHER}", CROWDED,
     f'namespaces "{OTHER}" is forbidden: User "trainee" cannot get resource "namespaces" in API group "" in the '
     f'namespace "{OTHER}": namespace "{OTHER}" belongs to another chaoskit session'),
    ("GET", "/api/v1/pods", CROWDED,
     'pods is forbidden: User "trainee" cannot list resource "pods" in API group "" at the cluster scope: another '
     "chaoskit session shares this cluster, so lists across namespaces are closed; name the namespace "
     "(-n NAMESPACE)"),
    ("GET", "/apis/apps/v1/deployments?watch=1", CROWDED,
     'deployments.apps is forbidden: User "trainee" cannot watch resource "deployments" in API group "apps" at the '
     "cluster scope: another chaoskit session shares this cluster, so lists across namespaces are closed; name the "
     "namespace (-n NAMESPACE)"),
    ("POST", "/api/v1/namespaces", ALONE,
     'namespaces is forbidden: User "trainee" cannot create resource "namespaces" in API group "" at the cluster '
     "scope: cluster-scoped changes are not allowed"),
    ("DELETE", f"/api/v1/namespaces/{SESSION}", ALONE,
     f'namespaces "{SESSION}" is forbidden: User "trainee" cannot delete resource "namespaces" in API group "" in '
     f'the namespace "{SESSION}"'),
    ("PUT", f"/api/v1/namespaces/{SESSION}/finalize", ALONE,
     f'namespaces "{SESSION}" is forbidden: User "trainee" cannot update resource "namespaces/finalize" in API group '
     f'"" in the namespace "{SESSION}"'),
    ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ALONE,
     'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "trainee" cannot create resource '
     '"clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope: cluster-scoped changes '
     "are not allowed"),
    ("PATCH", "/api/v1/nodes/chaoskit-worker", ALONE,
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot patch resource "nodes" in API group "" at the '
     "cluster scope: node-level changes are allowed only in sessions whose scenario has node faults"),
    ("PATCH", "/api/v1/nodes/chaoskit-control-plane", NODE_FAULTS,
     'nodes "chaoskit-control-plane" is forbidden: User "trainee" cannot patch resource "nodes" in API group "" at '
     'the cluster scope: node "chaoskit-control-plane" is the control plane; only worker nodes may be changed'),
    ("PATCH", "/api/v1/nodes/chaoskit-worker/status", NODE_FAULTS,
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot patch resource "nodes/status" in API group "" at '
     "the cluster scope: cluster-scoped changes are not allowed"),
    ("DELETE", "/api/v1/nodes/chaoskit-worker", NODE_FAULTS,
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot delete resource "nodes" in API group "" at the '
     "cluster scope: cluster-scoped changes are not allowed"),
    ("POST", "/api/v1/namespaces/kube-system/serviceaccounts/default/token", ALONE,
     'serviceaccounts "default" is forbidden: User "trainee" cannot create resource "serviceaccounts/token" in API '
     f'group "" in the namespace "kube-system": {OUTSIDE}'),
    ("POST", f"{NS}/pods/web-1/binding", ALONE,
     'pods "web-1" is forbidden: User "trainee" cannot create resource "pods/binding" in API group "" in the '
     f'namespace "{SESSION}"'),
    ("PATCH", f"{NS}/pods/web-1/ephemeralcontainers", ALONE,
     'pods "web-1" is forbidden: User "trainee" cannot patch resource "pods/ephemeralcontainers" in API group "" in '
     f'the namespace "{SESSION}"'),
    ("PUT", "/chaoskit/v1/nodes/chaoskit-worker/kubelet", ALONE,
     'forbidden: User "trainee" cannot put path "/chaoskit/v1/nodes/chaoskit-worker/kubelet": chaoskit\'s own '
     "control paths are for chaoskit alone"),
    ("GET", "/chaoskit/v1/identity", ALONE,
     'forbidden: User "trainee" cannot get path "/chaoskit/v1/identity": chaoskit\'s own control paths are for '
     "chaoskit alone"),
    ("GET", "/logs", ALONE,
     'forbidden: User "trainee" cannot get path "/logs": only discovery, version, health and OpenAPI paths are '
     "open, and only to read"),
    ("POST", "/version", ALONE,
     'forbidden: User "trainee" cannot post path "/version": only discovery, version, health and OpenAPI paths are '
     "open, and only to read"),
    ("GET", "/metrics", ALONE,
     'forbidden: User "trainee" cannot get path "/metrics": only discovery, version, health and OpenAPI paths are '
     "open, and only to read"),
    ("POST", "/apis/authentication.k8s.io/v1/tokenreviews", ALONE,
     'tokenreviews.authentication.k8s.io is forbidden: User "trainee" cannot create resource "tokenreviews" in API '
     'group "authentication.k8s.io" at the cluster scope: cluster-scoped changes are not allowed'),
]


@pytest.mark.parametrize(("method", "target", "facts", "message"), REFUSED)
def test_the_trainee_may_not(method: str, target: str, facts: Facts, message: str) -> None:
    assert decide(method, target, facts) == (False, message)


def test_rbac_wording_sanitizes_html_and_names_the_group() -> None:
    info = request_info(canonical("GET", "/a<b>&c"))
    assert forbidden(info).message == 'forbidden: User "trainee" cannot get path "/a&lt;b&gt;&amp;c"'
    assert forbidden(info).status()["details"] == {}
    info = request_info(canonical("PATCH", f"{APPS}/deployments/web/scale"))
    err = forbidden(info, reason="because")
    assert err.message == ('deployments.apps "web" is forbidden: User "trainee" cannot patch resource '
                           f'"deployments/scale" in API group "apps" in the namespace "{SESSION}": because')
    assert err.status()["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    assert err.code == 403 and err.status()["reason"] == "Forbidden"


def test_facts_come_from_the_cluster_labels() -> None:
    def ns(name: str, **labels: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "labels": labels}}

    marks = {"app.kubernetes.io/managed-by": "chaoskit", "chaoskit.dev/session": "s"}
    facts = facts_from(POLICY, [ns(SESSION, **marks, **{"chaoskit.dev/node-faults": "true"}), ns(OTHER, **marks),
                                ns("kube-system"), ns("team-b", tier="x")], ["cp"])
    assert facts == Facts(frozenset({OTHER}), True, frozenset({"cp"}))
    assert facts_from(POLICY, [ns(SESSION, **marks)], []).node_faults is False


def test_impersonation_and_front_proxy_headers_are_refused_in_rbac_words() -> None:
    cases = {
        ("Impersonate-User", "kubernetes-admin"):
            'users "kubernetes-admin" is forbidden: User "trainee" cannot impersonate resource "users" in API group "" '
            "at the cluster scope",
        ("Impersonate-User", "system:serviceaccount:kube-system:default"):
            'serviceaccounts "default" is forbidden: User "trainee" cannot impersonate resource "serviceaccounts" in '
            'API group "" in the namespace "kube-system"',
        ("Impersonate-Group", "system:masters"):
            'groups "system:masters" is forbidden: User "trainee" cannot impersonate resource "groups" in API group "" '
            "at the cluster scope",
        ("Impersonate-Uid", "1234"):
            'uids.authentication.k8s.io "1234" is forbidden: User "trainee" cannot impersonate resource "uids" in API '
            'group "authentication.k8s.io" at the cluster scope',
        ("Impersonate-Extra-Scopes", "view"):
            'userextras.authentication.k8s.io "view" is forbidden: User "trainee" cannot impersonate resource '
            '"userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
    }
    for (header, value), message in cases.items():
        refused = header_refusal({"Accept": "application/json", header: value}, TRAINEE)
        assert refused is not None and refused.message == f"{message}: impersonation is not open to the trainee"
    remote = header_refusal({"X-Remote-User": "admin"}, TRAINEE)
    assert remote is not None and remote.code == 403 and remote.message.startswith(
        'forbidden: User "trainee" cannot send the X-Remote-User header')
    assert header_refusal({"Accept": "*/*", "User-Agent": "kubectl"}, TRAINEE) is None


# ---------------------------------------------------------------------------- RBAC's escalation check


def test_escalation_is_worded_as_rbac_words_it() -> None:
    star = escalation(POLICY, ALONE, SESSION, (Rule(("*",), ("*",), ("*",)),))
    assert star == ('user "trainee" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not '
                    'currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}')
    admin = escalation(POLICY, ALONE, SESSION, CLUSTER_ROLES["cluster-admin"])
    assert admin.endswith('held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], '
                          'Verbs:["*"]}')
    # verbs of one simple resource merge; the list is sorted as a string set
    assert missing_rights(held(POLICY, ALONE, SESSION), (
        Rule(("delete", "get", "escalate"), ("rbac.authorization.k8s.io",), ("clusterroles",)),
        Rule(("bind",), ("rbac.authorization.k8s.io",), ("roles",), ("admin", "edit")),
        Rule(("get",), ("",), ("pods",)),
    )) == ['{APIGroups:["rbac.authorization.k8s.io"], Resources:["clusterroles"], Verbs:["delete" "get" "escalate"]}',
           '{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], ResourceNames:["admin"], Verbs:["bind"]}',
           '{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], ResourceNames:["edit"], Verbs:["bind"]}']


@pytest.mark.parametrize(("role", "missing"), [
    ("view", ""),
    ("edit", '{APIGroups:[""], Resources:["serviceaccounts"], Verbs:["impersonate"]}'),
    ("admin", '{APIGroups:[""], Resources:["serviceaccounts"], Verbs:["impersonate"]}'),
    ("cluster-admin", '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}'),
])
def test_binding_a_cluster_role_needs_every_right_it_grants(role: str, missing: str) -> None:
    why = escalation(POLICY, ALONE, SESSION, CLUSTER_ROLES[role])
    assert why.split("held:\n", 1)[-1] == missing if missing else why == ""


def test_the_namespace_grant_is_not_held_so_not_delegable() -> None:
    own = Rule(("patch",), ("",), ("namespaces",), (SESSION,))
    assert decide("PATCH", f"/api/v1/namespaces/{SESSION}") == (True, "")
    assert escalation(POLICY, ALONE, SESSION, (own,)).endswith(
        f'{{APIGroups:[""], Resources:["namespaces"], ResourceNames:["{SESSION}"], Verbs:["patch"]}}')
    # what is held may be handed on: a Role for a service account that reads pods and execs
    assert escalation(POLICY, ALONE, SESSION, (Rule(("get", "list"), ("",), ("pods", "pods/log")),
                                               Rule(("create",), ("",), ("pods/exec",)))) == ""


# ---------------------------------------------------------------------------- the admission review


def _info(method: str, target: str) -> Any:
    return request_info(canonical(method, target))


def pod(**spec: Any) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": "p", "namespace": SESSION},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


@pytest.mark.parametrize(("spec", "why"), [
    ({}, ""),
    ({"nodeName": "chaoskit-worker"}, ""),
    ({"tolerations": [{"key": "maintenance", "operator": "Equal", "value": "true", "effect": "NoExecute"}]}, ""),
    ({"tolerations": [{"operator": "Exists", "key": "node.kubernetes.io/unreachable"}]}, ""),
    ({"nodeName": "chaoskit-control-plane"},
     'spec.nodeName: node "chaoskit-control-plane" is the control plane; trainee pods run on worker nodes'),
    ({"tolerations": [{"operator": "Exists"}]},
     "spec.tolerations[0]: an Exists toleration without a key tolerates every taint, the control plane's too"),
    ({"tolerations": [{"key": "a"}, {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
     'spec.tolerations[1]: tolerating "node-role.kubernetes.io/control-plane" would let trainee pods onto the '
     "control plane"),
])
def test_pods_stay_off_the_control_plane(spec: dict[str, Any], why: str) -> None:
    refused = review(_info("POST", f"{NS}/pods"), POLICY, ALONE, pod(**spec))
    assert (refused.message if refused else "") == (f'pods "p" is forbidden: {why}' if why else "")


def test_pod_templates_are_reviewed_where_each_kind_keeps_them() -> None:
    bad = {"tolerations": [{"operator": "Exists"}]}
    deploy = {"metadata": {"name": "web"}, "spec": {"template": {"spec": bad}}}
    cron = {"metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": bad}}}}}
    for target, obj, where in ((f"{APPS}/deployments", deploy, "deployments.apps \"web\" is forbidden: spec.template"),
                               (f"/apis/batch/v1/namespaces/{SESSION}/cronjobs", cron,
                                'cronjobs.batch "nightly" is forbidden: spec.jobTemplate.spec.template')):
        refused = review(_info("POST", target), POLICY, ALONE, obj)
        assert refused is not None and refused.message.startswith(f"{where}.spec.tolerations[0]: an Exists")
    assert guarded(_info("PATCH", f"{APPS}/statefulsets/db")) and guarded(_info("PUT", f"{NS}/pods/p"))
    assert not guarded(_info("PATCH", f"{APPS}/deployments/web/scale")) and not guarded(_info("GET", f"{NS}/pods"))


MARKS = {"app.kubernetes.io/managed-by": "chaoskit", "chaoskit.dev/session": "s",
         "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "latest"}


def namespace(**labels: str | None) -> dict[str, Any]:
    merged = {k: v for k, v in {**MARKS, **labels}.items() if v is not None}
    return {"metadata": {"name": SESSION, "labels": merged}}


@pytest.mark.parametrize(("labels", "changed"), [
    ({"team": "payments"}, ""),
    ({"pod-security.kubernetes.io/enforce": "privileged"}, "label pod-security.kubernetes.io/enforce"),
    ({"pod-security.kubernetes.io/warn": "restricted"}, "label pod-security.kubernetes.io/warn"),
    ({"app.kubernetes.io/managed-by": None}, "label app.kubernetes.io/managed-by"),
    ({"chaoskit.dev/node-faults": "true"}, "label chaoskit.dev/node-faults"),
    ({"chaoskit.dev/session": "someone-else"}, "label chaoskit.dev/session"),
])
def test_chaoskit_marks_on_the_session_namespace_stay(labels: dict[str, str | None], changed: str) -> None:
    assert namespace_change(namespace(), namespace(**labels)) == (
        f"chaoskit's marks on a session namespace stay as chaoskit set them ({changed})" if changed else "")
    refused = review(_info("PATCH", f"/api/v1/namespaces/{SESSION}"), POLICY, ALONE, namespace(**labels),
                     namespace())
    assert (refused is not None) is bool(changed)
    if refused is not None:
        assert refused.message.startswith(f'namespaces "{SESSION}" is forbidden: chaoskit\'s marks')


def test_finalizers_and_owners_of_the_session_namespace_stay() -> None:
    held_back = {**namespace(), "metadata": {**namespace()["metadata"], "finalizers": ["example.com/hold"]}}
    assert "finalizers" in namespace_change(namespace(), held_back)


def test_roles_and_bindings_are_reviewed_for_escalation() -> None:
    role = {"metadata": {"name": "everything"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}
    refused = review(_info("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{SESSION}/roles"), POLICY,
                     ALONE, role)
    assert refused is not None and refused.message == (
        'roles.rbac.authorization.k8s.io "everything" is forbidden: user "trainee" (groups=["system:authenticated"]) '
        'is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}')
    binding = {"metadata": {"name": "me-admin"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}
    target = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{SESSION}/rolebindings"
    refused = review(_info("POST", target), POLICY, ALONE, binding, referenced=CLUSTER_ROLES["cluster-admin"])
    assert refused is not None and refused.message.startswith(
        'rolebindings.rbac.authorization.k8s.io "me-admin" is forbidden: user "trainee"')
    assert review(_info("POST", target), POLICY, ALONE, binding, referenced=CLUSTER_ROLES["view"]) is None


# ---------------------------------------------------------------------------- kubectl auth can-i / whoami


def test_self_reviews_are_answered_from_the_policy() -> None:
    # the protobuf body kubectl 1.37 sends for 'auth can-i create pods -n kube-system'
    body = (b'k8s\x00\n2\n\x17authorization.k8s.io/v1\x12\x17SelfSubjectAccessReview\x12C\n\x10\n\x00\x12\x00\x1a'
            b'\x00"\x00*\x002\x008\x00B\x00\x12%\n#\n\x0bkube-system\x12\x06create\x1a\x00"\x00*\x04pods2\x00:\x00'
            b'\x1a\x08\x08\x00\x12\x00\x1a\x00 \x00\x1a\x00"\x00')
    ssar = _info("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    got = answer(ssar, POLICY, ALONE, body, "application/vnd.kubernetes.protobuf")
    assert got["status"] == {"allowed": False, "reason": OUTSIDE}
    assert got["spec"]["resourceAttributes"]["namespace"] == "kube-system"
    mine = json.dumps({"spec": {"resourceAttributes": {"namespace": SESSION, "verb": "create", "resource": "pods",
                                                       "subresource": "exec"}}}).encode()
    assert answer(ssar, POLICY, ALONE, mine, "application/json")["status"] == {"allowed": True}
    who = answer(_info("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews"), POLICY, ALONE, b"", "")
    assert who["status"]["userInfo"] == {"username": "trainee", "groups": ["system:authenticated"]}
    rules = answer(_info("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"), POLICY, ALONE,
                   json.dumps({"spec": {"namespace": SESSION}}).encode(), "application/json")["status"]
    assert {"verbs": ["update", "patch"], "apiGroups": [""], "resources": ["namespaces"],
            "resourceNames": [SESSION]} in rules["resourceRules"]
    assert not rules["incomplete"]
    assert rules["nonResourceRules"][0] == {"verbs": ["get"], "nonResourceURLs": [
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version",
        "/version/"]}


# ---------------------------------------------------------------------------- the canonical reading


@pytest.mark.parametrize("target", [
    f"{NS}/../kube-system/configmaps", f"{NS}/%2e%2e/kube-system/configmaps", f"{NS}/%2E%2e/kube-system/configmaps",
    f"{NS}/.%2e/kube-system/configmaps", f"{NS}/pods%2f..%2fx", f"{NS}/pods%5cx", f"{NS}//pods", f"{NS}/./pods",
    f"{NS}/pods\\x", f"{NS}/%252e%252e/x", f"{NS}/pods?watch=true;x=1", f"{NS}/pods#frag", f"{NS}/pods/%zz",
    f"{NS}/pods/%ff", f"{NS}/pods/%00", f"{NS}/pods/\u00e9", f"{NS}/pods/a%0ab", "pods", "/" + "a" * 9000,
    "/api/v1/watch", "/api/v1/proxy",
])
def test_ambiguous_targets_are_refused_with_400(target: str) -> None:
    with pytest.raises(BadRequest):
        request_info(canonical("GET", target))


@pytest.mark.parametrize(("method", "target", "expect"), [
    ("GET", f"{NS}/pods?fieldSelector=metadata.name%3Dweb-1", ("list", "pods", "", "web-1")),
    ("GET", f"{NS}/pods?fieldSelector=metadata.name%3D%3Dweb-1%2Cstatus.phase%21%3DFailed&watch=True",
     ("watch", "pods", "", "web-1")),
    ("GET", f"{NS}/pods?fieldSelector=metadata.name%21%3Dweb-1", ("list", "pods", "", "")),
    ("GET", f"{NS}/pods?fieldSelector=metadata.name%3Dweb-1&limit=x", ("list", "pods", "", "")),
    ("GET", f"{NS}/pods?watch=", ("watch", "pods", "", "")),
    ("GET", f"{NS}/pods?watch=0", ("list", "pods", "", "")),
    ("GET", f"{NS}/pods?watch=FALSE", ("list", "pods", "", "")),
    ("GET", f"/api/v1/watch/namespaces/{SESSION}/pods/web-1", ("watch", "pods", "", "web-1")),
    ("GET", f"/api/v1/proxy/namespaces/{SESSION}/services/web/a/b", ("proxy", "services", "", "web")),
    ("GET", f"{NS}/services/https:web:8443/proxy/a/b", ("get", "services", "proxy", "https:web:8443")),
    ("HEAD", f"{NS}/pods/web-1", ("get", "pods", "", "web-1")),
    ("OPTIONS", f"{NS}/pods/web-1", ("", "pods", "", "web-1")),
    ("GET", f"{NS}/pods/web-1/exec?command=ls", ("create", "pods", "exec", "web-1")),
    ("DELETE", f"{NS}/pods?labelSelector=app%3Dweb", ("deletecollection", "pods", "", "")),
])
def test_request_info_reads_as_kube_apiserver_reads(method: str, target: str, expect: tuple[str, ...]) -> None:
    info = request_info(canonical(method, target))
    assert (info.verb, info.resource, info.subresource, info.name) == expect


def test_the_canonical_target_keeps_plus_and_semicolon_in_values() -> None:
    req = canonical("GET", f"{NS}/pods?labelSelector=a%2Bb%3Bc%3Dd&x=a+b")
    assert req.params == (("labelSelector", "a+b;c=d"), ("x", "a b"))
    assert canonical("GET", req.target) == req and "%2B" in req.target and "%3B" in req.target


GOOD = ["api", "v1", "apis", "apps", "namespaces", SESSION, "kube-system", "pods", "exec", "proxy", "watch", "x:y",
        "%41", "%C3%A9", "a+b", "~", "a;b", "%20", "web-1"]
BAD = [".", "..", "%2e", "%2E", "%2f", "%5c", "%25", "%252e", "%", "%00", "", "%2e%2E", ".%2e"]
QUERIES = ["", "watch=true", "a=b&c=d", "x=a+b", "l=%2B", "q=%3B", "f=metadata.name%3Dx", "k", "a=%41&a=2"]


@settings(deadline=None, max_examples=400)
@given(segments=st.lists(st.one_of(st.sampled_from(GOOD), st.sampled_from(GOOD), st.sampled_from(GOOD),
                                   st.sampled_from(BAD), st.text("ab.%2eEfF5c/\\;", max_size=5)), max_size=7),
       query=st.sampled_from(QUERIES) | st.text("ab=&%2B;+", max_size=10), trailing=st.booleans())
def test_canonical_is_a_fixed_point_without_dot_segments(segments: list[str], query: str, trailing: bool) -> None:
    """Whatever canonical() accepts, re-canonicalised gives the same request, and no amount of
    further decoding turns its path into one with a dot or empty segment."""
    raw = "/" + "/".join(segments) + ("/" if trailing else "") + (f"?{query}" if query else "")
    try:
        req = canonical("GET", raw)
    except BadRequest:
        return
    again = canonical("GET", req.target)
    assert again == req and again.target == req.target
    path = req.path
    for _ in range(3):
        assert "%" not in path and "\\" not in path
        inner = path.strip("/").split("/") if path.strip("/") else []
        assert all(s not in ("", ".", "..") for s in inner)
        path = unquote(path)
    try:
        info = request_info(req)
    except BadRequest:
        return
    assert info.resource_request is (info.api_prefix in ("api", "apis"))


# ---------------------------------------------------------------------------- the simulator with a policy


class Sim:
    """A session's simulator in-process: the trainee under POLICY, chaoskit's system user free."""

    def __init__(self, tmp: Path) -> None:
        from chaoskit.sim import Cluster
        from chaoskit.sim.apiserver.server import ApiServer

        self.loop = asyncio.new_event_loop()
        self.cluster = Cluster()
        self.log = tmp / "audit.log"
        self.server = ApiServer(self.cluster, {"t": TRAINEE, "s": SYSTEM}, AuditLog(self.log),
                                policy=Policy(frozenset({SESSION}), nodes=True))
        self.client = TestClient(TestServer(self.server.app()), loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SESSION, "labels": MARKS}}
        assert self.call("POST", "/api/v1/namespaces", ns, user="s")[0] == 201
        deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
        assert self.call("POST", f"{APPS}/deployments", deploy)[0] == 201

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
             user: str = "t", headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async def go() -> tuple[int, Any]:
            data = json.dumps(body).encode() if body is not None else None
            resp = await self.client.request(method, path, data=data, headers={
                "Authorization": f"Bearer {user}", "Content-Type": content_type, **(headers or {})})
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    s = Sim(tmp_path_factory.mktemp("authz"))
    yield s
    s.close()


def test_the_simulator_refuses_the_trainee_as_the_proxy_does(sim: Sim) -> None:
    for method, target, _, message in (r for r in REFUSED if r[2] is ALONE):
        if target.startswith("/api/v1/proxy/") or "/binding" in target:
            continue   # the simulator has no legacy proxy paths; bindings are tested below
        code, body = sim.call(method, target, {} if method in ("POST", "PUT", "PATCH") else None)
        assert (code, body.get("message") if isinstance(body, dict) else body) == (403, message), target
    code, body = sim.call("GET", f"{NS}/pods", headers={"Impersonate-User": "system:admin"})
    assert code == 403 and body["message"].startswith('users "system:admin" is forbidden')


def test_the_simulator_keeps_the_trainee_off_the_control_plane_and_the_labels(sim: Sim) -> None:
    code, body = sim.call("POST", f"{NS}/pods", pod(nodeName="chaoskit-control-plane"))
    assert code == 403 and body["message"].startswith('pods "p" is forbidden: spec.nodeName: node '
                                                      '"chaoskit-control-plane" is the control plane')
    blanket = {"spec": {"template": {"spec": {"tolerations": [{"operator": "Exists"}]}}}}
    for ctype, patch in (("application/strategic-merge-patch+json", blanket),
                         ("application/merge-patch+json", blanket),
                         ("application/json-patch+json", [{"op": "add", "path": "/spec/template/spec/tolerations",
                                                          "value": [{"operator": "Exists"}]}])):
        code, body = sim.call("PATCH", f"{APPS}/deployments/web", patch, ctype)
        assert code == 403 and "spec.template.spec.tolerations[0]: an Exists toleration" in body["message"], ctype
    fine = {"spec": {"template": {"spec": {"tolerations": [{"key": "maintenance", "operator": "Equal",
                                                             "value": "true", "effect": "NoExecute"}]}}}}
    assert sim.call("PATCH", f"{APPS}/deployments/web", fine, "application/strategic-merge-patch+json")[0] == 200
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
               "target": {"kind": "Node", "name": "chaoskit-control-plane"}}
    code, body = sim.call("POST", f"{NS}/pods", binding)
    assert code == 403 and 'cannot create resource "pods/binding"' in body["message"]
    relabel = {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}
    code, body = sim.call("PATCH", f"/api/v1/namespaces/{SESSION}", relabel, "application/merge-patch+json")
    assert code == 403 and body["message"] == (
        f'namespaces "{SESSION}" is forbidden: chaoskit\'s marks on a session namespace stay as chaoskit set them '
        "(label pod-security.kubernetes.io/enforce)")
    ok = {"metadata": {"labels": {"team": "payments"}}}
    assert sim.call("PATCH", f"/api/v1/namespaces/{SESSION}", ok, "application/merge-patch+json")[0] == 200
    assert sim.call("PATCH", "/api/v1/nodes/chaoskit-worker", {"spec": {"unschedulable": True}},
                    "application/strategic-merge-patch+json")[0] == 403   # no node faults in this session
    assert sim.call("PATCH", "/api/v1/nodes/chaoskit-worker", {"spec": {"unschedulable": True}},
                    "application/strategic-merge-patch+json", user="s")[0] == 200   # chaoskit itself may


def test_the_simulator_audits_what_request_info_reads(sim: Sim) -> None:
    sim.call("GET", f"{NS}/pods?fieldSelector=metadata.name%3Dweb-1")
    sim.call("POST", "/api/v1/namespaces/kube-system/pods/etcd/exec?command=sh")
    sim.call("GET", f"/api/v1/namespaces/{SESSION}")
    records = read_audit(sim.log)
    seen = {(r["verb"], r["resource"], r["subresource"], r["namespace"], r["name"], r["code"]) for r in records}
    assert ("list", "pods", "", SESSION, "web-1", 200) in seen
    assert ("create", "pods", "exec", "kube-system", "etcd", 403) in seen
    assert ("get", "namespaces", "", "", SESSION, 200) in seen
    assert all(re.fullmatch(r"[a-z]*", str(r["verb"])) for r in records)


@settings(deadline=None, max_examples=300)
@given(method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "PROPFIND"]),
       segments=st.lists(st.one_of(st.sampled_from(GOOD), st.sampled_from(["status", "finalize", "log", "scale",
                                                                            "nodes", "secrets", "chaoskit"])),
                         max_size=8),
       query=st.sampled_from(QUERIES), crowded=st.booleans())
def test_any_request_is_judged_without_crashing(method: str, segments: list[str], query: str, crowded: bool) -> None:
    """Whatever the target, the judgement is a decision, and a refusal a well-formed 403."""
    try:
        info = request_info(canonical(method, "/" + "/".join(segments) + (f"?{query}" if query else "")))
    except BadRequest:
        return
    decision = authorize(info, POLICY, CROWDED if crowded else ALONE)
    if not decision.allowed:
        err = forbidden(info, TRAINEE, decision.reason)
        assert err.code == 403
        assert "is forbidden: " in err.message or err.message.startswith("forbidden: ")
        assert f'User "trainee" cannot {info.verb} ' in err.message
