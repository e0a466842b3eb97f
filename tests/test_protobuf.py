"""kubectl create <kind> sends protobuf: each decoded body must equal what
``kubectl create ... --dry-run=client -o json`` prints (golden comparison, empty values aside)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kube import ThreadServer

from chaoskit.kube.status import BadRequest
from chaoskit.sim.apiserver import protobuf

CREATES = [
    ["create", "namespace", "golden-ns"],
    ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=3"],
    ["create", "deployment", "zero", "--image=nginx", "--replicas=0", "--port=80"],
    ["create", "deployment", "multi", "--image=nginx:1.27", "--image=busybox:1.36"],
    ["create", "configmap", "cfg", "--from-literal=k1=v1", "--from-literal=k2=v2"],
    ["create", "secret", "generic", "s1", "--from-literal=password=hunter2"],
    ["create", "secret", "docker-registry", "reg", "--docker-username=u", "--docker-password=p",
     "--docker-server=registry.example.com"],
    ["create", "job", "once", "--image=busybox:1.36", "--", "echo", "hi"],
    ["create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "echo", "tick"],
    ["create", "service", "clusterip", "svc1", "--tcp=80:8080"],
    ["create", "service", "nodeport", "svc2", "--tcp=80:8080", "--node-port=30080"],
    ["create", "service", "loadbalancer", "svc3", "--tcp=443:8443"],
    ["create", "service", "externalname", "ext", "--external-name=example.com"],
    ["create", "serviceaccount", "robot"],
]


def _prune(value: Any) -> Any:
    """Drop null and empty values, which the protobuf path cannot tell from absent ones."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadServer, list[dict[str, Any]]]]:
    captured: list[dict[str, Any]] = []
    original = protobuf.decode

    def recording(body: bytes) -> dict[str, Any]:
        obj = original(body)
        captured.append(json.loads(json.dumps(obj)))
        return obj

    protobuf.decode = recording  # type: ignore[assignment]
    srv = ThreadServer(tmp_path_factory.mktemp("proto"))
    try:
        yield srv, captured
    finally:
        srv.stop()
        protobuf.decode = original  # type: ignore[assignment]


@pytest.mark.parametrize("args", CREATES, ids=[" ".join(a[1:3]) for a in CREATES])
def test_decoded_body_matches_client_dry_run(server: tuple[ThreadServer, list[dict[str, Any]]],
                                             args: list[str]) -> None:
    srv, captured = server
    split = args.index("--") if "--" in args else len(args)
    expected = srv.run(*args[:split], "--dry-run=client", "-o", "json", *args[split:])
    assert expected.ok, expected.stderr
    before = len(captured)
    created = srv.run(*args)
    assert created.ok, created.stderr
    assert len(captured) == before + 1
    assert _prune(captured[-1]) == _prune(json.loads(expected.stdout))


def test_create_job_from_cronjob(server: tuple[ThreadServer, list[dict[str, Any]]]) -> None:
    srv, captured = server
    assert srv.run("get", "cronjob", "tick").ok
    result = srv.run("create", "job", "manual", "--from=cronjob/tick")
    assert result.ok, result.stderr
    body = captured[-1]
    assert body["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert body["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert body["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "tick"]


def test_malformed_bodies_are_a_400(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="envelope"):
        protobuf.decode(b"nope")
    with pytest.raises(BadRequest):
        protobuf.decode(b"k8s\x00\x0a\xff")
    with pytest.raises(BadRequest, match="not supported"):
        protobuf.decode(b"k8s\x00\x0a\x0a\x0a\x02v1\x12\x04Node")
