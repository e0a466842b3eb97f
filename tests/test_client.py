"""The official kubernetes Python client against the simulator, plus authentication and control."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube import SimServer, start_server
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


@pytest.fixture(scope="module")
def api(sim: SimServer) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(sim.kubeconfig))


def _ca_context(sim: SimServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(sim.state_dir / "ca.crt"))


def _request(sim: SimServer, path: str, token: str | None, method: str = "GET",
             body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(sim.url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, context=_ca_context(sim), timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _token(kubeconfig: Path) -> str:
    return str(yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"])


def test_list_create_patch_delete(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    names = [n.metadata.name for n in core.list_node().items]
    assert names == ["chaoskit-control-plane", "chaoskit-worker", "chaoskit-worker2"]
    core.create_namespace({"metadata": {"name": "pyclient"}})
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                    "template": {"metadata": {"labels": {"app": "api"}},
                                 "spec": {"containers": [{"name": "api", "image": "nginx:1.27"}]}}}}
    created = apps.create_namespaced_deployment("pyclient", dep)
    assert created.metadata.generation == 1 and created.spec.strategy.type == "RollingUpdate"
    patched = apps.patch_namespaced_deployment("api", "pyclient", {"spec": {"replicas": 2}})
    assert patched.spec.replicas == 2 and patched.metadata.generation == 2
    with pytest.raises(ApiException) as err:
        apps.create_namespaced_deployment("pyclient", dep)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("nope", "pyclient")
    assert missing.value.status == 404
    status = apps.delete_namespaced_deployment("api", "pyclient")
    assert status["kind"] == "Status" and status["status"] == "Success"  # the client types delete as object


def test_watch_sees_pods_of_a_new_deployment(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    core.create_namespace({"metadata": {"name": "pywatch"}})
    rv = core.list_namespaced_pod("pywatch").metadata.resource_version
    apps.create_namespaced_deployment("pywatch", {
        "metadata": {"name": "w"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "w"}},
                                            "template": {"metadata": {"labels": {"app": "w"}},
                                                         "spec": {"containers": [{"name": "w",
                                                                                  "image": "nginx:1.27"}]}}}})
    seen = []
    for event in watch.Watch().stream(core.list_namespaced_pod, "pywatch", resource_version=rv, timeout_seconds=10):
        seen.append((event["type"], event["object"].status.phase))
        if event["object"].status.phase == "Running":
            break
    assert seen[0][0] == "ADDED" and ("MODIFIED", "Running") in seen


def test_requests_need_a_token(sim: SimServer) -> None:
    code, body = _request(sim, "/api/v1/pods", None)
    assert code == 401 and body["reason"] == "Unauthorized" and body["kind"] == "Status"


def test_control_endpoint_is_for_the_system_user_only(sim: SimServer) -> None:
    trainee, system = _token(sim.kubeconfig), _token(sim.state_dir / "system.kubeconfig")
    code, body = _request(sim, "/chaoskit/v1/nodes/chaoskit-worker2/kubelet", trainee, "PUT", {"running": False})
    assert code == 403 and body["reason"] == "Forbidden"
    assert "/chaoskit" not in json.dumps(_request(sim, "/apis", trainee)[1])
    code, body = _request(sim, "/chaoskit/v1/nodes/chaoskit-worker2/kubelet", system)
    assert code == 200 and body == {"node": "chaoskit-worker2", "running": True}
    code, body = _request(sim, "/chaoskit/v1/nodes/nope/kubelet", system, "PUT", {"running": False})
    assert code == 404


def test_kubeconfig_is_private_and_version_is_marked(sim: SimServer) -> None:
    assert sim.kubeconfig.stat().st_mode & 0o777 == 0o600
    code, body = _request(sim, "/version", _token(sim.kubeconfig))
    assert code == 200 and body["gitVersion"] == "v1.37.1+chaoskit"


def test_snapshot_restores_a_stopped_cluster(tmp_path: Path) -> None:
    server = start_server(tmp_path, speed=20)
    try:
        pod = """
apiVersion: v1
kind: Pod
metadata: {name: keeper}
spec:
  containers: [{name: app, image: busybox:1.36, command: [sh, -c, "echo hello; exit 1"]}]
"""
        assert server.run("apply", "-f", "-", stdin=pod).ok
        assert server.run("wait", "--for=jsonpath={.status.containerStatuses[0].restartCount}=2", "pod/keeper",
                          "--timeout=60s").ok
    finally:
        assert server.stop() == 0
    assert (tmp_path / "snapshot.json").exists()
    again = start_server(tmp_path, speed=20)
    try:
        restarts = int(again.run("get", "pod", "keeper", "-o",
                                 "jsonpath={.status.containerStatuses[0].restartCount}").stdout)
        assert restarts >= 2
        assert again.run("logs", "keeper", "--previous").stdout == "hello\n"
        assert again.run("wait", f"--for=jsonpath={{.status.containerStatuses[0].restartCount}}={restarts + 1}",
                         "pod/keeper", "--timeout=120s").ok
    finally:
        again.stop()
