"""The API server in-process (aiohttp test client, no TLS): patches, paging, watches, and a fuzz
test that throws malformed requests at it: always a Status, never a 500 or a crash."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoskit.kube.audit import AuditLog
from chaoskit.kube.identity import SYSTEM, TRAINEE
from chaoskit.sim import Cluster
from chaoskit.sim.apiserver.patch import apply, merge_patch, strategic_merge
from chaoskit.sim.apiserver.server import ApiServer

TOKEN = "trainee-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


class Api:
    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.cluster = Cluster()
        self.server = ApiServer(self.cluster, {TOKEN: TRAINEE, "sys": SYSTEM}, AuditLog(tmp / "audit.log"))
        self.client = TestClient(TestServer(self.server.app()), loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        async def go() -> tuple[int, Any]:
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            resp = await self.client.request(method, path, data=data,
                                             headers={**HEADERS, "Content-Type": content_type, **(headers or {})})
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
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    a = Api(tmp_path_factory.mktemp("api"))
    yield a
    a.close()


DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                         "ports": [{"containerPort": 80}]}]}}}}


def test_strategic_merge_semantics() -> None:
    live = {"spec": {"containers": [{"name": "a", "image": "x", "env": [{"name": "K", "value": "1"}]},
                                    {"name": "b", "image": "y"}],
                     "tolerations": [{"key": "t"}]},
            "metadata": {"finalizers": ["f1"], "labels": {"x": "1", "y": "2"}}}
    patch = {"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "a", "$patch": "delete"}],
                      "tolerations": [{"key": "u"}]},
             "metadata": {"finalizers": ["f2"], "labels": {"y": None}}}
    out = strategic_merge(live, patch)
    assert out["spec"]["containers"] == [{"name": "b", "image": "z"}]
    assert out["spec"]["tolerations"] == [{"key": "u"}]  # no merge key: replaced
    assert out["metadata"] == {"finalizers": ["f1", "f2"], "labels": {"x": "1"}}
    ordered = strategic_merge({"containers": [{"name": "a"}, {"name": "b"}]},
                              {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                               "containers": [{"name": "a", "x": 1}]})
    assert ordered == {"containers": [{"name": "b"}, {"name": "a", "x": 1}]}
    assert strategic_merge({"a": {"b": 1}}, {"a": {"$patch": "replace", "c": 2}}) == {"a": {"c": 2}}
    assert merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}}) == {"b": {"c": 2, "d": 3}}


def test_server_side_apply_removes_fields_the_manager_dropped() -> None:
    first = apply(None, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                         "data": {"a": "1", "b": "2"}}, "me", "2026-01-01T00:00:00Z")
    assert first["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}},
                                                                "f:metadata": {"f:name": {}}}
    second = apply(first, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "9"}},
                   "me", "2026-01-01T00:00:00Z")
    assert second["data"] == {"a": "9"}


def test_crud_and_patch_types(api: Api) -> None:
    code, created = api.call("POST", "/apis/apps/v1/namespaces/default/deployments", DEPLOY)
    assert code == 201 and created["metadata"]["generation"] == 1
    code, body = api.call("POST", "/apis/apps/v1/namespaces/default/deployments", DEPLOY)
    assert code == 409 and body["message"] == 'deployments.apps "web" already exists'
    code, body = api.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", {"spec": {"replicas": 3}},
                          "application/merge-patch+json")
    assert code == 200 and body["spec"]["replicas"] == 3
    code, cm = api.call("POST", "/api/v1/namespaces/default/configmaps",
                        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "noop"}, "data": {"a": "1"}})
    code, same = api.call("PATCH", "/api/v1/namespaces/default/configmaps/noop", {"data": {"a": "1"}},
                          "application/strategic-merge-patch+json")
    assert same["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"]  # a no-op keeps the version
    code, body = api.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                          [{"op": "replace", "path": "/spec/replicas", "value": 1}], "application/json-patch+json")
    assert code == 200 and body["spec"]["replicas"] == 1
    stale = dict(created)
    code, body = api.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", stale)
    assert code == 409 and body["reason"] == "Conflict"
    code, scale = api.call("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["status"]["selector"] == "app=web"
    code, scale = api.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                           {"spec": {"replicas": 4}}, "application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 4
    code, applied = api.call("PATCH", "/api/v1/namespaces/default/configmaps/cfg?fieldManager=me",
                             raw=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}\n",
                             content_type="application/apply-patch+yaml")
    assert code == 201 and applied["data"] == {"k": "v"}
    code, body = api.call("PATCH", "/api/v1/namespaces/default/configmaps/cfg", raw=b"data: {}",
                          content_type="application/apply-patch+yaml")
    assert code == 400 and "fieldManager: Required value" in body["message"]
    code, body = api.call("POST", "/api/v1/namespaces/default/configmaps", raw=b"k8s\x00\x0a\xff",
                          content_type="application/vnd.kubernetes.protobuf")
    assert code == 400 and body["message"].startswith("protobuf:")
    code, body = api.call("PATCH", "/api/v1/namespaces/default/configmaps/cfg", raw=b"k8s\x00",
                          content_type="application/vnd.kubernetes.protobuf")
    assert code == 415 and "only for create" in body["message"]


def test_paging_and_selectors(api: Api) -> None:
    for i in range(5):
        api.call("POST", "/api/v1/namespaces/default/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"page-{i}", "labels": {"p": "y"}}})
    code, first = api.call("GET", "/api/v1/namespaces/default/configmaps?labelSelector=p%3Dy&limit=2")
    assert code == 200 and [c["metadata"]["name"] for c in first["items"]] == ["page-0", "page-1"]
    assert first["metadata"]["remainingItemCount"] == 3
    token = first["metadata"]["continue"]
    code, rest = api.call("GET", f"/api/v1/namespaces/default/configmaps?labelSelector=p%3Dy&continue={token}")
    assert [c["metadata"]["name"] for c in rest["items"]] == ["page-2", "page-3", "page-4"]
    code, body = api.call("GET", "/api/v1/pods?fieldSelector=spec.image%3Dx")
    assert code == 400 and body["message"] == "field label not supported: spec.image"
    code, table = api.call("GET", "/api/v1/nodes", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert table["kind"] == "Table" and [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name", "Status", "Roles", "Age", "Version"]


def test_watch_list_sends_initial_events_then_bookmark(api: Api) -> None:
    async def go() -> list[dict[str, Any]]:
        resp = await api.client.get("/api/v1/namespaces/kube-system/pods?watch=true&sendInitialEvents=true"
                                    "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
                                    headers=HEADERS)
        return [json.loads(line) for line in (await resp.text()).splitlines()]

    events = api.loop.run_until_complete(go())
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "BOOKMARK" and set(kinds[:-1]) == {"ADDED"} and len(kinds) > 10
    assert events[-1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_expired_watch_gets_410_in_the_stream(api: Api) -> None:
    async def go() -> list[dict[str, Any]]:
        resp = await api.client.get("/api/v1/pods?watch=true&resourceVersion=1&timeoutSeconds=1", headers=HEADERS)
        return [json.loads(line) for line in (await resp.text()).splitlines()]

    api.cluster.store.history.clear()
    api.cluster.store.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bump"}})
    events = api.loop.run_until_complete(go())
    assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410


def test_discovery(api: Api) -> None:
    code, agg = api.call("GET", "/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"})
    assert code == 200 and agg["kind"] == "APIGroupDiscoveryList"
    apps = next(i for i in agg["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["categories"] == ["all"]
    code, core = api.call("GET", "/api/v1")
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods["shortNames"] == ["po"] and "watch" in pods["verbs"]
    assert any(r["name"] == "pods/log" for r in core["resources"])
    code, body = api.call("GET", "/apis/nope.example.com/v1")
    assert code == 404 and body["kind"] == "Status"


SEGMENT = st.one_of(st.sampled_from(["api", "apis", "v1", "apps", "namespaces", "default", "pods", "deployments",
                                     "web", "status", "scale", "log", "proxy", "services", "nodes", "watch",
                                     "eviction", "kube-system", "exec", "%", "..", "", "x:y", "batch"]),
                    st.text(alphabet="abc-./:%?=&", max_size=8))
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
                       lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                       max_leaves=12)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
       segments=st.lists(SEGMENT, max_size=7),
       query=st.sampled_from(["", "?labelSelector=a%20in%20(b", "?fieldSelector=metadata.name!!x", "?limit=x",
                              "?continue=%%%", "?watch=true&timeoutSeconds=0", "?resourceVersion=abc&watch=1",
                              "?tailLines=x&previous=true", "?gracePeriodSeconds=x", "?dryRun=All"]),
       body=st.one_of(JSONISH, st.binary(max_size=40)),
       content_type=st.sampled_from(["application/json", "application/merge-patch+json",
                                     "application/strategic-merge-patch+json", "application/json-patch+json",
                                     "application/apply-patch+yaml", "text/plain",
                                     "application/vnd.kubernetes.protobuf"]))
def test_fuzz_always_a_status_never_a_500(api: Api, method: str, segments: list[str], query: str, body: Any,
                                          content_type: str) -> None:
    path = "/" + "/".join(quote(s, safe=":") for s in segments if s) + query
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    code, answer = api.call(method, path, raw=raw, content_type=content_type)
    assert code != 500, (path, answer)
    if code >= 400:
        assert isinstance(answer, dict) and answer.get("kind") == "Status" and answer.get("code") == code, answer
