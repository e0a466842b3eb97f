"""The kubelet's collaborators one at a time (back-off curve, restart policy, sandbox addresses,
the puller's queue, event field paths, the start flow's result), and a restored kubelet running
the same processes a fresh one would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import container, container_state, messages, pod, service

from chaoskit.sim import Cluster
from chaoskit.sim import snapshot as snap
from chaoskit.sim.kubelet import images
from chaoskit.sim.kubelet.pod_worker import PodWorker
from chaoskit.sim.kubelet.restarts import BACKOFF_RESET, backoff, stays_stopped
from chaoskit.sim.kubelet.runtime import ContainerRuntime, StartResult
from chaoskit.sim.kubelet.sandbox import Addresses
from chaoskit.sim.kubelet.status import go_duration, truncate_ms
from chaoskit.sim.objects import Obj, get_path


def worker_of(cluster: Cluster, p: Obj) -> PodWorker:
    current = cluster.store.get("Pod", p["metadata"]["namespace"], p["metadata"]["name"])
    return cluster.kubelet.agents[current["spec"]["nodeName"]]


def restored(cluster: Cluster) -> Cluster:
    """The cluster as the simulator brings it back from its snapshot file (through JSON)."""
    return snap.restore(json.loads(json.dumps(snap.state(cluster))))


def test_backoff_doubles_from_ten_seconds_to_five_minutes() -> None:
    assert [backoff(n) for n in range(1, 8)] == [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
    assert [go_duration(backoff(n)) for n in range(1, 7)] == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s"]
    assert backoff(5000) == 300.0  # days of CrashLoopBackOff: no OverflowError stops the engine
    assert BACKOFF_RESET == 600.0


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.0015, "1.5ms"), (0.835916667, "835.916667ms"), (1e-6, "1µs"), (59.999, "59.999s"), (60, "1m0s"),
    (3600, "1h0m0s"), (3661.25, "1h1m1.25s"), (-1.5, "-1.5s"),
])
def test_go_duration_prints_as_go_does(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
    assert go_duration(truncate_ms(1.835916667)) == "1.835s"


def test_crashloop_message_prints_minutes_as_kubelet_does(cluster: Cluster) -> None:
    cluster.apply(pod("crash", image="busybox:1.36", command=["sh", "-c", "exit 1"]))
    p = cluster.store.get("Pod", "default", "crash")

    def waiting() -> str:
        return str(get_path(container_state(cluster, p), "state.waiting.message", ""))

    assert cluster.run_until(lambda: waiting().startswith("back-off 1m20s restarting failed container=main "), 400)
    assert cluster.run_until(lambda: waiting().startswith("back-off 5m0s "), 900, step=5)


@pytest.mark.parametrize(("policy", "init", "code", "stopped"), [
    ("Always", False, 0, False), ("Always", False, 1, False),
    ("OnFailure", False, 0, True), ("OnFailure", False, 1, False),
    ("Never", False, 0, True), ("Never", False, 1, True),
    ("Always", True, 0, True), ("Always", True, 1, False), ("Never", True, 1, True),
])
def test_restart_policy_decides_which_terminated_containers_stay_stopped(
        policy: str, init: bool, code: int, stopped: bool) -> None:
    c = ContainerRuntime(spec={"name": "c"}, init=init, state="terminated", exit_code=code)
    assert stays_stopped({"spec": {"restartPolicy": policy}}, c) is stopped
    c.state = "running"
    assert stays_stopped({"spec": {"restartPolicy": policy}}, c) is False
    ephemeral = ContainerRuntime(spec={"name": "d"}, ephemeral=True, state="terminated", exit_code=1)
    assert stays_stopped({"spec": {"restartPolicy": policy}}, ephemeral) is True


def test_sandbox_addresses_wrap_around_the_node_range_and_host_network_takes_none() -> None:
    addresses = Addresses(3, "172.18.0.4")
    assert addresses.allocate(host_network=False) == "10.244.3.2"
    assert addresses.allocate(host_network=True) == "172.18.0.4"
    assert addresses.allocate(host_network=False) == "10.244.3.3"
    addresses.next_ip = 254
    assert [addresses.allocate(False) for _ in range(2)] == ["10.244.3.254", "10.244.3.2"]


def test_pulls_queue_on_a_node_and_a_queued_repull_costs_only_round_trips(cluster: Cluster) -> None:
    nodes = [n["metadata"]["name"] for n in cluster.store.list("Node")]
    for name in ("first", "second"):
        spec = pod(name, image="busybox:1.36", command=["sleep", "3600"])
        spec["spec"]["nodeName"] = nodes[-1]
        cluster.apply(spec)
    first, second = (cluster.store.get("Pod", "default", n) for n in ("first", "second"))
    assert cluster.run_until(lambda: len(messages(cluster, second, "Pulled")) == 1, 30, step=0.1)
    size = images.CATALOGUE["docker.io/library/busybox"].size
    latency, bandwidth = cluster.ctx.timings.pull_latency, cluster.ctx.timings.pull_bandwidth
    took = latency + size / bandwidth
    assert (latency, took) == (0.8, pytest.approx(0.835916667))
    # kubelet truncates both durations to the millisecond before printing them.
    assert messages(cluster, first, "Pulled") == [
        'Successfully pulled image "busybox:1.36" in 835ms (835ms including waiting). Image size: 2155000 bytes.']
    # The second pull waits for the first, then fetches no layers: the same image is already coming.
    assert messages(cluster, second, "Pulled") == [
        'Successfully pulled image "busybox:1.36" in 800ms (1.635s including waiting). Image size: 2155000 bytes.']
    worker = worker_of(cluster, first)
    assert "docker.io/library/busybox:1.36" in worker.images
    listed = get_path(cluster.store.get("Node", "", nodes[-1]), "status.images")
    assert listed == worker.puller.status_images()
    assert {"names": [images.image_id(images.parse("busybox:1.36")), "docker.io/library/busybox:1.36"],
            "sizeBytes": size} in listed


def test_events_name_the_container_group_in_their_field_path(cluster: Cluster) -> None:
    spec = pod("grouped", command=["nginx", "-g", "daemon off;"])
    spec["spec"]["initContainers"] = [container("setup", "busybox:1.36", command=["true"])]
    cluster.apply(spec)
    p = cluster.store.get("Pod", "default", "grouped")
    worker = worker_of(cluster, p)
    worker.node.event(p, "Normal", "Probe", "init", "setup", init=True)
    worker.node.event(p, "Normal", "Probe", "app", "main")
    worker.node.event(p, "Normal", "Probe", "pod")
    paths = {e["message"]: e["involvedObject"].get("fieldPath", "") for e in cluster.store.list("Event")
             if e["reason"] == "Probe"}
    assert paths == {"init": "spec.initContainers{setup}", "app": "spec.containers{main}", "pod": ""}


def test_start_flow_ends_with_a_result_that_says_whether_the_process_took_over(cluster: Cluster) -> None:
    cluster.apply(pod("waiting", image="nginx:no-such-tag"))
    p = cluster.store.get("Pod", "default", "waiting")
    cluster.advance(1)
    worker = worker_of(cluster, p)
    rt = worker.pods[("default", "waiting")]
    c = rt.containers["main"]
    results: list[StartResult] = []
    flow = worker.starter.flow(rt, c)
    try:
        while True:
            next(flow)
    except StopIteration as done:
        results.append(done.value)
    assert results == [StartResult.RETRY]
    assert c.reason == "ErrImagePull" and c.state == "waiting"
    cluster.store.delete("Pod", "default", "waiting", grace=0)
    gone = worker.starter.flow(rt, c)
    with pytest.raises(StopIteration) as ended:
        next(gone)
    assert ended.value.value is StartResult.GONE


def _debug(cluster: Cluster, name: str) -> None:
    current = json.loads(json.dumps(cluster.store.get("Pod", "default", name)))
    current["spec"]["ephemeralContainers"] = [
        {"name": "debugger", "image": "busybox:1.36", "command": ["sh"], "stdin": True, "tty": True}]
    cluster.store.update(current, subresource="ephemeralcontainers")


def test_a_restored_debug_shell_keeps_waiting_for_its_user(cluster: Cluster) -> None:
    cluster.apply(pod("target"))
    cluster.advance(10)
    _debug(cluster, "target")
    cluster.advance(10)
    p = cluster.store.get("Pod", "default", "target")
    assert "running" in get_path(p, "status.ephemeralContainerStatuses.0.state")
    again = restored(cluster)
    again.advance(30)
    status = get_path(again.store.get("Pod", "default", "target"), "status.ephemeralContainerStatuses.0")
    assert "running" in status["state"], status
    proc = again.kubelet.process_of("default", "target", "debugger")
    assert proc is not None and proc.interactive


def _process_env(cluster: Cluster, name: str) -> dict[str, str]:
    proc = cluster.kubelet.process_of("default", name, "main")
    assert proc is not None
    return proc.env


def test_a_restored_container_keeps_its_environment_and_sandbox_files(cluster: Cluster) -> None:
    cluster.apply(service("web"))
    linked = pod("linked", image="busybox:1.36", command=["sleep", "3600"])
    unlinked = pod("unlinked", image="busybox:1.36", command=["sleep", "3600"])
    unlinked["spec"]["enableServiceLinks"] = False
    cluster.apply(linked)
    cluster.apply(unlinked)
    cluster.advance(15)
    before = {name: _process_env(cluster, name) for name in ("linked", "unlinked")}
    assert "WEB_SERVICE_HOST" in before["linked"] and "WEB_SERVICE_HOST" not in before["unlinked"]
    again = restored(cluster)
    assert {name: _process_env(again, name) for name in ("linked", "unlinked")} == before
    proc = again.kubelet.process_of("default", "linked", "main")
    assert proc is not None
    code, out, _ = proc.exec(["cat", "/etc/resolv.conf", "/etc/hostname"])
    assert (code, out) == (0, "search default.svc.cluster.local svc.cluster.local cluster.local\n"
                              "nameserver 10.96.0.10\noptions ndots:5\nlinked\n")


def test_a_restored_crashloop_restarts_on_its_saved_deadline(cluster: Cluster) -> None:
    cluster.apply(pod("crash", image="busybox:1.36", command=["sh", "-c", "echo up; exit 1"]))
    p = cluster.store.get("Pod", "default", "crash")
    assert cluster.run_until(lambda: container_state(cluster, p).get("restartCount") == 2, 60, step=0.5)
    assert cluster.run_until(lambda: "waiting" in container_state(cluster, p).get("state", {}), 5, step=0.5)
    rt: Any = worker_of(cluster, p).pods[("default", "crash")]
    deadline = rt.containers["main"].restart_at
    assert deadline is not None and deadline > cluster.now
    again = restored(cluster)
    again.advance(deadline - again.now - 0.1)
    assert container_state(again, p)["restartCount"] == 2
    again.advance(0.2 + again.ctx.timings.container_start + 1)
    assert container_state(again, p)["restartCount"] == 3
    assert [line for _, line in again.kubelet.logs("default", "crash", "main") or []] == ["up"]
