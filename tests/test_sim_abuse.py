"""What attackers did to the simulator, each as an explicit test: the engine outlives them,
requests are refused with the API server's own answers, and memory stays bounded."""

from __future__ import annotations

import logging
import resource
from typing import Any

import pytest

from chaoskit.kube.status import AlreadyExists
from chaoskit.sim import Cluster
from chaoskit.sim.cluster import ClusterConfig
from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.guard import MAX_DELAY, backoff
from chaoskit.sim.runner import Runner
from chaoskit.sim.topology import Topology


def deployment(name: str, replicas: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"k": "v"}}


# ---------------------------------------------------------------------------- the work queue's back-off


def test_backoff_is_client_go_item_exponential() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [0.005, 0.01, 0.02, 0.04]
    assert backoff(18) == 655.36 and backoff(19) == MAX_DELAY
    assert backoff(10_000) == MAX_DELAY


class Exploding(Controller):
    """A controller whose reconcile fails for one key, to watch the queue isolate it."""

    name = "exploding-controller"

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster.ctx)
        self.calls: list[tuple[float, Any]] = []

    def reconcile(self, key: Any) -> None:
        self.calls.append((self.ctx.loop.now, key))
        if key == "bad":
            raise RuntimeError("boom")


def test_a_failing_reconcile_is_logged_once_and_retried_with_backoff(cluster: Cluster,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    bad = Exploding(cluster)
    cluster.controllers.append(bad)
    start = cluster.now
    with caplog.at_level(logging.ERROR, logger="chaoskit.sim"):
        bad.enqueue("bad")
        bad.enqueue("good")
        cluster.settle()
        cluster.advance(0.2)
    times = [round(t - start, 3) for t, key in bad.calls if key == "bad"]
    # 5 ms, then 10, 20, 40, 80 ms later: the rate-limited queue's schedule.
    assert times[:6] == [0.0, 0.005, 0.015, 0.035, 0.075, 0.155]
    assert ("good" in [k for _, k in bad.calls])
    logged = [r for r in caplog.records if "exploding-controller" in r.getMessage()]
    assert len(logged) == 1 and "'bad'" in logged[0].getMessage() and "boom" in logged[0].getMessage()
    before = cluster.now
    cluster.advance(30)
    assert cluster.now == before + 30  # the clock never stopped


def test_a_key_that_recovers_is_forgotten(cluster: Cluster) -> None:
    flaky = Exploding(cluster)
    cluster.controllers.append(flaky)
    flaky.enqueue("bad")
    cluster.advance(0.02)
    assert flaky.limiter.retries("bad") >= 2
    flaky.reconcile = lambda key: None  # type: ignore[method-assign]
    cluster.advance(1)
    assert flaky.limiter.retries("bad") == 0


def test_a_failing_timer_callback_is_retried_and_the_clock_moves(cluster: Cluster) -> None:
    fired: list[float] = []

    def callback() -> None:
        fired.append(cluster.now)
        if len(fired) < 3:
            raise ValueError("not yet")

    start = cluster.now
    cluster.loop.call_later(1, callback)
    cluster.advance(2)
    assert [round(t - start, 3) for t in fired] == [1.0, 1.005, 1.015]
    assert cluster.now == start + 2


def test_a_failing_event_handler_does_not_fail_the_write(cluster: Cluster) -> None:
    def broken(*_: Any) -> None:
        raise KeyError("handler")

    cluster.scheduler.on_change = broken  # type: ignore[method-assign]
    created = cluster.apply(configmap("still-stored"))
    assert created["metadata"]["name"] == "still-stored"
    assert cluster.store.try_get("ConfigMap", "default", "still-stored") is not None


def test_controllers_that_never_settle_leave_work_queued_instead_of_raising(cluster: Cluster,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    class PingPong(Controller):
        name = "ping-pong"

        def reconcile(self, key: Any) -> None:
            self.enqueue(key + 1)

    monkeypatch.setattr("chaoskit.sim.cluster.SETTLE_LIMIT", 5_000)
    ping = PingPong(cluster.ctx)
    cluster.controllers.append(ping)
    ping.enqueue(0)
    cluster.settle()  # returns instead of raising "did not settle"
    assert ping.queue
    before = cluster.now
    cluster.controllers.remove(ping)
    cluster.advance(5)
    assert cluster.now == before + 5


def test_the_runner_survives_a_step_that_raises(cluster: Cluster) -> None:
    wall = [0.0]
    runner = Runner(cluster.loop, speed=1.0, wall=lambda: wall[0])

    def settle_raises() -> None:
        raise RuntimeError("engine step failed")

    real = cluster.loop.settle
    cluster.loop.settle = settle_raises
    start = cluster.now
    wall[0] = 3.0
    runner.tick()
    assert cluster.now == start + 3
    cluster.loop.settle = real
    wall[0] = 4.0
    runner.tick()
    assert cluster.now == start + 4


# ---------------------------------------------------------------------------- generated names


def test_generated_names_that_collide_are_tried_again(cluster: Cluster) -> None:
    # Force the first two suffixes to collide with existing pods.
    taken = ["aaaaa", "aaaaa", "bbbbb"]
    cluster.ids.suffix = lambda n=5: taken.pop(0) if taken else "zzzzz"  # type: ignore[method-assign]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "p-", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    first = cluster.store.create(pod)
    second = cluster.store.create(pod)
    assert (first["metadata"]["name"], second["metadata"]["name"]) == ("p-aaaaa", "p-bbbbb")


def test_eight_collisions_are_the_api_servers_generate_name_conflict(cluster: Cluster) -> None:
    cluster.ids.suffix = lambda n=5: "sssss"  # type: ignore[method-assign]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "p-", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    cluster.store.create(pod)
    with pytest.raises(AlreadyExists) as err:
        cluster.store.create(pod)
    status = err.value.status()
    assert status["code"] == 409 and status["reason"] == "AlreadyExists"
    assert status["message"] == ('pods "p-sssss" already exists, the server was not able to generate a unique '
                                 "name for the object")
    assert status["details"]["retryAfterSeconds"] == 1


def test_generated_base_names_are_cut_to_58_characters(cluster: Cluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x" * 70, "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    name = cluster.store.create(pod)["metadata"]["name"]
    assert len(name) == 63 and name.startswith("x" * 58)


# ---------------------------------------------------------------------------- 3000 then 20000 replicas


def test_scaling_to_20000_replicas_keeps_the_engine_alive() -> None:
    """The attack that froze the clock: 3000 replicas, then 20000, on a two-worker cluster.

    Pods stay Pending for lack of room (220 fit); the engine and later writes must not mind.
    """
    cluster = Cluster(ClusterConfig(topology=Topology(workers=2)))
    cluster.apply(deployment("big", 3000))
    cluster.advance(5)
    assert cluster.store.count("Pod") >= 3000
    cluster.store.mutate("Deployment", "default", "big", lambda d: d["spec"].__setitem__("replicas", 20000))
    cluster.settle()
    mine = cluster.pods(app="big")
    assert len(mine) == 20000
    assert len({p["metadata"]["name"] for p in mine}) == 20000
    before = cluster.now
    cluster.advance(10)
    assert cluster.now == before + 10
    created = cluster.apply(configmap("after-the-storm"))
    assert created["metadata"]["resourceVersion"]
    rs = cluster.store.list("ReplicaSet", "default")[0]
    assert rs["status"]["replicas"] == 20000
    running = [p for p in mine if p["spec"].get("nodeName")]
    assert 0 < len(running) <= 220
    # Memory stays in the hundreds of megabytes for 20000 pods and their events.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2_000_000  # KiB


# ---------------------------------------------------------------------------- requests, over raw HTTP

from simhttp import PlainServer  # noqa: E402

PODS = "/api/v1/namespaces/default/pods"
CMS = "/api/v1/namespaces/default/configmaps"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


@pytest.fixture(scope="module")
def server() -> Any:
    plain = PlainServer()
    try:
        yield plain
    finally:
        plain.stop()


def status_of(answer: Any) -> tuple[int, str, str]:
    body = answer.json()
    assert body["kind"] == "Status" and body["code"] == answer.status
    return answer.status, body.get("reason", ""), body["message"]


def pod_json(**meta: Any) -> str:
    import json

    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **meta},
                       "spec": {"containers": [{"name": "c", "image": "nginx"}]}})


def test_wrong_json_types_are_the_decoders_400(server: PlainServer) -> None:
    assert status_of(server.request("POST", PODS, pod_json(labels=[1]), "application/json")) == (
        400, "BadRequest", 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go '
                           "struct field ObjectMeta.metadata.labels of type map[string]string")
    body = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"x"}}'
    assert status_of(server.request("POST", PODS, body, "application/json"))[2].endswith(
        "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container")
    body = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1.5}}'
    assert status_of(server.request("POST", DEPLOYS, body, "application/json"))[2] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go '
        "struct field DeploymentSpec.spec.replicas of type int32")
    for data, expected in (('"x"', "json: cannot unmarshal string into Go struct field ConfigMap.data of type "
                                   "map[string]string"),
                           ('{"k":1}', "json: cannot unmarshal number into Go struct field ConfigMap.data of type "
                                       "string")):
        body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":' + data + "}"
        assert status_of(server.request("POST", CMS, body, "application/json")) == (
            400, "BadRequest", f'ConfigMap in version "v1" cannot be handled as a ConfigMap: {expected}')
    assert server.call(lambda: server.cluster.store.try_get("ConfigMap", "default", "c")) is None


def test_bad_quantities_are_the_decoders_400(server: PlainServer) -> None:
    for value, error in (("abc", "quantities must match the regular expression "
                                 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
                         ("192i", "unable to parse quantity's suffix")):
        body = ('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"},"spec":{"containers":[{"name":"c",'
                '"image":"nginx","resources":{"limits":{"memory":"' + value + '"}}}]}}')
        assert status_of(server.request("POST", PODS, body, "application/json")) == (
            400, "BadRequest", f'Pod in version "v1" cannot be handled as a Pod: {error}')


def test_an_unknown_content_type_is_415(server: PlainServer) -> None:
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"typed"},"data":{"k":"v"}}'
    assert status_of(server.request("POST", CMS, body, "text/plain")) == (
        415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types "
                                     "include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
    assert server.call(lambda: server.cluster.store.try_get("ConfigMap", "default", "typed")) is None


def test_deeply_nested_json_is_refused_with_gos_limit(server: PlainServer) -> None:
    code, reason, message = status_of(server.request("POST", CMS, "[" * 10_001 + "]" * 10_001, "application/json"))
    assert (code, reason) == (400, "BadRequest")
    assert message.startswith("the object provided is unrecognized (must be of type ConfigMap): couldn't get "
                              "version/kind; json parse error: exceeded max depth (5b5b5b")


def test_a_yaml_alias_bomb_is_refused_before_expansion(server: PlainServer) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 400
    code, reason, message = status_of(server.request("POST", CMS, bomb, "application/yaml"))
    assert (code, reason) == (400, "BadRequest")
    assert message.startswith("the object provided is unrecognized (must be of type ConfigMap): yaml: document "
                              "contains excessive aliasing (")
    assert server.request("GET", CMS).status == 200


def test_size_limits(server: PlainServer) -> None:
    import json

    def cm(name: str, size: int) -> str:
        return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                           "data": {"k": "x" * size}})

    assert status_of(server.request("POST", CMS, cm("body", 4 * 2**20), "application/json")) == (
        413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
    assert status_of(server.request("POST", CMS, cm("data", 2**20 + 1), "application/json")) == (
        422, "Invalid", 'ConfigMap "data" is invalid: []: Too long: may not be more than 1048576 bytes')
    env = [{"name": "E", "value": "x" * (2 * 2**20)}]
    deploy = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "huge"},
                         "spec": {"selector": {"matchLabels": {"a": "b"}},
                                  "template": {"metadata": {"labels": {"a": "b"}},
                                               "spec": {"containers": [{"name": "c", "image": "x", "env": env}]}}}})
    answer = server.request("POST", DEPLOYS, deploy, "application/json")
    assert (answer.status, answer.json()) == (500, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                    "status": "Failure", "code": 500,
                                                    "message": "etcdserver: request is too large"})
    for name in ("body", "data"):
        assert server.call(lambda n=name: server.cluster.store.try_get("ConfigMap", "default", n)) is None
    assert server.call(lambda: server.cluster.store.try_get("Deployment", "default", "huge")) is None


def test_slow_watchers_are_cut_and_memory_stays_bounded(server: PlainServer) -> None:
    import json
    import time

    big = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"},
                      "data": {"k": "x" * 200_000}})
    assert server.request("POST", CMS, big, "application/json").status == 201
    before = server.call(lambda: len(server.cluster.store.watchers()))
    sockets = []
    for _ in range(20):
        sock = server.socket()
        sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096)
        sock.sendall(f"GET {CMS}?watch=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     f"{__import__('simhttp').TOKEN}\r\n\r\n".encode())
        sockets.append(sock)
    try:
        deadline = time.monotonic() + 60
        while server.call(lambda: len(server.cluster.store.watchers())) < before + 20:
            assert time.monotonic() < deadline
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for i in range(140):
            patch = json.dumps({"data": {"k": str(i) + "x" * 200_000}})
            assert server.request("PATCH", CMS + "/watched", patch, "application/merge-patch+json").status == 200
            buffered = server.call(lambda: max((len(w.queue) for w in server.cluster.store.watchers()), default=0))
            assert buffered <= 100
        # Every watcher that never read is cut once 100 events wait for it.
        assert server.call(lambda: len(server.cluster.store.watchers())) == before
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        assert grown < 400_000  # KiB: not the gigabytes 20 unbounded queues of copies would take
    finally:
        for sock in sockets:
            sock.close()
    assert server.request("GET", CMS + "/watched").status == 200
    assert server.engine_alive


def _read_all(sock: Any) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_a_half_sent_request_head_is_cut_after_the_header_timeout() -> None:
    plain = PlainServer(header_timeout=0.5)
    try:
        sock = plain.socket()  # 30 s socket timeout: the server must close well before
        sock.sendall(b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthori")
        assert _read_all(sock) == b""  # closed by the server, nothing answered
        sock.close()
        assert plain.request("GET", "/api/v1/namespaces").status == 200
    finally:
        plain.stop()


def test_a_half_sent_body_is_answered_504_after_the_body_timeout() -> None:
    from simhttp import TOKEN

    plain = PlainServer(body_timeout=0.5)
    try:
        sock = plain.socket()
        sock.sendall(f"POST {CMS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\"".encode())
        import json

        answer = _read_all(sock).decode()
        sock.close()
        assert answer.startswith("HTTP/1.1 504 ")
        assert json.loads(answer.split("\r\n\r\n", 1)[1]) == {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Timeout",
            "message": "Timeout: request did not complete within requested timeout - context deadline exceeded",
            "details": {}, "code": 504}
        assert plain.request("GET", CMS).status == 200
    finally:
        plain.stop()


def test_aborted_connections_are_logged_once(server: PlainServer, caplog: pytest.LogCaptureFixture) -> None:
    import socket
    import struct

    from simhttp import TOKEN

    from chaoskit.sim.apiserver import server as server_module

    server_module.ABORTS.count = 0
    with caplog.at_level(logging.DEBUG):
        for _ in range(40):
            sock = server.socket()
            sock.sendall(f"POST {CMS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                         "Content-Length: 1000\r\n\r\n{".encode())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        # Wait until the server has seen every abort, then look at what was logged.
        import time

        deadline = time.monotonic() + 60
        while server_module.ABORTS.count < 40:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(noisy) == 1 and "closed its connection mid-request" in noisy[0].getMessage()
    assert server.request("GET", CMS).status == 200


def test_the_shipped_field_types_are_the_v1_37_definitions() -> None:
    """schema.json is what tools/gen_sim_schema.py makes from kubernetes-validate's v1.37 OpenAPI."""
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "gen_sim_schema.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_served_settle_past_its_budget_leaves_a_backlog_for_the_next_tick(cluster: Cluster) -> None:
    """Served simulators give each slice of engine work a wall-clock budget; the rest waits."""
    import time

    runner = Runner(cluster.loop, speed=1.0, wall=lambda: 0.0)
    cluster.store.create(deployment("later", 50))
    cluster.loop.deadline = time.perf_counter() - 1  # already spent: one round, then stop
    cluster.settle()
    cluster.loop.deadline = None
    assert cluster.loop.backlog and runner.wait_hint() == 0.0
    assert any(c.queue for c in cluster.controllers)  # work left for the next tick
    cluster.settle()
    assert not cluster.loop.backlog and not any(c.queue for c in cluster.controllers)
    assert len(cluster.pods(app="later")) == 50
