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
