"""The audit proxy as an attacker meets it: raw HTTP (http.client, sockets), not kubectl, which
cleans what an attacker would not. A separately started ``chaoskit sim serve --auth
client-cert`` plays the cluster behind the proxy, holding a session namespace (chaoskit's labels,
Pod Security baseline), another session's namespace and kube-system's own objects. Every escape
is refused (400, 401, 403 or 413), nothing reaches the cluster, and the proxy's audit log names
each attempt by its true target. Then the real kubectl shows a trainee's ordinary work still
goes through."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kube import SimServer, start_server

from chaoskit.cluster import Kube, connect
from chaoskit.cluster.guard import MIN_GAP, TTL, Admission, Neighbourhood, Reply
from chaoskit.cluster.proxy import AuditProxy, Upstream
from chaoskit.errors import NotFoundError
from chaoskit.kube.authz import Facts, Policy
from chaoskit.kube.requestinfo import canonical, request_info
from chaoskit.kube.status import Forbidden, ServiceUnavailable

SESSION = "chaoskit-oom-killed-a1b2"
OTHER = "chaoskit-bad-image-c3d4"
NODES = "chaoskit-node-taint-e5f6"
ETCD = "etcd-chaoskit-control-plane"
MARKS = {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "latest"}
NS = f"/api/v1/namespaces/{SESSION}"
APPS = f"/apis/apps/v1/namespaces/{SESSION}"
RBAC = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{SESSION}"
OUTSIDE = f'outside the session\'s namespace ("{SESSION}") the trainee may only read'


def session_namespace(name: str, session: str, **extra: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/managed-by": "chaoskit", "chaoskit.dev/session": session, **MARKS, **extra}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def deployment(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": "nginx:1.27"}]}}}}


@dataclass
class Door:
    """The cluster, the proxy in front of it, and a raw HTTPS client for the trainee's token."""

    server: SimServer
    admin: Kube
    proxy: AuditProxy
    nodes_proxy: AuditProxy
    tmp: Path

    def conn(self, proxy: AuditProxy | None = None) -> http.client.HTTPSConnection:
        proxy = proxy or self.proxy
        ctx = ssl.create_default_context(cadata=proxy.certs.ca_pem.decode())
        return http.client.HTTPSConnection("127.0.0.1", int(proxy.url.rsplit(":", 1)[1]), context=ctx, timeout=30)

    def raw(self, method: str, target: str, body: Any = None, content_type: str = "application/json",
            headers: dict[str, str] | None = None, token: str | None = None,
            proxy: AuditProxy | None = None) -> tuple[int, Any]:
        """One request, its target sent byte for byte as given."""
        proxy = proxy or self.proxy
        conn = self.conn(proxy)
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            conn.putheader("Authorization", f"Bearer {token if token is not None else proxy.token}")
            conn.putheader("Accept", "application/json")
            if data is not None:
                conn.putheader("Content-Type", content_type)
                conn.putheader("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                conn.putheader(key, value)
            conn.endheaders(data)
            resp = conn.getresponse()
            text = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text.decode(errors="replace")

    def audit(self, proxy: AuditProxy | None = None) -> list[dict[str, Any]]:
        proxy = proxy or self.proxy
        return [json.loads(line) for line in (proxy.state_dir / "audit.log").read_text().splitlines()]

    def audited(self, method: str, uri: str) -> dict[str, Any]:
        """The last audit line of the request ``METHOD uri`` (the canonical target, or the raw one
        when it was refused before it had one)."""
        found = [r for r in self.audit() if r["method"] == method and r["uri"] == uri]
        assert found, f"no audit line for {method} {uri}"
        return found[-1]

    def kubectl(self, *args: str, proxy: AuditProxy | None = None, env: dict[str, str] | None = None,
                namespace: str = SESSION) -> subprocess.CompletedProcess[str]:
        proxy = proxy or self.proxy
        config = proxy.kubeconfig(self.tmp / f"trainee-{namespace}.kubeconfig", namespace)
        return subprocess.run([str(self.server.kubectl), *args], capture_output=True, text=True, timeout=60,
                              env={"KUBECONFIG": str(config), "HOME": str(self.tmp), "PATH": "/usr/bin:/bin",
                                   **(env or {})})


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    tmp = tmp_path_factory.mktemp("door")
    server = start_server(tmp / "remote", speed=30.0, extra=("--auth", "client-cert"))
    proxies: list[AuditProxy] = []
    try:
        admin = connect(server.state_dir / "system.kubeconfig")
        admin.create(session_namespace(SESSION, "oom-killed-a1b2"))
        admin.create(session_namespace(OTHER, "bad-image-c3d4"))
        admin.create(session_namespace(NODES, "node-taint-e5f6", **{"chaoskit.dev/node-faults": "true"}))
        for ns in (SESSION, OTHER):
            admin.create(deployment("web", ns))
        admin.create({"apiVersion": "v1", "kind": "Secret", "stringData": {"key": "s3cr3t"},
                      "metadata": {"name": "cloud-key", "namespace": "kube-system"}})
        admin.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "payments", "namespace": SESSION},
                      "stringData": {"api-key": "mine"}})
        assert server.run("--kubeconfig", str(server.state_dir / "system.kubeconfig"), "-n", SESSION, "rollout",
                          "status", "deploy/web", "--timeout=60s").ok
        upstream = Upstream(str(server.state_dir / "system.kubeconfig"), "chaoskit")
        proxies.append(AuditProxy(upstream, tmp / "proxy", Policy(frozenset({SESSION}), nodes=True), time.time))
        proxies.append(AuditProxy(upstream, tmp / "nodes-proxy", Policy(frozenset({NODES}), nodes=True), time.time))
        yield Door(server, admin, proxies[0], proxies[1], tmp)
    finally:
        for proxy in proxies:
            proxy.stop()
        server.stop()


def pod_name(door: Door, namespace: str = SESSION) -> str:
    return str(door.admin.items("Pod", namespace, "app=web")[0]["metadata"]["name"])


# ---------------------------------------------------------------------------- paths that mean two things


@pytest.mark.parametrize("target", [
    f"{NS}/../kube-system/configmaps", f"{NS}/%2e%2e/kube-system/configmaps", f"{NS}/%2E%2e/kube-system/configmaps",
    f"{NS}/.%2e/kube-system/configmaps", f"{NS}/configmaps%2f..%2f..%2fkube-system%2fconfigmaps",
    f"{NS}/configmaps%5c..%5ckube-system", f"{NS}//configmaps", f"{NS}/./configmaps", f"{NS}/%252e%252e/x",
    f"{NS}/configmaps?dryRun=All;x=1", f"{NS}/configmaps#/../../kube-system",
])
def test_dot_segments_and_their_disguises_are_refused_and_audited(door: Door, target: str) -> None:
    code, body = door.raw("POST", target, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "escaped"}})
    assert code == 400 and body["reason"] == "BadRequest" and body["kind"] == "Status", body
    line = door.audited("POST", target)
    assert (line["code"], line["user"], line["verb"]) == (400, "trainee", "post")
    with pytest.raises(NotFoundError):
        door.admin.get("ConfigMap", "kube-system", "escaped")


# ---------------------------------------------------------------------------- every road out of the session


ESCAPES = [
    # (method, target, body, content type, expected message start, audited (verb, resource, subresource, ns, name))
    ("POST", "/api/v1/namespaces/kube-system/configmaps",
     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "escaped"}}, "application/json",
     'configmaps is forbidden: User "trainee" cannot create resource "configmaps" in API group "" in the namespace '
     f'"kube-system": {OUTSIDE}', ("create", "configmaps", "", "kube-system", "")),
    ("DELETE", f"/api/v1/namespaces/kube-system/pods/{ETCD}", None, "",
     f'pods "{ETCD}" is forbidden: User "trainee" cannot delete resource "pods"', ("delete", "pods", "", "kube-system",
                                                                                  ETCD)),
    ("PATCH", "/apis/apps/v1/namespaces/kube-system/deployments/coredns", {"spec": {"replicas": 0}},
     "application/merge-patch+json", 'deployments.apps "coredns" is forbidden: User "trainee" cannot patch',
     ("patch", "deployments", "", "kube-system", "coredns")),
    ("GET", f"/api/v1/proxy/namespaces/kube-system/pods/{ETCD}", None, "",
     f'pods "{ETCD}" is forbidden: User "trainee" cannot proxy resource "pods" in API group "" in the namespace '
     '"kube-system"', ("proxy", "pods", "", "kube-system", ETCD)),
    ("POST", "/api/v1/namespaces/kube-system/serviceaccounts/default/token", {"spec": {}}, "application/json",
     'serviceaccounts "default" is forbidden: User "trainee" cannot create resource "serviceaccounts/token"',
     ("create", "serviceaccounts", "token", "kube-system", "default")),
    ("POST", f"/api/v1/namespaces/{OTHER}/serviceaccounts/default/token", {"spec": {}}, "application/json",
     f'serviceaccounts "default" is forbidden: User "trainee" cannot create resource "serviceaccounts/token" in API '
     f'group "" in the namespace "{OTHER}": namespace "{OTHER}" belongs to another chaoskit session',
     ("create", "serviceaccounts", "token", OTHER, "default")),
    ("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mine-now"}},
     "application/json", 'namespaces is forbidden: User "trainee" cannot create resource "namespaces" in API group "" '
     "at the cluster scope: cluster-scoped changes are not allowed", ("create", "namespaces", "", "", "")),
    ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "me"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
      "subjects": [{"kind": "User", "name": "trainee"}]}, "application/json",
     'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "trainee" cannot create resource '
     '"clusterrolebindings"', ("create", "clusterrolebindings", "", "", "")),
    ("PATCH", "/api/v1/nodes/chaoskit-worker", {"spec": {"unschedulable": True}},
     "application/strategic-merge-patch+json",
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot patch resource "nodes" in API group "" at the '
     "cluster scope: node-level changes are allowed only in sessions whose scenario has node faults",
     ("patch", "nodes", "", "", "chaoskit-worker")),
    ("DELETE", "/api/v1/nodes/chaoskit-worker2", None, "",
     'nodes "chaoskit-worker2" is forbidden: User "trainee" cannot delete resource "nodes"',
     ("delete", "nodes", "", "", "chaoskit-worker2")),
    ("GET", "/api/v1/nodes/chaoskit-worker/proxy/pods", None, "",
     'nodes "chaoskit-worker" is forbidden: User "trainee" cannot get resource "nodes/proxy" in API group "" at the '
     "cluster scope: the kubelet API (nodes/proxy) is never open to the trainee",
     ("get", "nodes", "proxy", "", "chaoskit-worker")),
    ("GET", "/api/v1/nodes/chaoskit-worker:10250/proxy/configz", None, "",
     'nodes "chaoskit-worker:10250" is forbidden: User "trainee" cannot get resource "nodes/proxy"',
     ("get", "nodes", "proxy", "", "chaoskit-worker:10250")),
    ("POST", f"/api/v1/namespaces/kube-system/pods/{ETCD}/exec?command=sh&stdin=true", None, "",
     f'pods "{ETCD}" is forbidden: User "trainee" cannot create resource "pods/exec" in API group "" in the '
     f'namespace "kube-system": exec, attach and port-forward work only in the session\'s namespace ("{SESSION}")',
     ("create", "pods", "exec", "kube-system", ETCD)),
    ("GET", "/api/v1/namespaces/kube-system/secrets/cloud-key", None, "",
     'secrets "cloud-key" is forbidden: User "trainee" cannot get resource "secrets" in API group "" in the '
     f'namespace "kube-system": Secrets are readable only in the session\'s namespace ("{SESSION}")',
     ("get", "secrets", "", "kube-system", "cloud-key")),
    ("GET", "/api/v1/secrets", None, "",
     'secrets is forbidden: User "trainee" cannot list resource "secrets" in API group "" at the cluster scope',
     ("list", "secrets", "", "", "")),
    ("GET", "/api/v1/secrets?watch=true", None, "",
     'secrets is forbidden: User "trainee" cannot watch resource "secrets" in API group "" at the cluster scope',
     ("watch", "secrets", "", "", "")),
    ("GET", "/api/v1/watch/namespaces/kube-system/secrets", None, "",
     'secrets is forbidden: User "trainee" cannot watch resource "secrets" in API group "" in the namespace '
     '"kube-system"', ("watch", "secrets", "", "kube-system", "")),
    ("GET", "/api/v1/namespaces/default/secrets", None, "",
     'secrets is forbidden: User "trainee" cannot list resource "secrets" in API group "" in the namespace "default"',
     ("list", "secrets", "", "default", "")),
    ("GET", f"/api/v1/namespaces/{OTHER}/pods", None, "",
     f'pods is forbidden: User "trainee" cannot list resource "pods" in API group "" in the namespace "{OTHER}": '
     f'namespace "{OTHER}" belongs to another chaoskit session', ("list", "pods", "", OTHER, "")),
    ("GET", f"/api/v1/namespaces/{OTHER}/secrets?watch=1", None, "",
     'secrets is forbidden: User "trainee" cannot watch resource "secrets"', ("watch", "secrets", "", OTHER, "")),
    ("DELETE", f"/apis/apps/v1/namespaces/{OTHER}/deployments/web", None, "",
     'deployments.apps "web" is forbidden: User "trainee" cannot delete resource "deployments"',
     ("delete", "deployments", "", OTHER, "web")),
    ("GET", f"/api/v1/namespaces/{OTHER}", None, "",
     f'namespaces "{OTHER}" is forbidden: User "trainee" cannot get resource "namespaces" in API group "" in the '
     f'namespace "{OTHER}"', ("get", "namespaces", "", "", OTHER)),
    ("GET", "/api/v1/pods", None, "",
     'pods is forbidden: User "trainee" cannot list resource "pods" in API group "" at the cluster scope: another '
     "chaoskit session shares this cluster", ("list", "pods", "", "", "")),
    ("GET", "/api/v1/pods?watch=true&fieldSelector=metadata.namespace%3Dkube-system", None, "",
     'pods is forbidden: User "trainee" cannot watch resource "pods" in API group "" at the cluster scope',
     ("watch", "pods", "", "", "")),
    ("PUT", "/chaoskit/v1/nodes/chaoskit-worker/kubelet", {"running": False}, "application/json",
     'forbidden: User "trainee" cannot put path "/chaoskit/v1/nodes/chaoskit-worker/kubelet"',
     ("put", "", "", "", "")),
]


@pytest.mark.parametrize(("method", "target", "body", "content_type", "message", "where"), ESCAPES,
                         ids=[f"{e[0]} {e[1][:70]}" for e in ESCAPES])
def test_every_road_out_is_refused_in_rbac_words_and_audited(door: Door, method: str, target: str, body: Any,
                                                           content_type: str, message: str,
                                                           where: tuple[str, ...]) -> None:
    code, answer = door.raw(method, target, body, content_type or "application/json")
    assert code == 403 and answer["reason"] == "Forbidden", answer
    assert answer["message"].startswith(message), answer["message"]
    line = door.audited(method, target.replace("%3D", "%3D"))
    assert (line["verb"], line["resource"], line["subresource"], line["namespace"], line["name"]) == where
    assert line["code"] == 403 and line["user"] == "trainee"


def test_nothing_of_the_refused_writes_reached_the_cluster(door: Door) -> None:
    remote = door.server.state_dir / "audit.log"
    since = len(remote.read_text())
    for method, target, body, ctype, _, _ in ESCAPES:
        door.raw(method, target, body, ctype or "application/json")
    reached = [json.loads(line) for line in remote.read_text()[since:].splitlines()]
    assert not [f"{r['method']} {r['uri']}" for r in reached if r["method"] not in ("GET", "HEAD")]
    with pytest.raises(NotFoundError):
        door.admin.get("ConfigMap", "kube-system", "escaped")
    assert door.admin.try_get("Namespace", None, "mine-now") is None
    assert door.admin.get("Deployment", OTHER, "web")["spec"]["replicas"] == 1
    assert not door.admin.get("Node", None, "chaoskit-worker")["spec"].get("unschedulable")
    assert door.admin.try_get("Pod", "kube-system", ETCD) is not None


@pytest.mark.parametrize("stream", ["exec?command=sh&stdin=true&stdout=true", "attach?stdout=true", "portforward"])
@pytest.mark.parametrize("namespace", ["kube-system", OTHER])
def test_streams_into_other_namespaces_are_refused_at_the_websocket_upgrade(door: Door, stream: str,
                                                                           namespace: str) -> None:
    pod = ETCD if namespace == "kube-system" else pod_name(door, OTHER)
    target = f"/api/v1/namespaces/{namespace}/pods/{pod}/{stream}"
    protocol = "SPDY/3.1+portforward.k8s.io" if stream == "portforward" else "v5.channel.k8s.io"
    code, answer = door.raw("GET", target, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": protocol})
    assert code == 403 and answer["reason"] == "Forbidden"
    sub = stream.split("?")[0]
    assert f'cannot create resource "pods/{sub}" in API group "" in the namespace "{namespace}"' in answer["message"]
    line = door.audited("GET", target)
    assert (line["verb"], line["resource"], line["subresource"], line["namespace"], line["name"], line["code"]) == (
        "create", "pods", sub, namespace, pod, 403)


@pytest.mark.parametrize(("header", "value", "message"), [
    ("Impersonate-User", "kubernetes-admin", 'users "kubernetes-admin" is forbidden: User "trainee" cannot '
                                             'impersonate resource "users"'),
    ("Impersonate-User", "system:serviceaccount:kube-system:default",
     'serviceaccounts "default" is forbidden: User "trainee" cannot impersonate resource "serviceaccounts" in API '
     'group "" in the namespace "kube-system"'),
    ("Impersonate-Group", "system:masters", 'groups "system:masters" is forbidden'),
    ("Impersonate-Uid", "0", 'uids.authentication.k8s.io "0" is forbidden'),
    ("Impersonate-Extra-Scopes", "all", 'userextras.authentication.k8s.io "all" is forbidden: User "trainee" cannot '
                                        'impersonate resource "userextras/scopes"'),
    ("X-Remote-User", "admin", 'forbidden: User "trainee" cannot send the X-Remote-User header'),
    ("X-Remote-Group", "system:masters", 'forbidden: User "trainee" cannot send the X-Remote-Group header'),
])
def test_identity_headers_are_refused_not_dropped(door: Door, header: str, value: str, message: str) -> None:
    target = f"{NS}/pods?x={header}"
    code, answer = door.raw("GET", target, headers={header: value})
    assert code == 403 and answer["message"].startswith(message), answer
    assert door.audited("GET", target)["code"] == 403



def test_kubectl_as_fails_loudly_instead_of_running_as_the_facilitator(door: Door) -> None:
    """kubectl's discovery client reads the 403 Status only as "Forbidden: unknown"; the refusal
    is what matters, and the audit log has the real reason's target."""
    as_admin = door.kubectl("--as=kubernetes-admin", "get", "pods")
    assert as_admin.returncode == 1 and "Error from server (Forbidden)" in as_admin.stderr
    assert as_admin.stdout == ""


# ---------------------------------------------------------------------------- objects that would cross a line


BLANKET = [{"operator": "Exists"}]
CONTROL = [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]


def bad_pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root"},
            "spec": {"containers": [{"name": "sh", "image": "busybox", "securityContext": {"privileged": True}}],
                     "hostPID": True, "hostNetwork": True, **spec}}


@pytest.mark.parametrize(("target", "method", "body", "content_type", "message"), [
    (f"{NS}/pods", "POST", bad_pod(nodeName="chaoskit-control-plane"), "application/json",
     'pods "root" is forbidden: spec.nodeName: node "chaoskit-control-plane" is the control plane'),
    (f"{NS}/pods", "POST", bad_pod(tolerations=BLANKET), "application/json",
     'pods "root" is forbidden: spec.tolerations[0]: an Exists toleration without a key tolerates every taint'),
    (f"{APPS}/deployments", "POST", {**deployment("spread", SESSION), "spec": {
        **deployment("spread", SESSION)["spec"], "template": {"metadata": {"labels": {"app": "spread"}}, "spec": {
            "containers": [{"name": "c", "image": "nginx"}], "tolerations": CONTROL}}}}, "application/json",
     'deployments.apps "spread" is forbidden: spec.template.spec.tolerations[0]: tolerating '
     '"node-role.kubernetes.io/control-plane"'),
    (f"{APPS}/deployments/web", "PATCH", {"spec": {"template": {"spec": {"tolerations": BLANKET}}}},
     "application/strategic-merge-patch+json",
     'deployments.apps "web" is forbidden: spec.template.spec.tolerations[0]: an Exists toleration'),
    (f"{APPS}/deployments/web", "PATCH", [{"op": "add", "path": "/spec/template/spec/nodeName",
                                          "value": "chaoskit-control-plane"}], "application/json-patch+json",
     'deployments.apps "web" is forbidden: spec.template.spec.nodeName: node "chaoskit-control-plane"'),
    (f"{APPS}/deployments/web?fieldManager=trainee&force=true", "PATCH",
     {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
      "spec": {"template": {"spec": {"tolerations": CONTROL}}}}, "application/apply-patch+yaml",
     'deployments.apps "web" is forbidden: spec.template.spec.tolerations[0]: tolerating'),
    (f"/api/v1/namespaces/{SESSION}", "PATCH",
     {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}, "application/merge-patch+json",
     f'namespaces "{SESSION}" is forbidden: chaoskit\'s marks on a session namespace stay as chaoskit set them '
     "(label pod-security.kubernetes.io/enforce)"),
    (f"/api/v1/namespaces/{SESSION}", "PATCH",
     [{"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1managed-by"}], "application/json-patch+json",
     "(label app.kubernetes.io/managed-by)"),
    (f"/api/v1/namespaces/{SESSION}", "PATCH", {"metadata": {"labels": {"chaoskit.dev/node-faults": "true"}}},
     "application/strategic-merge-patch+json", "(label chaoskit.dev/node-faults)"),
    (f"/api/v1/namespaces/{SESSION}", "PATCH", {"metadata": {"labels": {"$patch": "replace", "team": "x"}}},
     "application/strategic-merge-patch+json", "(label app.kubernetes.io/managed-by, label chaoskit.dev/session"),
    (f"/api/v1/namespaces/{SESSION}", "PUT", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": SESSION, "labels": {"team": "x"}}},
     "application/json", "(label app.kubernetes.io/managed-by"),
    (f"{RBAC}/roles", "POST", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                               "metadata": {"name": "everything"},
                               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
     "application/json",
     'roles.rbac.authorization.k8s.io "everything" is forbidden: user "trainee" (groups=["system:authenticated"]) is '
     'attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}'),
    (f"{RBAC}/rolebindings", "POST", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                      "metadata": {"name": "root"},
                                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                                  "name": "cluster-admin"},
                                      "subjects": [{"kind": "ServiceAccount", "name": "default",
                                                    "namespace": SESSION}]}, "application/json",
     'rolebindings.rbac.authorization.k8s.io "root" is forbidden: user "trainee" (groups=["system:authenticated"]) '
     'is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n'
     '{NonResourceURLs:["*"], Verbs:["*"]}'),
])
def test_objects_that_cross_a_line_are_refused_before_the_cluster_sees_them(
        door: Door, target: str, method: str, body: Any, content_type: str, message: str) -> None:
    code, answer = door.raw(method, target, body if content_type != "application/apply-patch+yaml"
                            else json.dumps(body).encode(), content_type)
    assert code == 403 and message in answer["message"], answer
    line = door.audited(method, target)
    assert line["code"] == 403 and line["namespace"] in ("", SESSION)
    labels = door.admin.get("Namespace", None, SESSION)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline" and "chaoskit.dev/node-faults" not in labels
    assert not door.admin.get("Deployment", SESSION, "web")["spec"]["template"]["spec"].get("tolerations")
    assert door.admin.try_get("Pod", SESSION, "root") is None


def test_harmless_changes_to_the_session_namespace_and_tolerations_go_through(door: Door) -> None:
    code, _ = door.raw("PATCH", f"/api/v1/namespaces/{SESSION}", {"metadata": {"labels": {"team": "payments"}}},
                       "application/merge-patch+json")
    assert code == 200 and door.admin.get("Namespace", None, SESSION)["metadata"]["labels"]["team"] == "payments"
    maintenance = [{"key": "maintenance", "operator": "Equal", "value": "true", "effect": "NoExecute"}]
    patch = {"spec": {"template": {"spec": {"tolerations": maintenance}}}}
    code, _ = door.raw("PATCH", f"{APPS}/deployments/web", patch, "application/strategic-merge-patch+json")
    assert code == 200
    assert door.admin.get("Deployment", SESSION, "web")["spec"]["template"]["spec"]["tolerations"] == maintenance
    remove = [{"op": "remove", "path": "/spec/template/spec/tolerations"}]
    code, _ = door.raw("PATCH", f"{APPS}/deployments/web", remove, "application/json-patch+json")
    assert code == 200


# ---------------------------------------------------------------------------- bodies


def test_an_unauthenticated_16_mib_body_is_refused_before_it_is_read(door: Door) -> None:
    """The 401 arrives while the client has sent 64 KiB of the 16 MiB it announced: the proxy did
    not wait for the body, and closes the connection rather than drain it."""
    port = int(door.proxy.url.rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cadata=door.proxy.certs.ca_pem.decode())
    with socket.create_connection(("127.0.0.1", port), timeout=30) as plain, \
            ctx.wrap_socket(plain, server_hostname="127.0.0.1") as sock:
        sock.sendall(f"POST {NS}/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {16 * 2**20}\r\n\r\n".encode())
        sock.sendall(b"{" + b" " * (64 * 1024))
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 401") and json.loads(body)["reason"] == "Unauthorized"
        assert b"connection: close" in head.lower()
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        assert rest == b""   # closed, not draining 16 MiB
    line = [r for r in door.audit() if r["code"] == 401][-1]
    assert (line["user"], line["method"], line["uri"]) == ("", "POST", f"{NS}/configmaps")


@pytest.mark.parametrize("chunked", [False, True])
def test_an_authenticated_4_mib_body_gets_413(door: Door, chunked: bool) -> None:
    big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"big-{chunked}"},
           "data": {"k": "x" * (4 * 2**20)}}
    data = json.dumps(big).encode()
    target = f"{NS}/configmaps?chunked={chunked}"
    conn = door.conn()
    try:
        conn.putrequest("POST", target)
        conn.putheader("Authorization", f"Bearer {door.proxy.token}")
        conn.putheader("Content-Type", "application/json")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for start in range(0, len(data), 2**20):
                part = data[start:start + 2**20]
                try:
                    conn.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    break   # the proxy answered and closed: it read no further
        else:
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders()
        resp = conn.getresponse()
        answer = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 413 and answer == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "RequestEntityTooLarge",
        "message": "Request entity too large: limit is 3145728", "code": 413}
    assert door.audited("POST", target)["code"] == 413
    assert door.admin.try_get("ConfigMap", SESSION, f"big-{chunked}") is None


def test_wrong_and_missing_tokens_get_401(door: Door) -> None:
    for token in ("", "wrong", door.proxy.token + "x"):
        code, answer = door.raw("GET", f"{NS}/pods", token=token)
        assert code == 401 and answer["reason"] == "Unauthorized"


# ---------------------------------------------------------------------------- the trainee's ordinary work


def test_a_trainees_ordinary_work_goes_through_with_kubectl(door: Door) -> None:
    pod = pod_name(door)
    assert door.kubectl("get", "pods").stdout.startswith("NAME")
    assert "Containers:" in door.kubectl("describe", "pod", pod).stdout
    assert door.kubectl("logs", pod).returncode == 0
    assert door.kubectl("exec", pod, "--", "echo", "inside").stdout == "inside\n"
    note = door.tmp / "note.txt"
    note.write_text("through the proxy\n")
    copied = door.kubectl("cp", str(note), f"{SESSION}/{pod}:/tmp/note.txt")
    assert copied.returncode == 0, copied.stderr
    back = door.tmp / "back.txt"
    assert door.kubectl("cp", f"{SESSION}/{pod}:/tmp/note.txt", str(back)).returncode == 0
    assert back.read_text() == "through the proxy\n"
    assert door.kubectl("get", "secret", "payments", "-o", "jsonpath={.data.api-key}").stdout == "bWluZQ=="
    assert door.kubectl("get", "pods", "-n", "kube-system").returncode == 0
    assert "Lease:" in door.kubectl("describe", "node", "chaoskit-worker").stdout
    editor = "sed -i 's/image: nginx:1.27/image: nginx:1.28/'"
    edited = door.kubectl("edit", "deployment", "web", env={"KUBE_EDITOR": editor})
    assert edited.returncode == 0, edited.stderr
    assert door.admin.get("Deployment", SESSION, "web")["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "nginx:1.28"
    assert door.kubectl("rollout", "status", "deploy/web", "--timeout=60s").returncode == 0
    undone = door.kubectl("rollout", "undo", "deploy/web")
    assert undone.returncode == 0, undone.stderr
    assert door.admin.get("Deployment", SESSION, "web")["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "nginx:1.27"
    assert door.kubectl("scale", "deploy/web", "--replicas=2").returncode == 0
    assert door.admin.get("Deployment", SESSION, "web")["spec"]["replicas"] == 2
    assert door.kubectl("create", "configmap", "settings", "--from-literal=mode=standard").returncode == 0
    made = door.kubectl("create", "deployment", "reports", "--image=nginx:1.27")   # a protobuf body, dry-run upstream
    assert made.returncode == 0, made.stderr
    assert door.admin.get("Deployment", SESSION, "reports")["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "nginx:1.27"
    assert door.kubectl("run", "one-off", "--image=busybox:1.36", "--", "sleep", "60").returncode == 0
    assert door.kubectl("auth", "can-i", "create", "pods/exec").stdout.strip() == "yes"
    no = door.kubectl("auth", "can-i", "create", "pods", "-n", "kube-system")
    assert no.returncode == 1 and no.stdout.startswith("no")
    assert "trainee" in door.kubectl("auth", "whoami").stdout
    assert door.kubectl("get", "pods", "-A").returncode == 1   # other sessions share this cluster
    refused = door.kubectl("cordon", "chaoskit-worker")   # kubectl reports a failed cordon, yet exits 0
    assert "node-level changes are allowed only in sessions whose scenario has node faults" in refused.stderr
    assert not door.admin.get("Node", None, "chaoskit-worker")["spec"].get("unschedulable")
    cordoned = door.kubectl("cordon", "chaoskit-worker2", proxy=door.nodes_proxy, namespace=NODES)
    assert cordoned.returncode == 0, cordoned.stderr
    assert door.admin.get("Node", None, "chaoskit-worker2")["spec"]["unschedulable"] is True
    assert door.kubectl("uncordon", "chaoskit-worker2", proxy=door.nodes_proxy, namespace=NODES).returncode == 0
    control = door.kubectl("taint", "node", "chaoskit-control-plane", "node-role.kubernetes.io/control-plane-",
                           proxy=door.nodes_proxy, namespace=NODES)
    assert control.returncode == 1 and "is the control plane" in control.stderr, control.stderr
    lines = door.audit()
    seen = {(r["verb"], r["resource"], r["subresource"], r["code"]) for r in lines}
    assert {("create", "pods", "exec", 101), ("patch", "deployments", "", 200), ("patch", "deployments", "scale", 200),
            ("get", "pods", "log", 200), ("create", "configmaps", "", 201),
            ("create", "selfsubjectaccessreviews", "", 201)} <= seen
    assert all(r["user"] == "trainee" for r in lines if r["code"] != 401)
    assert os.environ.get("KUBECONFIG") != str(door.tmp)   # the test never leaned on the caller's cluster


# ---------------------------------------------------------------------------- the guard's logic, without a cluster


class FakeCluster:
    """Answers the guard's reads from a dict of path -> (status, object); records what was asked."""

    def __init__(self, answers: dict[str, tuple[int, Any]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    async def fetch(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        self.asked.append((method, path))
        key = next((k for k in self.answers if path.startswith(k)), "")
        status, obj = self.answers.get(key, (404, {"kind": "Status", "code": 404}))
        return Reply(status, "application/json", json.dumps(obj).encode())


def namespaces(*names: str) -> dict[str, Any]:
    return {"items": [session_namespace(n, n) if n.startswith("chaoskit-") else {"metadata": {"name": n}}
                      for n in names]}


def test_the_neighbourhood_rereads_after_its_ttl_and_on_an_unknown_namespace() -> None:
    cluster = FakeCluster({"/api/v1/namespaces": (200, namespaces(SESSION, "default")),
                           "/api/v1/nodes": (200, {"items": [{"metadata": {"name": "cp"}}]})})
    now = [1000.0]
    hood = Neighbourhood(Policy(frozenset({SESSION})), cluster.fetch, clock=lambda: now[0])

    def current(namespace: str = "") -> Any:
        return asyncio.run(hood.current(namespace))

    assert current(SESSION).others == frozenset() and len(cluster.asked) == 2
    cluster.answers["/api/v1/namespaces"] = (200, namespaces(SESSION, "default", OTHER))
    assert current("default").others == frozenset() and len(cluster.asked) == 2   # fresh enough, known
    assert current(OTHER).others == frozenset() and len(cluster.asked) == 2       # unknown, but just read
    now[0] += MIN_GAP + 0.01
    assert current(OTHER).others == frozenset({OTHER}) and len(cluster.asked) == 4  # unknown: read again
    now[0] += 1.0
    assert current().control_plane == frozenset({"cp"}) and len(cluster.asked) == 4
    now[0] += TTL
    current()
    assert len(cluster.asked) == 6
    cluster.answers["/api/v1/namespaces"] = (500, {"kind": "Status"})
    now[0] += TTL + 1
    with pytest.raises(ServiceUnavailable):
        current()


def test_admission_refuses_a_readable_body_before_asking_the_cluster() -> None:
    cluster = FakeCluster({})
    guard = Admission(Policy(frozenset({SESSION})), cluster.fetch)
    info = request_info(canonical("POST", f"{NS}/pods"))
    body = json.dumps(bad_pod(tolerations=BLANKET)).encode()
    refused = asyncio.run(guard.judge(info, "POST", f"{NS}/pods", body, "application/json", Facts()))
    assert isinstance(refused, Forbidden) and "an Exists toleration" in refused.message and cluster.asked == []


def test_admission_passes_on_the_dry_runs_own_failure_and_reviews_its_result() -> None:
    target = f"{APPS}/deployments/web"
    info = request_info(canonical("PATCH", target))
    invalid = {"kind": "Status", "code": 422, "reason": "Invalid"}
    cluster = FakeCluster({target: (422, invalid)})
    guard = Admission(Policy(frozenset({SESSION})), cluster.fetch)
    failed = asyncio.run(guard.judge(info, "PATCH", target, b"{}", "application/merge-patch+json", Facts()))
    assert isinstance(failed, Reply) and failed.status == 422 and cluster.asked == [("PATCH", f"{target}?dryRun=All")]
    placed = {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"nodeName": "cp"}}}}
    cluster.answers[target] = (200, placed)
    refused = asyncio.run(guard.judge(info, "PATCH", target, b"{}", "application/merge-patch+json",
                                      Facts(control_plane=frozenset({"cp"}))))
    assert isinstance(refused, Forbidden) and 'node "cp" is the control plane' in refused.message
    assert asyncio.run(guard.judge(info, "PATCH", target, b"{}", "application/merge-patch+json", Facts())) is None
    cluster.answers[target] = (200, ["not", "an", "object"])
    with pytest.raises(ServiceUnavailable):
        asyncio.run(guard.judge(info, "PATCH", target, b"{}", "application/merge-patch+json", Facts()))


def test_a_binding_is_judged_by_the_role_it_names() -> None:
    target = f"{RBAC}/rolebindings"
    info = request_info(canonical("POST", target))
    role_path = f"{RBAC}/roles/reader"
    cluster = FakeCluster({role_path: (200, {"rules": [{"apiGroups": [""], "resources": ["pods"],
                                                        "verbs": ["get", "list"]}]})})
    guard = Admission(Policy(frozenset({SESSION})), cluster.fetch)

    def judge(ref_kind: str, ref_name: str) -> Any:
        binding = {"metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                          "kind": ref_kind, "name": ref_name}}
        cluster.answers[target] = (201, binding)
        return asyncio.run(guard.judge(info, "POST", target, json.dumps(binding).encode(), "application/json",
                                       Facts()))

    assert judge("Role", "reader") is None
    missing = judge("Role", "nobody")
    assert isinstance(missing, Forbidden) and missing.message == (
        'rolebindings.rbac.authorization.k8s.io "b" is forbidden: roles.rbac.authorization.k8s.io "nobody" not found')
    assert judge("ClusterRole", "view") is None   # not served here: kubernetes' own view
    refused = judge("ClusterRole", "cluster-admin")
    assert isinstance(refused, Forbidden) and refused.message.endswith('{NonResourceURLs:["*"], Verbs:["*"]}')
