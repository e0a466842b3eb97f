"""Each fault type against a served simulator, through the official client only: inject, the
effect shows, revert, revert again (a no-op), and revert after the trainee changed the target."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kube import SimServer, start_server

from chaoskit.cluster import Kube, connect
from chaoskit.errors import ConfigError
from chaoskit.faults import REGISTRY, Journal, Target, resolve, revert
from chaoskit.faults.base import revert_state

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    srv = start_server(tmp_path_factory.mktemp("faults"), speed=20)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def kube(server: SimServer) -> Kube:
    return connect(server.kubeconfig, server.state_dir / "system.kubeconfig")


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll the API until the predicate holds (the simulator runs at 20x, so seconds are minutes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: ghcr.io/stefanprodan/podinfo:6.7.1
        command: [./podinfo, --port=9898, --stress-memory=64]
        ports: [{{containerPort: 9898}}]
        resources: {{limits: {{memory: 128Mi}}, requests: {{memory: 128Mi}}}}
        livenessProbe: {{httpGet: {{path: /healthz, port: 9898}}, periodSeconds: 5}}
        readinessProbe: {{httpGet: {{path: /readyz, port: 9898}}, periodSeconds: 5}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 9898}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: bare, namespace: {ns}, labels: {{role: bare}}}}
spec:
  containers: [{{name: main, image: "busybox:1.36", command: [sleep, "3600"]}}]
"""


def app(server: SimServer, ns: str) -> None:
    assert server.run("create", "namespace", ns).ok
    assert server.run("apply", "-f", "-", stdin=APP.format(ns=ns)).ok
    assert server.run("rollout", "status", "deploy/web", "-n", ns, "--timeout=60s").ok


def pods(kube: Kube, ns: str) -> list[Obj]:
    return [p for p in kube.items("Pod", ns, "app=web") if "deletionTimestamp" not in p["metadata"]]


def any_container(kube: Kube, ns: str, test: Callable[[Obj], bool]) -> bool:
    return any(test(cs) for p in pods(kube, ns) for cs in p.get("status", {}).get("containerStatuses") or [])


def waiting(reason: str) -> Callable[[Obj], bool]:
    return lambda cs: (cs.get("state", {}).get("waiting") or {}).get("reason") == reason


WEB = Target("Deployment", name="web")
SVC = Target("Service", name="web")
CASES: list[tuple[str, Target, dict[str, Any], Callable[[Kube, str], bool]]] = [
    ("memory-limit", WEB, {"limit": "32Mi"}, lambda k, ns: any_container(
        k, ns, lambda cs: cs.get("lastState", {}).get("terminated", {}).get("reason") == "OOMKilled")),
    ("bad-image", WEB, {"variant": "tag"}, lambda k, ns: any_container(
        k, ns, lambda cs: waiting("ErrImagePull")(cs) or waiting("ImagePullBackOff")(cs))),
    ("bad-image", WEB, {"variant": "repository"}, lambda k, ns: any(
        "pull access denied" in ((cs.get("state", {}).get("waiting") or {}).get("message") or "")
        or "not found" in ((cs.get("state", {}).get("waiting") or {}).get("message") or "")
        for p in pods(k, ns) for cs in p["status"].get("containerStatuses") or [])),
    ("probe-break", WEB, {"probe": "liveness", "break": "path"}, lambda k, ns: any_container(
        k, ns, lambda cs: cs.get("restartCount", 0) > 0)),
    ("probe-break", WEB, {"probe": "liveness", "break": "timing"}, lambda k, ns: any_container(
        k, ns, lambda cs: cs.get("restartCount", 0) > 0)),
    ("probe-break", WEB, {"probe": "readiness", "break": "port"}, lambda k, ns: any_container(
        k, ns, lambda cs: cs.get("state", {}).get("running") is not None and not cs.get("ready"))),
    ("crash-command", WEB, {}, lambda k, ns: any_container(k, ns, waiting("CrashLoopBackOff"))),
    ("one-shot", WEB, {}, lambda k, ns: any_container(
        k, ns, lambda cs: cs.get("lastState", {}).get("terminated", {}).get("reason") == "Completed")),
    ("huge-requests", WEB, {}, lambda k, ns: any(p["status"].get("phase") == "Pending" and any(
        "Insufficient memory" in (c.get("message") or "") for c in p["status"].get("conditions") or [])
        for p in pods(k, ns))),
    ("missing-config", WEB, {}, lambda k, ns: any_container(k, ns, waiting("CreateContainerConfigError"))),
    ("scale-zero", WEB, {}, lambda k, ns: not pods(k, ns)),
    ("bad-rollout", WEB, {}, lambda k, ns: len(k.items("ReplicaSet", ns)) == 2 and any_container(
        k, ns, lambda cs: cs.get("state", {}).get("running") is not None and not cs.get("ready"))),
    ("service-selector", SVC, {}, lambda k, ns: not k.get("Endpoints", ns, "web").get("subsets")),
    ("service-target-port", SVC, {"port": 8080}, lambda k, ns: k.get("Endpoints", ns, "web")["subsets"][0]
     ["ports"][0]["port"] == 8080),
]


@pytest.mark.parametrize(("kind", "target", "params", "effect"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_workload_faults(server: SimServer, kube: Kube, tmp_path: Path, kind: str, target: Target,
                         params: dict[str, Any], effect: Callable[[Kube, str], bool]) -> None:
    ns = f"f-{kind}-{abs(hash(repr(params))) % 1000}"
    app(server, ns)
    before = kube.get(target.kind, ns, "web")
    journal = Journal(tmp_path / "journal.jsonl")
    fault = REGISTRY[kind](target, params, seed=1)
    assert fault.plan(kube, ns)
    records = fault.inject(kube, ns, journal)
    assert records and all(r["state"] == "injected" for r in Journal(journal.path).records)
    assert all(fault.took_effect(kube, r) for r in records)
    assert wait_for(lambda: effect(kube, ns)), f"{kind} did not show"
    labels = kube.get(target.kind, ns, "web")["metadata"].get("labels")
    assert labels == before["metadata"].get("labels")  # no tell-tale marks
    outcome = revert(kube, journal)
    assert len(outcome.restored) == len(records) and not outcome.skipped
    after = kube.get(target.kind, ns, "web")
    assert after["spec"] == before["spec"] or (target.kind == "Deployment" and \
        after["spec"]["template"] == before["spec"]["template"] and \
        after["spec"]["replicas"] == before["spec"]["replicas"])
    again = revert(kube, Journal(journal.path))
    assert again.restored == [] and again.skipped == []
    if target.kind == "Deployment":
        assert server.run("rollout", "status", "deploy/web", "-n", ns, "--timeout=60s").ok


@pytest.mark.parametrize(("kind", "target", "params", "effect"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_revert_after_the_trainee_restored_the_fields(server: SimServer, kube: Kube, tmp_path: Path, kind: str,
                                                      target: Target, params: dict[str, Any],
                                                      effect: Callable[[Kube, str], bool]) -> None:
    """The trainee puts every faulted field back by hand: revert must touch nothing."""
    from chaoskit.faults import pointer

    ns = f"g-{kind}-{abs(hash(repr(params))) % 1000}"
    app(server, ns)
    journal = Journal(tmp_path / "journal.jsonl")
    records = REGISTRY[kind](target, params, seed=1).inject(kube, ns, journal)
    current = kube.get(target.kind, ns, "web")
    fix: list[dict[str, Any]] = []
    for record in records:
        fix += pointer.set_ops(current, record["path"], record["before"])
    kube.json_patch(target.kind, ns, "web", fix)
    fixed = kube.get(target.kind, ns, "web")
    outcome = revert(kube, journal)
    assert outcome.restored == [] and len(outcome.skipped) == len(records)
    assert kube.get(target.kind, ns, "web")["metadata"]["resourceVersion"] == fixed["metadata"]["resourceVersion"]


def test_revert_never_undoes_the_trainees_fix(server: SimServer, kube: Kube, tmp_path: Path) -> None:
    ns = "f-trainee-fix"
    app(server, ns)
    journal = Journal(tmp_path / "j.jsonl")
    REGISTRY["memory-limit"](WEB, {"limit": "32Mi"}).inject(kube, ns, journal)
    assert server.run("set", "resources", "deploy/web", "-n", ns, "-c", "web",
                      "--limits=memory=256Mi", "--requests=memory=256Mi").ok
    outcome = revert(kube, journal)
    assert outcome.restored == [] and len(outcome.skipped) == 2
    limits = kube.get("Deployment", ns, "web")["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert limits["limits"]["memory"] == "256Mi"
    assert all(r["state"] == "skipped" and "changed since the fault" in r["note"]
               for r in Journal(journal.path).records)


def test_pod_delete_bare_and_managed(server: SimServer, kube: Kube, tmp_path: Path) -> None:
    ns = "f-pod-delete"
    app(server, ns)
    journal = Journal(tmp_path / "j.jsonl")
    REGISTRY["pod-delete"](Target("Pod", selector="role=bare")).inject(kube, ns, journal)
    managed = REGISTRY["pod-delete"](Target("Pod", selector="app=web", mode="one"), seed=3)
    victim = managed.inject(kube, ns, journal)[0]["name"]
    assert wait_for(lambda: kube.try_get("Pod", ns, "bare") is None)
    assert wait_for(lambda: len(pods(kube, ns)) == 2 and victim not in {p["metadata"]["name"] for p in pods(kube, ns)})
    outcome = revert(kube, journal)
    assert outcome.restored == ["pod-delete: Pod bare"]
    assert kube.get("Pod", ns, "bare")["spec"]["containers"][0]["command"] == ["sleep", "3600"]
    assert revert(kube, Journal(journal.path)).restored == []


def test_node_faults(server: SimServer, kube: Kube, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    workers = Target("Node", selector="!node-role.kubernetes.io/control-plane")
    REGISTRY["node-taint"](workers, {"key": "maintenance", "effect": "NoSchedule"}).inject(kube, None, journal)
    REGISTRY["cordon"](Target("Node", name="chaoskit-worker2")).inject(kube, None, journal)
    REGISTRY["node-not-ready"](Target("Node", name="chaoskit-worker")).inject(kube, None, journal)
    nodes = {n["metadata"]["name"]: n for n in kube.items("Node")}
    assert all({"key": "maintenance", "value": "true", "effect": "NoSchedule"} in n["spec"].get("taints", [])
               for name, n in nodes.items() if "worker" in name)
    assert nodes["chaoskit-worker2"]["spec"]["unschedulable"] is True

    def ready(name: str) -> str:
        node = kube.get("Node", None, name)
        return next(c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready")

    assert wait_for(lambda: ready("chaoskit-worker") == "Unknown")
    # a taint someone else adds meanwhile survives the revert
    assert server.run("taint", "node", "chaoskit-worker2", "team=sre:PreferNoSchedule").ok
    outcome = revert(kube, journal)
    assert len(outcome.restored) == 4 and not outcome.skipped
    nodes = {n["metadata"]["name"]: n for n in kube.items("Node")}
    assert [t["key"] for t in nodes["chaoskit-worker2"]["spec"].get("taints", [])] == ["team"]
    assert "unschedulable" not in nodes["chaoskit-worker2"]["spec"]
    assert wait_for(lambda: ready("chaoskit-worker") == "True")
    assert revert(kube, Journal(journal.path)).restored == []
    assert server.run("taint", "node", "chaoskit-worker2", "team-").ok


def test_targets_and_modes(server: SimServer, kube: Kube) -> None:
    import random

    ns = "f-modes"
    app(server, ns)
    assert server.run("scale", "deploy/web", "-n", ns, "--replicas=4").ok
    assert wait_for(lambda: len(pods(kube, ns)) == 4)
    rng = random.Random(1)
    assert len(resolve(Target("Pod", selector="app=web", mode="all"), kube, ns, rng)) == 4
    assert len(resolve(Target("Pod", selector="app=web", mode="one"), kube, ns, rng)) == 1
    assert len(resolve(Target("Pod", selector="app=web", mode="fixed", value=3), kube, ns, rng)) == 3
    assert len(resolve(Target("Pod", selector="app=web", mode="fixed-percent", value=50), kube, ns, rng)) == 2
    with pytest.raises(ConfigError, match="fault target not found"):
        resolve(Target("Deployment", name="nope"), kube, ns, rng)
    with pytest.raises(ConfigError, match="applies to Service"):
        REGISTRY["service-selector"](Target("Deployment", name="web"))


def test_revert_after_a_crash_reads_the_journal_from_disk(server: SimServer, kube: Kube, tmp_path: Path) -> None:
    ns = "f-crash"
    app(server, ns)
    path = tmp_path / "j.jsonl"
    REGISTRY["scale-zero"](WEB).inject(kube, ns, Journal(path))
    del_records = Journal(path).records
    assert del_records[0]["before"] == 2 and del_records[0]["after"] == 0
    assert revert_state(kube, del_records[0]) == "faulty"
    outcome = revert(kube, Journal(path))  # a fresh process: only the file is left
    assert outcome.restored and kube.get("Deployment", ns, "web")["spec"]["replicas"] == 2
