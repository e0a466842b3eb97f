"""The real kubectl against the simulator: output formats, streams, writes, errors and the proxy."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from kube import SimServer

from chaoskit.kube.audit import read as read_audit


@pytest.fixture(scope="module")
def ns(sim: SimServer) -> str:
    name = "kubectl-tests"
    manifest = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {name}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {name}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{{containerPort: 80, name: http}}]
        readinessProbe: {{httpGet: {{path: /, port: 80}}, periodSeconds: 2}}
      - name: sidecar
        image: busybox:1.36
        command: [sh, -c, "while true; do echo tick; sleep 5; done"]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {name}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: http}}]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    assert sim.run("rollout", "status", "deploy/web", "-n", name, "--timeout=120s").ok
    return name


def test_get_formats(sim: SimServer, ns: str) -> None:
    pods = json.loads(sim.run("get", "pods", "-n", ns, "-l", "app=web", "-o", "json").stdout)
    assert pods["kind"] == "List" and len(pods["items"]) == 2
    names = sim.run("get", "pods", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}").stdout.split()
    assert sorted(names) == sorted(p["metadata"]["name"] for p in pods["items"])
    wide = sim.run("get", "pods", "-n", ns, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                               "READINESS", "GATES"]
    assert all(" 2/2 " in line and " Running " in line for line in wide[1:])
    combo = sim.run("get", "deploy,rs,pods,svc", "-n", ns).stdout
    for marker in ("deployment.apps/web ", "replicaset.apps/web-", "pod/web-", "service/web "):
        assert marker in combo
    assert sim.run("get", "pods", "-n", ns, "-o", "yaml").stdout.startswith("apiVersion: v1\nitems:\n")


def test_get_watch_streams_changes(sim: SimServer, ns: str) -> None:
    proc = subprocess.Popen([str(sim.kubectl), "get", "pods", "-n", ns, "-w"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={"KUBECONFIG": str(sim.kubeconfig)})
    time.sleep(1.5)
    assert sim.run("scale", "deploy/web", "-n", ns, "--replicas=3").ok
    time.sleep(2.5)
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert any("ContainerCreating" in line or "Pending" in line for line in lines[3:])
    assert sum(1 for line in lines if line.startswith("NAME")) == 1  # column headers once
    assert sim.run("scale", "deploy/web", "-n", ns, "--replicas=2").ok


def test_describe(sim: SimServer, ns: str) -> None:
    out = sim.run("describe", "deployment", "web", "-n", ns).stdout
    assert "StrategyType:           RollingUpdate" in out
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in out
    assert "NewReplicaSet:   web-" in out
    svc = sim.run("describe", "service", "web", "-n", ns).stdout
    assert "TargetPort:               http/TCP" in svc and "Endpoints:                10.244." in svc
    rs = sim.run("describe", "rs", "-n", ns).stdout
    assert "Controlled By:  Deployment/web" in rs
    node = sim.run("describe", "node", "chaoskit-worker").stdout
    assert "Allocated resources:" in node


def test_logs_options(sim: SimServer, ns: str) -> None:
    pod = sim.run("get", "pods", "-n", ns, "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}").stdout
    two = sim.run("logs", pod, "-n", ns, "-c", "sidecar", "--tail=2")
    assert two.ok and two.stdout.splitlines()[-1] == "tick" and len(two.stdout.splitlines()) <= 2
    which = sim.run("logs", pod, "-n", ns)
    assert which.ok  # kubectl picks the default container itself
    stamps = sim.run("logs", pod, "-n", ns, "-c", "web", "--timestamps").stdout.splitlines()
    assert stamps[0][:4].isdigit() and "Z /docker-entrypoint.sh:" in stamps[0]
    bad = sim.run("logs", pod, "-n", ns, "-c", "nope")
    assert bad.stderr.strip() == f"error: container nope is not valid for pod {pod} out of: web, sidecar"


def test_logs_previous_after_a_crash(sim: SimServer) -> None:
    manifest = """
apiVersion: v1
kind: Pod
metadata: {name: crasher, namespace: default}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, "echo starting; echo about to fail; exit 3"]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        prev = sim.run("logs", "crasher", "--previous")
        if prev.ok:
            break
        time.sleep(0.5)
    assert prev.stdout == "starting\nabout to fail\n"
    status = sim.run("get", "pod", "crasher", "-o", "jsonpath={.status.containerStatuses[0].lastState.terminated}")
    assert json.loads(status.stdout)["exitCode"] == 3
    assert sim.run("delete", "pod", "crasher", "--grace-period=0", "--force").ok


def test_writes(sim: SimServer, ns: str) -> None:
    assert "deployment.apps/web resource requirements updated" in sim.run(
        "set", "resources", "deploy/web", "-n", ns, "-c", "web", "--limits=memory=256Mi").stdout
    assert sim.run("label", "deploy", "web", "-n", ns, "team=sre").ok
    assert sim.run("annotate", "deploy", "web", "-n", ns, "owner=trainee").ok
    meta = json.loads(sim.run("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.metadata}").stdout)
    assert meta["labels"]["team"] == "sre" and meta["annotations"]["owner"] == "trainee"
    assert sim.run("patch", "deploy", "web", "-n", ns, "--type=strategic", "-p",
                   '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}}}}'
                   ).ok
    containers = json.loads(sim.run("get", "deploy", "web", "-n", ns, "-o",
                                    "jsonpath={.spec.template.spec.containers}").stdout)
    assert [c["name"] for c in containers] == ["web", "sidecar"] and containers[0]["env"] == [{"name": "A",
                                                                                               "value": "1"}]
    assert sim.run("patch", "deploy", "web", "-n", ns, "--type=json", "-p",
                   '[{"op":"remove","path":"/spec/template/spec/containers/0/env"}]').ok
    unchanged = sim.run("patch", "deploy", "web", "-n", ns, "--type=merge", "-p",
                        '{"metadata":{"labels":{"team":"sre"}}}')
    assert unchanged.stdout.strip() == "deployment.apps/web patched (no change)"
    assert sim.run("rollout", "restart", "deploy/web", "-n", ns).ok
    assert sim.run("rollout", "status", "deploy/web", "-n", ns, "--timeout=120s").ok
    history = sim.run("rollout", "history", "deploy/web", "-n", ns).stdout
    assert "4         <none>" in history
    assert sim.run("rollout", "undo", "deploy/web", "-n", ns, "--to-revision=1").ok
    assert sim.run("rollout", "status", "deploy/web", "-n", ns, "--timeout=120s").ok


def test_node_operations(sim: SimServer) -> None:
    assert sim.run("cordon", "chaoskit-worker2").ok
    assert "chaoskit-worker2         Ready,SchedulingDisabled" in sim.run("get", "nodes").stdout
    drained = sim.run("drain", "chaoskit-worker2", "--ignore-daemonsets", "--delete-emptydir-data", "--force",
                      "--timeout=120s")
    assert drained.ok, drained.stderr
    assert "node/chaoskit-worker2 drained" in drained.stdout
    assert sim.run("uncordon", "chaoskit-worker2").ok
    assert sim.run("taint", "node", "chaoskit-worker", "maintenance=true:NoExecute").ok
    assert "maintenance=true:NoExecute" in sim.run("describe", "node", "chaoskit-worker").stdout
    assert sim.run("taint", "node", "chaoskit-worker", "maintenance=true:NoExecute-").ok


def test_service_proxy(sim: SimServer, ns: str) -> None:
    page = sim.run("get", "--raw", f"/api/v1/namespaces/{ns}/services/web:80/proxy/")
    assert page.ok and "<title>Welcome to nginx!</title>" in page.stdout
    manifest = f"""
apiVersion: v1
kind: Service
metadata: {{name: nothing, namespace: {ns}}}
spec:
  selector: {{app: nothing}}
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: wrongport, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    none = sim.run("get", "--raw", f"/api/v1/namespaces/{ns}/services/nothing:80/proxy/")
    assert none.stderr.strip() == 'Error from server (ServiceUnavailable): no endpoints available for service "nothing"'
    refused = sim.run("get", "--raw", f"/api/v1/namespaces/{ns}/services/wrongport:80/proxy/")
    assert "error trying to reach service: dial tcp 10.244." in refused.stderr
    assert ":8080: connect: connection refused" in refused.stderr


def test_pod_proxy_and_endpoints_warning(sim: SimServer, ns: str) -> None:
    assert sim.run("rollout", "status", "deploy/web", "-n", ns, "--timeout=120s").ok
    ready = "jsonpath={.items[?(@.status.containerStatuses[0].ready==true)].metadata.name}"
    pod = sim.run("get", "pods", "-n", ns, "-l", "app=web", "-o", ready).stdout.split()[0]
    page = sim.run("get", "--raw", f"/api/v1/namespaces/{ns}/pods/{pod}:80/proxy/index.html")
    assert page.ok and "Welcome to nginx!" in page.stdout
    eps = sim.run("get", "endpoints", "web", "-n", ns)
    assert eps.ok and "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice" in \
        eps.stderr


def test_errors(sim: SimServer, tmp_path: Path) -> None:
    missing = sim.run("get", "pod", "does-not-exist")
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "does-not-exist" not found'
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec:\n  replica: 2\n"
                   "  selector: {matchLabels: {app: bad}}\n  template:\n    metadata: {labels: {app: bad}}\n"
                   "    spec: {containers: [{name: c, image: nginx}]}\n")
    result = sim.run("apply", "-f", str(bad))
    assert result.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{bad}": Deployment in version "v1" cannot be handled '
        'as a Deployment: strict decoding error: unknown field "spec.replica"')
    nonsense = sim.run("get", "frobnicators")
    assert 'the server doesn\'t have a resource type "frobnicators"' in nonsense.stderr


def test_audit_log_names_the_trainee_and_the_command(sim: SimServer) -> None:
    assert sim.run("get", "pods", "-n", "kube-system").ok
    records = read_audit(sim.state_dir / "audit.log")
    mine = [r for r in records if r["kubectlCommand"] == "kubectl get" and r["resource"] == "pods"
            and r["namespace"] == "kube-system"]
    assert mine and mine[-1]["user"] == "trainee" and mine[-1]["verb"] == "list" and mine[-1]["code"] == 200
    assert mine[-1]["kubectlSession"] and mine[-1]["simTime"].endswith("Z")
    assert isinstance(mine[-1]["latencyMs"], float)
