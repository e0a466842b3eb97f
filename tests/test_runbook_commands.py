"""A runbook step is recognised by the reads its own commands make: the requests predicted for every
built-in runbook command are the ones the real kubectl sends (checked against a served simulator's
audit log), and writes or look-alike reads do not take a step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kube import SimServer

from chaoskit.grading.activity import takes
from chaoskit.runbook.commands import Request, requests_of
from chaoskit.runbook.model import Step, load_runbooks

COMMANDS = sorted({c for book in load_runbooks().values() for s in book.steps for c in s.commands})
MANIFEST = """
apiVersion: v1
kind: Namespace
metadata: {name: rb}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: rb}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: rb}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: rb}
data: {mode: fast}
"""


@pytest.mark.parametrize(("command", "expected"), [
    ("kubectl get pods", [("kubectl get", "list", "pods", "")]),
    ("kubectl get pods -o wide -n shop", [("kubectl get", "list", "pods", "")]),
    ("kubectl get endpoints web", [("kubectl get", "get", "endpoints", "")]),
    ("kubectl get cm,secret", [("kubectl get", "list", "configmaps", ""), ("kubectl get", "list", "secrets", "")]),
    ("kubectl get deploy/web svc/web", [("kubectl get", "get", "deployments", ""),
                                        ("kubectl get", "get", "services", "")]),
    ("kubectl describe svc web", [("kubectl describe", "get", "services", "")]),
    ("kubectl logs web-1 --previous -c app", [("kubectl logs", "get", "pods", "log")]),
    ("kubectl top pods", [("kubectl top pod", "list", "pods", "")]),
    ("kubectl rollout history deploy/web", [("kubectl rollout history", "get", "deployments", "")]),
    ("kubectl set image deploy/web web=nginx:1.28", []),
    ("kubectl delete pod web-1", []),
    ("kubectl get widgets", []),
])
def test_what_a_command_requests(command: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert [(r.command, r.verb, r.resource, r.subresource) for r in requests_of(command)] == expected


def test_a_step_is_taken_by_its_reads_only() -> None:
    step = Step("endpoints", ("kubectl get endpoints NAME",), "", requests_of("kubectl get endpoints NAME"))
    base = {"verb": "get", "resource": "endpoints", "subresource": "", "code": 200}
    assert takes({**base, "kubectlCommand": "kubectl get"}, step)
    assert takes({**base, "kubectlCommand": "kubectl describe"}, step)        # shows the same object
    assert takes({**base, "kubectlCommand": ""}, step)                        # curl, k9s, a client library
    assert not takes({**base, "kubectlCommand": "kubectl logs"}, step)
    assert not takes({**base, "code": 404}, step)
    assert not takes({**base, "verb": "list"}, step)
    assert not takes({**base, "verb": "patch", "kubectlCommand": "kubectl patch"}, step)
    logs = Step("logs", ("kubectl logs POD",), "", requests_of("kubectl logs POD"))
    pod_get = {"verb": "get", "resource": "pods", "subresource": "", "code": 200, "kubectlCommand": "kubectl logs"}
    assert not takes(pod_get, logs) and takes({**pod_get, "subresource": "log"}, logs)
    assert Request("kubectl rollout history", "get", "deployments").shows("kubectl rollout history", "get",
                                                                           "deployments", "")


def test_every_runbook_command_makes_the_requests_predicted(sim: SimServer, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(sim.kubeconfig.read_text())
    env = {"KUBECONFIG": str(kubeconfig)}
    assert sim.run("apply", "-f", "-", stdin=MANIFEST, env=env).ok
    assert sim.run("rollout", "status", "deploy/web", "-n", "rb", "--timeout=120s", env=env).ok
    pod = sim.run("get", "pods", "-n", "rb", "-o", "jsonpath={.items[0].metadata.name}", env=env).stdout
    audit = sim.state_dir / "audit.log"
    missed = []
    for command in COMMANDS:
        before = len(audit.read_text().splitlines())
        argv = command.replace("POD", pod).replace("NODE", "chaoskit-worker").replace("NAME", "web").split()[1:]
        if "--previous" in argv:
            argv.remove("--previous")  # the pod has not restarted; the request is the same
        sim.run(*argv, "-n", "rb", env=env)
        records = [json.loads(line) for line in audit.read_text().splitlines()[before:]]
        step = Step(command, (command,), "", requests_of(command))
        if not any(takes(r, step) for r in records if r["user"] == "trainee"):
            missed.append(f"{command}: {[(r['kubectlCommand'], r['verb'], r['resource']) for r in records]}")
    assert not missed, "\n".join(missed)
