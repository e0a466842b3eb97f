"""Fuzzing the simulator's API server over raw HTTP: whatever the path, method, body, content type
or headers, the answer is never a 500 and the server (and its clock) keeps going."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simhttp import PlainServer

COLLECTIONS = [
    "/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/secrets",
    "/api/v1/namespaces/default/services", "/api/v1/namespaces/default/events", "/api/v1/namespaces",
    "/api/v1/nodes", "/apis/apps/v1/namespaces/default/deployments", "/apis/apps/v1/namespaces/default/replicasets",
    "/apis/apps/v1/namespaces/default/daemonsets", "/apis/batch/v1/namespaces/default/jobs",
    "/apis/batch/v1/namespaces/default/cronjobs", "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
    "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", "/api/v1/namespaces/default/serviceaccounts",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases", "/apis/metrics.k8s.io/v1beta1/pods",
]
SUBRESOURCES = ["", "/status", "/scale", "/log", "/eviction", "/binding", "/ephemeralcontainers", "/proxy",
                "/exec", "/attach", "/portforward", "/resize", "/finalize"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
CONTENT_TYPES = [None, "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
                 "application/merge-patch+json", "application/strategic-merge-patch+json",
                 "application/json-patch+json", "application/apply-patch+yaml", "text/plain", "application/json; x=y",
                 "multipart/form-data; boundary=x", ""]
QUERIES = ["", "?watch=true&timeoutSeconds=0", "?fieldValidation=Strict", "?dryRun=All", "?labelSelector=a%3Db",
           "?fieldManager=fuzz&force=true", "?limit=1", "?continue=garbage", "?gracePeriodSeconds=x",
           "?fieldSelector=spec.nodeName%3Dx", "?resourceVersion=abc&watch=1&timeoutSeconds=0"]

TEMPLATES: dict[str, dict[str, Any]] = {
    "/api/v1/namespaces/default/pods": {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fz", "labels": {"a": "b"}},
        "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                                 "resources": {"limits": {"cpu": "1", "memory": "64Mi"}},
                                 "securityContext": {"privileged": False}}],
                 "volumes": [{"name": "v", "emptyDir": {}}], "tolerations": [{"operator": "Exists"}]}},
    "/apis/apps/v1/namespaces/default/deployments": {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fz"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx",
                                                       "readinessProbe": {"httpGet": {"port": 80}}}]}}}},
    "/api/v1/namespaces/default/services": {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "fz"},
        "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [{"port": 80, "targetPort": "http"}]}},
    "/api/v1/namespaces/default/configmaps": {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fz", "annotations": {"x": "y"}},
        "data": {"k": "v"}, "binaryData": {"b": "aGk="}},
    "/apis/batch/v1/namespaces/default/cronjobs": {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "fz"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}},
    "/api/v1/namespaces": {"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": "fz", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}},
}

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                         st.sampled_from(["", "0", "-1", "1e999", "100Mi", "abc", "25%", "RuntimeDefault", "true",
                                          "2026-01-01T00:00:00Z", "*/1 * * * *", "x" * 300]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_objects(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid object of a served kind with a few fields replaced by arbitrary JSON."""
    path = draw(st.sampled_from(sorted(TEMPLATES)))
    obj = copy.deepcopy(TEMPLATES[path])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(_paths(obj)[1:]))
        parent = obj
        for part in where[:-1]:
            parent = parent[part]
        parent[where[-1]] = draw(st.one_of(json_values, _same_type(parent[where[-1]])))
    return path, obj


def _same_type(value: Any) -> st.SearchStrategy[Any]:
    """A value of the same JSON type: passes the typed decode, so validation, defaulting,
    admission and the controllers see it."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.sampled_from([0, -1, 65536]))
    if isinstance(value, str):
        return st.one_of(st.text(max_size=30), st.sampled_from(["", "-", "a" * 300, "UPPER", "x/y", "Always", "0"]))
    if isinstance(value, list):
        return st.lists(st.dictionaries(st.sampled_from(["name", "image", "port", "key", "value", "operator",
                                                         "effect", "containerPort", "protocol"]),
                                        json_scalars, max_size=4), max_size=3)
    if isinstance(value, dict):
        return st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
    return json_values


@pytest.fixture(scope="module")
def server() -> Iterator[PlainServer]:
    plain = PlainServer(speed=50.0)
    try:
        yield plain
    finally:
        plain.stop()


def assert_sane(server: PlainServer, method: str, path: str, body: bytes | str | None, ctype: str | None,
                headers: dict[str, str] | None = None) -> None:
    answer = server.request(method, path, body, ctype, headers)
    assert answer.status < 500, (method, path, ctype, answer.status, answer.body[:500])


def assert_still_serving(server: PlainServer) -> None:
    assert server.engine_alive
    assert server.request("GET", "/api/v1/namespaces/default/configmaps").status == 200
    before = server.call(lambda: server.cluster.now)
    deadline = time.monotonic() + 60
    while server.call(lambda: server.cluster.now) <= before:
        assert time.monotonic() < deadline, "the simulator's clock stopped"
        time.sleep(0.05)


FUZZ = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def test_requests_of_any_shape(server: PlainServer) -> None:
    @FUZZ
    @given(collection=st.sampled_from(COLLECTIONS), name=st.sampled_from(["", "/fz", "/x", "/%00", "/a/b/c", "/.."]),
           sub=st.sampled_from(SUBRESOURCES), query=st.sampled_from(QUERIES), method=st.sampled_from(METHODS),
           ctype=st.sampled_from(CONTENT_TYPES),
           body=st.one_of(st.none(), st.binary(max_size=200), json_values.map(json.dumps),
                          json_values.map(lambda v: yaml.safe_dump(v, default_flow_style=False))),
           accept=st.sampled_from(["", "application/json", "application/json;as=Table;v=v1;g=meta.k8s.io",
                                   "application/vnd.kubernetes.protobuf", "*/*", "text/html"]))
    def run(collection: str, name: str, sub: str, query: str, method: str, ctype: str | None, body: Any,
            accept: str) -> None:
        headers = {"Accept": accept} if accept else {}
        assert_sane(server, method, collection + name + (sub if name else "") + query, body, ctype, headers)

    run()
    assert_still_serving(server)


def test_objects_with_wrong_types_anywhere(server: PlainServer) -> None:
    @FUZZ
    @given(case=mutated_objects(), as_yaml=st.booleans(), strict=st.booleans())
    def run(case: tuple[str, dict[str, Any]], as_yaml: bool, strict: bool) -> None:
        path, obj = case
        query = "?fieldValidation=Strict" if strict else ""
        body = yaml.safe_dump(obj) if as_yaml else json.dumps(obj)
        ctype = "application/yaml" if as_yaml else "application/json"
        assert_sane(server, "POST", path + query, body, ctype)
        name = obj.get("metadata", {}).get("name") if isinstance(obj.get("metadata"), dict) else None
        if isinstance(name, str) and name:
            item = f"{path}/{quote(name, safe='')}"
            assert_sane(server, "PUT", f"{item}{query}", body, ctype)
            assert_sane(server, "PATCH", f"{item}{query}", json.dumps(obj), "application/merge-patch+json")
            assert_sane(server, "PATCH", f"{item}?fieldManager=fz", body, "application/apply-patch+yaml")
            assert_sane(server, "DELETE", item, None, None)

    run()
    assert_still_serving(server)


def test_patches_of_any_shape(server: PlainServer) -> None:
    base = TEMPLATES["/apis/apps/v1/namespaces/default/deployments"]
    assert server.request("POST", "/apis/apps/v1/namespaces/default/deployments", json.dumps(
        {**base, "metadata": {"name": "patched"}}), "application/json").status in (201, 409)

    ops = st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"]),
                                 "path": st.sampled_from(["/spec/replicas", "/spec/template/spec/containers/0",
                                                          "/metadata/labels/a", "/spec", "", "/status", "/x/-",
                                                          "/spec/template/spec/containers/-", "~1"]),
                                 "value": json_values, "from": st.sampled_from(["/spec", "/metadata", "/nope"])})

    @FUZZ
    @given(ctype=st.sampled_from(["application/merge-patch+json", "application/strategic-merge-patch+json",
                                  "application/json-patch+json", "application/apply-patch+yaml"]),
           body=st.one_of(json_values.map(json.dumps), st.lists(ops, max_size=3).map(json.dumps),
                          st.binary(max_size=100)),
           sub=st.sampled_from(["", "/status", "/scale"]))
    def run(ctype: str, body: Any, sub: str) -> None:
        query = "?fieldManager=fz" if ctype.endswith("yaml") else ""
        assert_sane(server, "PATCH", f"/apis/apps/v1/namespaces/default/deployments/patched{sub}{query}", body, ctype)

    run()
    assert_still_serving(server)
