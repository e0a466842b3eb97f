"""Pod Security admission: the messages, order and modes of k8s.io/pod-security-admission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from simhttp import PlainServer

from chaoskit.kube.status import Forbidden, Invalid
from chaoskit.sim import Cluster
from chaoskit.sim.podsecurity import LevelVersion, evaluate, policy_of

RESTRICTED_OK = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                 "seccompProfile": {"type": "RuntimeDefault"}}


def namespace(cluster: Cluster, name: str, **labels: str) -> None:
    full = {f"pod-security.kubernetes.io/{k.replace('_', '-')}": v for k, v in labels.items()}
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": full}})


def pod(name: str, ns: str, spec: dict[str, Any] | None = None, **container: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx", **container}]}
    body.update(spec or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": body}


def test_baseline_refusal_is_worded_and_ordered_as_the_real_one(cluster: Cluster) -> None:
    namespace(cluster, "base", enforce="baseline")
    bad = pod("x", "base", {"hostNetwork": True, "volumes": [{"name": "root", "hostPath": {"path": "/"}}]},
              securityContext={"privileged": True})
    with pytest.raises(Forbidden) as err:
        cluster.store.create(bad)
    assert err.value.message == (
        'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), '
        'hostPath volumes (volume "root"), privileged (container "c" must not set securityContext.privileged=true)')
    assert err.value.status()["code"] == 403 and err.value.status()["reason"] == "Forbidden"
    assert cluster.store.try_get("Pod", "base", "x") is None


def test_restricted_refuses_a_default_pod_with_the_four_familiar_reasons(cluster: Cluster) -> None:
    namespace(cluster, "tight", enforce="restricted")
    with pytest.raises(Forbidden) as err:
        cluster.store.create(pod("web", "tight"))
    assert err.value.message == (
        'pods "web" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
        '(container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities '
        '(container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
        'container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
    admitted = cluster.store.create(pod("ok", "tight", securityContext=RESTRICTED_OK))
    assert admitted["metadata"]["name"] == "ok"


def test_restricted_overrides_the_baseline_checks_it_replaces() -> None:
    spec = {"volumes": [{"name": "h", "hostPath": {"path": "/x"}}, {"name": "n", "nfs": {"server": "s"}}],
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "a", "securityContext": {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}}]}
    failures = evaluate(LevelVersion("restricted", None), {}, spec)
    assert failures == [
        ("unrestricted capabilities", 'container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add'),
        ("restricted volume types", 'volumes "h", "n" use restricted volume types "hostPath", "nfs"'),
    ]
    assert evaluate(LevelVersion("baseline", None), {}, spec) == [
        ("non-default capabilities", 'container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add'),
        ("hostPath volumes", 'volume "h"'),
    ]


def test_the_version_label_selects_which_checks_apply() -> None:
    spec = {"containers": [{"name": "c", "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}]}
    assert evaluate(LevelVersion("baseline", (1, 33)), {}, spec) == []
    assert evaluate(LevelVersion("baseline", None), {}, spec) == [
        ("probe or lifecycle host", 'container "c" uses probe or lifecycle host "10.0.0.1"')]
    sysctl = {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]},
              "containers": [{"name": "c"}]}
    assert evaluate(LevelVersion("baseline", (1, 36)), {}, sysctl) == [("forbidden sysctls",
                                                                        "net.ipv4.tcp_notsent_lowat")]
    assert evaluate(LevelVersion("baseline", (1, 37)), {}, sysctl) == []


def test_policy_labels_default_and_fail_like_the_real_parser() -> None:
    pol, errors = policy_of({"pod-security.kubernetes.io/enforce": "baseline"})
    assert (str(pol.enforce), str(pol.warn), str(pol.audit)) == ("baseline:latest", "baseline:latest",
                                                                "privileged:latest")
    pol, errors = policy_of({"pod-security.kubernetes.io/enforce": "bogus",
                             "pod-security.kubernetes.io/warn-version": "1.30"})
    assert str(pol.enforce) == "restricted:latest"  # a bad enforce level fails closed
    assert errors == [
        ("pod-security.kubernetes.io/enforce", "bogus", "must be one of privileged, baseline, restricted"),
        ("pod-security.kubernetes.io/warn-version", "1.30", 'must be "latest" or "v1.x"')]


def test_bad_policy_labels_on_a_namespace_are_invalid(cluster: Cluster) -> None:
    with pytest.raises(Invalid) as err:
        namespace(cluster, "broken", enforce="strict")
    assert err.value.message == ('Namespace "broken" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
                                 'Invalid value: "strict": must be one of privileged, baseline, restricted')


def test_tightening_a_namespace_warns_about_its_existing_pods(cluster: Cluster) -> None:
    namespace(cluster, "loose")
    for name in ("b", "a", "c"):
        cluster.store.create(pod(name, "loose", {"hostPID": True}))
    ns = cluster.store.get("Namespace", "", "loose")
    tightened = json.loads(json.dumps(ns))
    tightened["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"
    cluster.store.warnings.clear()
    cluster.store.update(tightened)
    assert cluster.store.warnings == [
        'existing pods in namespace "loose" violate the new PodSecurity enforce level "baseline:latest"',
        "a (and 2 other pods): host namespaces"]


def test_status_writes_and_insignificant_updates_are_not_evaluated(cluster: Cluster) -> None:
    namespace(cluster, "later")
    created = cluster.store.create(pod("p", "later", {"hostIPC": True}))
    ns = json.loads(json.dumps(cluster.store.get("Namespace", "", "later")))
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"
    cluster.store.update(ns)
    status = json.loads(json.dumps(created))
    status["status"]["message"] = "status writes pass"
    cluster.store.update_status(status)
    labelled = json.loads(json.dumps(cluster.store.get("Pod", "later", "p")))
    labelled["metadata"]["labels"] = {"new": "label"}
    cluster.store.update(labelled)
    reimaged = json.loads(json.dumps(cluster.store.get("Pod", "later", "p")))
    reimaged["spec"]["containers"][0]["image"] = "nginx:2"
    with pytest.raises(Forbidden):
        cluster.store.update(reimaged)


def test_deployments_are_warned_and_their_pods_refused_with_failed_create(cluster: Cluster) -> None:
    namespace(cluster, "prod", enforce="restricted")
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "prod"},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    cluster.store.warnings.clear()
    cluster.store.create(deploy)
    assert cluster.store.warnings[0].startswith('would violate PodSecurity "restricted:latest": '
                                                "allowPrivilegeEscalation != false (container \"web\" must set")
    cluster.settle()
    cluster.advance(5)
    assert cluster.pods("prod") == []
    rs = cluster.store.list("ReplicaSet", "prod")[0]
    failures = [e for e in cluster.store.list("Event", "prod") if e["reason"] == "FailedCreate"]
    assert failures and failures[0]["type"] == "Warning"
    assert failures[0]["involvedObject"]["name"] == rs["metadata"]["name"]
    assert failures[0]["message"].startswith(f'Error creating: pods "{rs["metadata"]["name"]}-')
    assert '" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' in \
        failures[0]["message"]
    condition = rs["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == ("ReplicaFailure", "True", "FailedCreate")
    # Relaxing the namespace lets the retried creates through.
    ns = json.loads(json.dumps(cluster.store.get("Namespace", "", "prod")))
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    cluster.store.update(ns)
    cluster.advance(30)
    assert len(cluster.pods("prod")) == 2
    rs = cluster.store.list("ReplicaSet", "prod")[0]
    assert "conditions" not in rs["status"]


# ---------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def server() -> Iterator[PlainServer]:
    plain = PlainServer()
    try:
        yield plain
    finally:
        plain.stop()


def test_warn_mode_sends_the_warning_header(server: PlainServer) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "warned", "labels": {"pod-security.kubernetes.io/warn": "baseline"}}}
    assert server.request("POST", "/api/v1/namespaces", json.dumps(ns), "application/json").status == 201
    answer = server.request("POST", "/api/v1/namespaces/warned/pods",
                            json.dumps(pod("w", "warned", {"hostNetwork": True})), "application/json")
    assert answer.status == 201
    assert answer.headers.get_all("Warning") == [
        '299 - "would violate PodSecurity \\"baseline:latest\\": host namespaces (hostNetwork=true)"']


def test_enforce_mode_answers_403_over_http(server: PlainServer) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "enforced", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}
    assert server.request("POST", "/api/v1/namespaces", json.dumps(ns), "application/json").status == 201
    answer = server.request("POST", "/api/v1/namespaces/enforced/pods",
                            json.dumps(pod("h", "enforced", securityContext={"privileged": True})), "application/json")
    body = answer.json()
    assert (answer.status, body["reason"]) == (403, "Forbidden")
    assert body["message"] == ('pods "h" is forbidden: violates PodSecurity "baseline:latest": privileged (container '
                               '"c" must not set securityContext.privileged=true)')
    assert body["details"] == {"name": "h", "kind": "pods"}


def test_jobs_and_daemonsets_record_failed_create_too(cluster: Cluster) -> None:
    namespace(cluster, "batch", enforce="baseline")
    cluster.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "batch"},
                   "spec": {"template": {"spec": {"restartPolicy": "Never", "hostPID": True,
                                                  "containers": [{"name": "c", "image": "busybox"}]}}}})
    cluster.apply({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d", "namespace": "batch"},
                   "spec": {"selector": {"matchLabels": {"a": "d"}}, "template": {
                       "metadata": {"labels": {"a": "d"}},
                       "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [
                           {"containerPort": 80, "hostPort": 8080}]}]}}}})
    cluster.advance(2)
    assert cluster.pods("batch") == []
    events = {(e["involvedObject"]["kind"], e["reason"]): e["message"] for e in cluster.store.list("Event", "batch")}
    assert ' is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)' in \
        events[("Job", "FailedCreate")]
    assert events[("DaemonSet", "FailedCreate")].endswith(
        'violates PodSecurity "baseline:latest": hostPort (container "c" uses hostPort 8080)')
