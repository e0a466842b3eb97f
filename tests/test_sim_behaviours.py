"""The behaviours a trainee meets, checked with the exact strings real Kubernetes shows."""

from __future__ import annotations

from helpers import container_state, deployment, events, messages, pod, row, service

from chaoskit.sim import Cluster
from chaoskit.sim.objects import get_path

STRESS = {"image": "polinux/stress:1.0.4", "command": ["stress"],
          "args": ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]}


def test_oom_killed_then_crashloop_with_growing_backoff(cluster: Cluster) -> None:
    cluster.apply(deployment("api", 1, resources={"limits": {"memory": "100Mi"}}, **STRESS))
    (p,) = cluster.pods(app="api")
    assert cluster.run_until(lambda: row(cluster, p)["STATUS"] == "OOMKilled", 30)
    term = container_state(cluster, p)["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)

    messages_seen = []

    def backoff_message() -> str:
        return get_path(container_state(cluster, p), "state.waiting.message", "")

    for expected in ("back-off 10s", "back-off 20s", "back-off 40s"):
        assert cluster.run_until(lambda e=expected: backoff_message().startswith(e), 120, step=0.5)
        messages_seen.append(backoff_message())
    assert messages_seen[2] == (f"back-off 40s restarting failed container=api pod={p['metadata']['name']}_default"
                                f"({p['metadata']['uid']})")
    state = container_state(cluster, p)
    assert state["restartCount"] == 3
    assert state["lastState"]["terminated"]["reason"] == "OOMKilled"
    finished = state["lastState"]["terminated"]["finishedAt"]
    from chaoskit.kube.times import parse_iso

    cluster.advance(parse_iso(finished) + 20 - cluster.now)
    r = row(cluster, p)
    assert (r["READY"], r["STATUS"], r["RESTARTS"]) == ("0/1", "CrashLoopBackOff", "3 (20s ago)")
    backoffs = events(cluster, p, "BackOff")
    assert backoffs[0]["message"] == (f"Back-off restarting failed container api in pod {p['metadata']['name']}"
                                      f"_default({p['metadata']['uid']})")
    assert backoffs[0]["count"] == 3 and backoffs[0]["type"] == "Warning"


def test_bad_tag_err_image_pull_then_image_pull_backoff(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 1, image="nginx:1.27-doesnotexist"))
    (p,) = cluster.pods(app="web")
    assert cluster.run_until(lambda: row(cluster, p)["STATUS"] == "ErrImagePull", 10, step=0.2)
    ref = "docker.io/library/nginx:1.27-doesnotexist"
    error = (f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}": {ref}: not found')
    assert container_state(cluster, p)["state"]["waiting"] == {"reason": "ErrImagePull", "message": error}
    assert cluster.run_until(lambda: row(cluster, p)["STATUS"] == "ImagePullBackOff", 10, step=0.2)
    assert container_state(cluster, p)["state"]["waiting"]["message"] == (
        f'Back-off pulling image "nginx:1.27-doesnotexist": ErrImagePull: {error}')
    msgs = messages(cluster, p)
    assert 'Pulling image "nginx:1.27-doesnotexist"' in msgs
    assert f'Failed to pull image "nginx:1.27-doesnotexist": {error}' in msgs
    assert "Error: ErrImagePull" in msgs and "Error: ImagePullBackOff" in msgs
    assert 'Back-off pulling image "nginx:1.27-doesnotexist"' in msgs
    # The pull is retried with a doubling back-off: 10s, 20s, 40s...
    cluster.advance(80)
    pulling = events(cluster, p, "Pulling")[0]
    assert pulling["count"] == 4
    assert row(cluster, p)["READY"] == "0/1"
    assert get_path(cluster.store.get("Pod", "default", p["metadata"]["name"]), "status.phase") == "Pending"


def test_unknown_repository_and_invalid_reference(cluster: Cluster) -> None:
    cluster.apply(pod("typo", image="ngnix:1.27"))
    cluster.apply(pod("bad", image="Nginx:1.27"))
    cluster.advance(3)
    typo = cluster.store.get("Pod", "default", "typo")
    assert "pull access denied, repository does not exist or may require authorization" in \
        container_state(cluster, typo)["state"]["waiting"]["message"]
    bad = cluster.store.get("Pod", "default", "bad")
    waiting = container_state(cluster, bad)["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    assert row(cluster, bad)["STATUS"] == "InvalidImageName"
    assert "Error: InvalidImageName" in messages(cluster, bad)


def test_failing_liveness_probe_kills_and_restarts(cluster: Cluster) -> None:
    probe = {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 5, "failureThreshold": 3}
    cluster.apply(deployment("web", 1, livenessProbe=probe))
    (p,) = cluster.pods(app="web")
    assert cluster.run_until(lambda: container_state(cluster, p).get("restartCount") == 1, 60)
    unhealthy = events(cluster, p, "Unhealthy")[0]
    assert unhealthy["message"] == "Liveness probe failed: HTTP probe failed with statuscode: 404"
    assert unhealthy["count"] >= 3 and unhealthy["type"] == "Warning"
    assert unhealthy["involvedObject"]["fieldPath"] == "spec.containers{web}"
    assert "Container web failed liveness probe, will be restarted" in messages(cluster, p, "Killing")
    last = container_state(cluster, p)["lastState"]["terminated"]
    assert last["reason"] == "Completed" and last["exitCode"] == 0  # nginx exits cleanly on SIGTERM


def test_failing_readiness_probe_keeps_pod_out_of_endpoints(cluster: Cluster) -> None:
    probe = {"httpGet": {"path": "/ready", "port": 80}, "periodSeconds": 5}
    cluster.apply(deployment("web", 1, readinessProbe=probe))
    cluster.apply(service("web"))
    cluster.advance(30)
    (p,) = cluster.pods(app="web")
    r = row(cluster, p)
    assert (r["READY"], r["STATUS"], r["RESTARTS"]) == ("0/1", "Running", "0")
    ep = cluster.store.get("Endpoints", "default", "web")
    (subset,) = ep["subsets"]
    assert "addresses" not in subset
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == [p["metadata"]["name"]]
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in messages(cluster, p, "Unhealthy")
    current = cluster.store.get("Pod", "default", p["metadata"]["name"])
    ready = next(c for c in current["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False", "ContainersNotReady", "containers with unready status: [web]")


def test_tainted_workers_leave_pods_pending_with_exact_message(cluster: Cluster) -> None:
    for name in ("chaoskit-worker", "chaoskit-worker2"):
        cluster.store.mutate("Node", "", name, lambda n: n["spec"].setdefault("taints", []).append(
            {"key": "maintenance", "value": "true", "effect": "NoSchedule"}))
    cluster.apply(deployment("web", 2))
    cluster.advance(5)
    message = ("0/3 nodes are available: 3 node(s) had untolerated taint(s). no new claims to deallocate, "
               "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    for p in cluster.pods(app="web"):
        assert row(cluster, p)["STATUS"] == "Pending"
        failed = events(cluster, p, "FailedScheduling")
        assert [e["message"] for e in failed] == [message]
        assert failed[0]["source"] == {"component": "default-scheduler"}
        cond = cluster.store.get("Pod", "default", p["metadata"]["name"])["status"]["conditions"][0]
        assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
            "PodScheduled", "False", "Unschedulable", message)
    # Removing the taint from one worker lets the scheduler retry and place both pods.
    cluster.store.mutate("Node", "", "chaoskit-worker", lambda n: n["spec"].pop("taints"))
    cluster.advance(10)
    assert {row(cluster, p)["STATUS"] for p in cluster.pods(app="web")} == {"Running"}
    assert {p["spec"]["nodeName"] for p in cluster.pods(app="web")} == {"chaoskit-worker"}


def test_requests_larger_than_any_node(cluster: Cluster) -> None:
    cluster.apply(pod("huge", resources={"requests": {"memory": "64Gi"}}))
    cluster.advance(2)
    p = cluster.store.get("Pod", "default", "huge")
    assert messages(cluster, p, "FailedScheduling") == [
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient memory. no new claims to "
        "deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."]


def test_deleted_replicaset_pod_comes_back_but_bare_pod_does_not(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.apply(pod("bare"))
    cluster.advance(10)
    victim = cluster.pods(app="web")[0]["metadata"]["name"]
    cluster.store.delete("Pod", "default", victim)
    cluster.store.delete("Pod", "default", "bare")
    cluster.settle()
    names = {p["metadata"]["name"] for p in cluster.pods(app="web")}
    assert len(names) == 3 and victim in names  # the old one is Terminating while the new one starts
    assert row(cluster, cluster.store.get("Pod", "default", victim))["STATUS"] == "Terminating"
    cluster.advance(10)
    names = {p["metadata"]["name"] for p in cluster.pods(app="web")}
    assert len(names) == 2 and victim not in names
    assert all(row(cluster, p)["STATUS"] == "Running" for p in cluster.pods(app="web"))
    assert cluster.store.try_get("Pod", "default", "bare") is None
    rs = cluster.store.list("ReplicaSet", "default")[0]
    assert len(messages(cluster, rs, "SuccessfulCreate")) == 3


def test_service_whose_selector_matches_nothing_has_no_endpoints(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.apply(service("web", selector={"app": "wbe"}))
    cluster.advance(10)
    ep = cluster.store.get("Endpoints", "default", "web")
    assert "subsets" not in ep
    (es,) = [s for s in cluster.store.list("EndpointSlice", "default")
             if s["metadata"]["labels"]["kubernetes.io/service-name"] == "web"]
    assert es["endpoints"] is None
    # Fixing the selector fills both.
    cluster.store.mutate("Service", "default", "web", lambda s: s["spec"].update(selector={"app": "web"}))
    cluster.settle()
    ep = cluster.store.get("Endpoints", "default", "web")
    assert len(ep["subsets"][0]["addresses"]) == 2
    assert ep["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]


def test_missing_configmap_gives_create_container_config_error(cluster: Cluster) -> None:
    env = [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}}]
    cluster.apply(deployment("web", 1, env=env))
    cluster.advance(5)
    (p,) = cluster.pods(app="web")
    assert row(cluster, p)["STATUS"] == "CreateContainerConfigError"
    assert container_state(cluster, p)["state"]["waiting"] == {
        "reason": "CreateContainerConfigError", "message": 'configmap "app-config" not found'}
    assert 'Error: configmap "app-config" not found' in messages(cluster, p, "Failed")
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"},
                   "data": {"other": "x"}})
    cluster.advance(11)
    assert container_state(cluster, p)["state"]["waiting"]["message"] == \
        "couldn't find key mode in ConfigMap default/app-config"
    cluster.store.mutate("ConfigMap", "default", "app-config", lambda c: c["data"].update(mode="fast"))
    cluster.advance(11)
    assert row(cluster, p)["STATUS"] == "Running"


def test_rolling_update_respects_surge_and_unavailability_then_rolls_back(cluster: Cluster) -> None:
    dep = deployment("web", 4, readinessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 2})
    dep["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    cluster.apply(dep)
    cluster.advance(15)
    assert cluster.store.get("Deployment", "default", "web")["status"]["availableReplicas"] == 4
    cluster.store.mutate("Deployment", "default", "web",
                         lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    peak, low = 0, 99
    for _ in range(60):
        cluster.advance(0.5)
        live = [p for p in cluster.pods(app="web") if "deletionTimestamp" not in p["metadata"]]
        peak = max(peak, len(live))
        ready = sum(1 for p in live if row(cluster, p)["READY"] == "1/1")
        low = min(low, ready)
    assert peak == 5 and low >= 3
    dep = cluster.store.get("Deployment", "default", "web")
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert {p["spec"]["containers"][0]["image"] for p in cluster.pods(app="web")} == {"nginx:1.28"}
    progressing = next(c for c in dep["status"]["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "NewReplicaSetAvailable"
    scaling = messages(cluster, dep, "ScalingReplicaSet")
    assert any(m.startswith("Scaled up replica set web-") and m.endswith("from 0 to 1") for m in scaling)
    # Roll back: the template goes back to revision 1's, which reuses the old ReplicaSet as revision 3.
    sets = cluster.store.list("ReplicaSet", "default")
    old = next(rs for rs in sets if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1")
    template = {k: v for k, v in old["spec"]["template"].items()}
    template["metadata"] = {"labels": {"app": "web"}}
    cluster.store.mutate("Deployment", "default", "web", lambda d: d["spec"].update(template=template))
    cluster.advance(30)
    sets = cluster.store.list("ReplicaSet", "default")
    assert len(sets) == 2
    reused = cluster.store.get("ReplicaSet", "default", old["metadata"]["name"])
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert reused["status"]["readyReplicas"] == 4
    assert {p["spec"]["containers"][0]["image"] for p in cluster.pods(app="web")} == {"nginx:1.27"}


def test_node_not_ready_then_eviction_after_300s(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.advance(10)
    victims = [p for p in cluster.pods(app="web") if p["spec"]["nodeName"] == "chaoskit-worker"]
    assert victims
    cluster.stop_kubelet("chaoskit-worker")
    cluster.advance(60)
    node = cluster.store.get("Node", "", "chaoskit-worker")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert {(t["key"], t["effect"]) for t in node["spec"]["taints"]} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")}
    from chaoskit.sim.printing import node_status_text

    assert node_status_text(node) == "NotReady"
    assert all(row(cluster, v)["READY"] == "0/1" for v in victims)
    from chaoskit.kube.times import parse_iso

    added = parse_iso(next(t["timeAdded"] for t in node["spec"]["taints"] if t["effect"] == "NoExecute"))
    cluster.advance(added + 299 - cluster.now)  # default tolerationSeconds is 300: not yet
    assert all("deletionTimestamp" not in cluster.store.get("Pod", "default", v["metadata"]["name"])["metadata"]
               for v in victims)
    cluster.advance(2)
    for v in victims:
        current = cluster.store.get("Pod", "default", v["metadata"]["name"])
        assert row(cluster, current)["STATUS"] == "Terminating"  # the kubelet is gone: it stays Terminating
        assert messages(cluster, v, "TaintManagerEviction") == [
            f"Marking for deletion Pod default/{v['metadata']['name']}"]
    cluster.advance(10)
    running = [p for p in cluster.pods(app="web") if "deletionTimestamp" not in p["metadata"]]
    assert len(running) == 2 and all(p["spec"]["nodeName"] == "chaoskit-worker2" for p in running)
    # The kubelet comes back: the node turns Ready, the taints go, the evicted pods are cleaned up.
    cluster.start_kubelet("chaoskit-worker")
    cluster.advance(10)
    node = cluster.store.get("Node", "", "chaoskit-worker")
    assert node_status_text(node) == "Ready" and not node["spec"].get("taints")
    assert len(cluster.pods(app="web")) == 2
