"""Controllers beyond the core trainer faults: DaemonSets, Jobs, Recreate, deadlines, scheduling rules."""

from __future__ import annotations

from helpers import container_state, deployment, events, messages, pod, row, service

from chaoskit.sim import Cluster
from chaoskit.sim.objects import get_path


def test_daemonset_runs_one_pod_per_eligible_node(cluster: Cluster) -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}},
                   "template": {"metadata": {"labels": {"app": "agent"}},
                                "spec": {"containers": [{"name": "agent", "image": "busybox:1.36",
                                                         "command": ["sleep", "infinity"]}]}}}}
    cluster.apply(ds)
    cluster.advance(10)
    placed = sorted(p["spec"]["nodeName"] for p in cluster.pods(app="agent"))
    assert placed == ["chaoskit-worker", "chaoskit-worker2"]  # the control plane is tainted
    status = cluster.store.get("DaemonSet", "default", "agent")["status"]
    assert (status["desiredNumberScheduled"], status["numberReady"]) == (2, 2)
    cluster.add_node("chaoskit-worker3")
    cluster.advance(10)
    assert len(cluster.pods(app="agent")) == 3
    # kube-proxy tolerates everything and so runs on the control plane too.
    assert len([p for p in cluster.pods("kube-system") if p["metadata"]["name"].startswith("kube-proxy")]) == 4


def test_job_completes(cluster: Cluster) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "default"},
           "spec": {"completions": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "echo working; sleep 5"]}]}}}}
    cluster.apply(job)
    cluster.advance(30)
    done = cluster.store.get("Job", "default", "once")
    assert done["status"]["succeeded"] == 2
    assert [c["type"] for c in done["status"]["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    pods = cluster.pods("default")
    assert {row(cluster, p)["STATUS"] for p in pods} == {"Completed"}
    assert all(p["metadata"]["labels"]["job-name"] == "once" for p in pods)
    assert "Job completed" in messages(cluster, done, "Completed")


def test_job_backoff_limit_exceeded(cluster: Cluster) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "flaky", "namespace": "default"},
           "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"]}]}}}}
    cluster.apply(job)
    cluster.advance(200)
    failed = cluster.store.get("Job", "default", "flaky")
    cond = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert (cond["reason"], cond["message"]) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert failed["status"]["failed"] == 3
    assert {row(cluster, p)["STATUS"] for p in cluster.pods("default")} == {"Error"}


def test_job_active_deadline(cluster: Cluster) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "slow", "namespace": "default"},
           "spec": {"activeDeadlineSeconds": 20, "template": {"spec": {"restartPolicy": "OnFailure", "containers": [
               {"name": "work", "image": "busybox:1.36", "command": ["sleep", "600"]}]}}}}
    cluster.apply(job)
    cluster.advance(25)
    cond = next(c for c in cluster.store.get("Job", "default", "slow")["status"]["conditions"] if c["type"] == "Failed")
    assert cond["reason"] == "DeadlineExceeded"


def test_one_shot_program_under_restart_always_crashloops_as_completed(cluster: Cluster) -> None:
    cluster.apply(deployment("batch", 1, image="busybox:1.36", command=["sh", "-c", "echo done"]))
    (p,) = cluster.pods(app="batch")
    assert cluster.run_until(lambda: row(cluster, p)["STATUS"] == "Completed", 20, step=0.25)
    assert cluster.run_until(lambda: row(cluster, p)["STATUS"] == "CrashLoopBackOff", 30)
    last = container_state(cluster, p)["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("Completed", 0)
    logs = cluster.kubelet.logs("default", p["metadata"]["name"], "batch")
    assert [line for _, line in logs or []] == ["done"]


def test_unknown_command_exits_127_with_shell_message(cluster: Cluster) -> None:
    cluster.apply(pod("oops", image="busybox:1.36", command=["sh", "-c", "echo start; frobnicate --now"]))
    cluster.advance(3)
    p = cluster.store.get("Pod", "default", "oops")
    assert container_state(cluster, p)["lastState"].get("terminated", container_state(cluster, p)["state"].get(
        "terminated", {}))["exitCode"] == 127
    lines = [line for _, line in (cluster.kubelet.logs("default", "oops", "main") or [])]
    prev = [line for _, line in (cluster.kubelet.logs("default", "oops", "main", previous=True) or [])]
    assert "sh: frobnicate: not found" in lines + prev


def test_missing_executable_is_a_start_error(cluster: Cluster) -> None:
    cluster.apply(pod("nobash", image="busybox:1.36", command=["/bin/bash", "-c", "true"]))
    cluster.advance(3)
    p = cluster.store.get("Pod", "default", "nobash")
    state = container_state(cluster, p)
    term = state["state"].get("terminated") or state["lastState"]["terminated"]
    assert term["reason"] == "StartError" and term["exitCode"] == 128
    assert 'exec: "/bin/bash": executable file not found in $PATH' in term["message"]


def test_restart_policies(cluster: Cluster) -> None:
    for policy in ("Never", "OnFailure"):
        p = pod(f"p-{policy.lower()}", image="busybox:1.36", command=["sh", "-c", "exit 1"])
        p["spec"]["restartPolicy"] = policy
        cluster.apply(p)
    cluster.advance(30)
    never = cluster.store.get("Pod", "default", "p-never")
    assert never["status"]["phase"] == "Failed" and row(cluster, never)["STATUS"] == "Error"
    onfail = cluster.store.get("Pod", "default", "p-onfailure")
    assert onfail["status"]["phase"] == "Running" and container_state(cluster, onfail)["restartCount"] >= 2


def test_recreate_strategy_stops_old_pods_first(cluster: Cluster) -> None:
    dep = deployment("web", 2)
    dep["spec"]["strategy"] = {"type": "Recreate"}
    cluster.apply(dep)
    cluster.advance(10)
    cluster.store.mutate("Deployment", "default", "web",
                         lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    seen_mixed = False
    for _ in range(40):
        cluster.advance(0.5)
        images = {p["spec"]["containers"][0]["image"] for p in cluster.pods(app="web")}
        seen_mixed |= len(images) > 1
    assert not seen_mixed
    assert {p["spec"]["containers"][0]["image"] for p in cluster.pods(app="web")} == {"nginx:1.28"}


def test_progress_deadline_exceeded_for_a_rollout_that_never_becomes_ready(cluster: Cluster) -> None:
    dep = deployment("web", 2)
    dep["spec"]["progressDeadlineSeconds"] = 60
    cluster.apply(dep)
    cluster.advance(10)
    cluster.store.mutate("Deployment", "default", "web",
                         lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:9.99"))
    cluster.advance(75)
    d = cluster.store.get("Deployment", "default", "web")
    cond = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    new_rs = max(cluster.store.list("ReplicaSet", "default"),
                 key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert cond["message"] == f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.'
    assert d["status"]["availableReplicas"] == 2 and d["status"]["updatedReplicas"] == 1


def test_paused_deployment_does_not_roll_out(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.advance(10)
    cluster.store.mutate("Deployment", "default", "web", lambda d: d["spec"].update(paused=True))
    cluster.store.mutate("Deployment", "default", "web",
                         lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    cluster.advance(10)
    assert len(cluster.store.list("ReplicaSet", "default")) == 1
    cond = next(c for c in cluster.store.get("Deployment", "default", "web")["status"]["conditions"]
                if c["type"] == "Progressing")
    assert (cond["status"], cond["reason"]) == ("Unknown", "DeploymentPaused")
    cluster.store.mutate("Deployment", "default", "web", lambda d: d["spec"].update(paused=False))
    cluster.advance(20)
    assert {p["spec"]["containers"][0]["image"] for p in cluster.pods(app="web")} == {"nginx:1.28"}


def test_revision_history_limit(cluster: Cluster) -> None:
    dep = deployment("web", 1)
    dep["spec"]["revisionHistoryLimit"] = 1
    cluster.apply(dep)
    for tag in ("1.25", "1.26", "1.28"):
        cluster.advance(10)
        cluster.store.mutate("Deployment", "default", "web",
                             lambda d, t=tag: d["spec"]["template"]["spec"]["containers"][0].update(image=f"nginx:{t}"))
    cluster.advance(15)
    revisions = sorted(int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                       for r in cluster.store.list("ReplicaSet", "default"))
    assert revisions == [3, 4]


def test_cordon_and_node_selector_messages(cluster: Cluster) -> None:
    for name in ("chaoskit-worker", "chaoskit-worker2"):
        cluster.store.mutate("Node", "", name, lambda n: n["spec"].update(unschedulable=True))
    cluster.apply(pod("a"))
    selective = pod("b")
    selective["spec"]["nodeSelector"] = {"disktype": "ssd"}
    cluster.apply(selective)
    cluster.advance(2)
    a = cluster.store.get("Pod", "default", "a")
    assert messages(cluster, a, "FailedScheduling")[0].startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) were unschedulable. ")
    b = cluster.store.get("Pod", "default", "b")
    assert messages(cluster, b, "FailedScheduling")[0].startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) were unschedulable. ")
    cluster.store.mutate("Node", "", "chaoskit-worker", lambda n: n["spec"].pop("unschedulable"))
    cluster.advance(3)
    assert messages(cluster, b, "FailedScheduling")[-1].startswith(
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated "
        "taint(s), 1 node(s) were unschedulable. ")
    assert events(cluster, b, "FailedScheduling")[0]["count"] == 1
    assert cluster.store.get("Pod", "default", "a")["spec"]["nodeName"] == "chaoskit-worker"


def test_toleration_lets_pod_onto_tainted_node(cluster: Cluster) -> None:
    for name in ("chaoskit-worker", "chaoskit-worker2"):
        cluster.store.mutate("Node", "", name, lambda n: n["spec"].setdefault("taints", []).append(
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}))
    tolerant = pod("t")
    tolerant["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                        "effect": "NoSchedule"}]
    cluster.apply(tolerant)
    cluster.advance(5)
    assert row(cluster, cluster.store.get("Pod", "default", "t"))["STATUS"] == "Running"


def test_no_execute_taint_evicts_untolerating_pods_at_once(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.advance(5)
    cluster.store.mutate("Node", "", "chaoskit-worker", lambda n: n["spec"].setdefault("taints", []).append(
        {"key": "maintenance", "effect": "NoExecute"}))
    cluster.advance(10)
    assert {p["spec"]["nodeName"] for p in cluster.pods(app="web")} == {"chaoskit-worker2"}


def test_init_containers_run_in_order(cluster: Cluster) -> None:
    p = pod("init", image="nginx:1.27")
    p["spec"]["initContainers"] = [{"name": "setup", "image": "busybox:1.36", "command": ["sleep", "5"]}]
    cluster.apply(p)
    cluster.advance(3)
    current = cluster.store.get("Pod", "default", "init")
    assert row(cluster, current)["STATUS"] == "Init:0/1"
    cluster.advance(8)
    assert row(cluster, cluster.store.get("Pod", "default", "init"))["STATUS"] == "Running"


def test_failing_init_container(cluster: Cluster) -> None:
    p = pod("init", image="nginx:1.27")
    p["spec"]["initContainers"] = [{"name": "setup", "image": "busybox:1.36", "command": ["sh", "-c", "exit 1"]}]
    cluster.apply(p)
    cluster.advance(3)
    assert row(cluster, cluster.store.get("Pod", "default", "init"))["STATUS"] in ("Init:Error",
                                                                                  "Init:CrashLoopBackOff")
    cluster.advance(15)
    assert row(cluster, cluster.store.get("Pod", "default", "init"))["STATUS"] == "Init:CrashLoopBackOff"


def test_startup_probe_gates_liveness(cluster: Cluster) -> None:
    script = "sleep 20; touch /tmp/started; sleep 3600"
    p = pod("slow", image="busybox:1.36", command=["sh", "-c", script],
            startupProbe={"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 5, "failureThreshold": 10},
            livenessProbe={"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 5, "failureThreshold": 1})
    cluster.apply(p)
    cluster.advance(60)
    slow = cluster.store.get("Pod", "default", "slow")
    assert container_state(cluster, slow)["restartCount"] == 0
    assert row(cluster, slow)["READY"] == "1/1"
    failed = messages(cluster, slow, "Unhealthy")
    assert failed == ["Startup probe failed: cat: can't open '/tmp/started': No such file or directory"]


def test_exec_liveness_probe_on_a_file_that_disappears(cluster: Cluster) -> None:
    script = "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"
    cluster.apply(pod("liveness-exec", image="busybox:1.36", command=["sh", "-c", script],
                      livenessProbe={"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5,
                                     "periodSeconds": 5}))
    cluster.advance(75)
    p = cluster.store.get("Pod", "default", "liveness-exec")
    assert container_state(cluster, p)["restartCount"] == 1
    assert "Container main failed liveness probe, will be restarted" in messages(cluster, p, "Killing")
    last = container_state(cluster, p)["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("Error", 137)  # sh ignores SIGTERM: killed after 30s


def test_podinfo_model_honours_flags(cluster: Cluster) -> None:
    cluster.apply(deployment("podinfo", 1, image="ghcr.io/stefanprodan/podinfo:6.7.1",
                             command=["./podinfo", "--port=9898", "--unready"],
                             readinessProbe={"httpGet": {"path": "/readyz", "port": 9898}, "periodSeconds": 5},
                             livenessProbe={"httpGet": {"path": "/healthz", "port": 9898}}))
    cluster.apply(service("podinfo", port=9898, target=9898))
    cluster.advance(30)
    (p,) = cluster.pods(app="podinfo")
    assert row(cluster, p)["READY"] == "0/1" and container_state(cluster, p)["restartCount"] == 0
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in messages(cluster, p, "Unhealthy")
    logs = [line for _, line in cluster.kubelet.logs("default", p["metadata"]["name"], "podinfo") or []]
    assert '"msg":"Starting podinfo"' in logs[0]
    proc = cluster.kubelet.process_of("default", p["metadata"]["name"])
    assert proc is not None and proc.http(9898, "GET", "/status/418").status == 418
    proc.http(9898, "GET", "/panic")
    cluster.advance(2)
    assert container_state(cluster, p)["lastState"]["terminated"]["exitCode"] == 255


def test_wrong_target_port_gives_endpoints_but_no_listener(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 1))
    cluster.apply(service("web", target=8080))
    cluster.advance(10)
    ep = cluster.store.get("Endpoints", "default", "web")
    assert ep["subsets"][0]["ports"][0]["port"] == 8080
    (p,) = cluster.pods(app="web")
    proc = cluster.kubelet.process_of("default", p["metadata"]["name"])
    assert proc is not None and proc.http(8080, "GET", "/") is None and proc.http(80, "GET", "/").status == 200


def test_named_target_port(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 1, ports=[{"name": "http", "containerPort": 80}]))
    cluster.apply(service("web", target="http"))
    cluster.advance(10)
    assert cluster.store.get("Endpoints", "default", "web")["subsets"][0]["ports"][0]["port"] == 80


def test_missing_configmap_volume_blocks_in_container_creating(cluster: Cluster) -> None:
    p = pod("vol")
    p["spec"]["volumes"] = [{"name": "conf", "configMap": {"name": "missing"}}]
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "conf", "mountPath": "/etc/conf"}]
    cluster.apply(p)
    cluster.advance(5)
    current = cluster.store.get("Pod", "default", "vol")
    assert row(cluster, current)["STATUS"] == "ContainerCreating"
    assert messages(cluster, current, "FailedMount") == [
        'MountVolume.SetUp failed for volume "conf" : configmap "missing" not found']


def test_events_expire_after_an_hour(cluster: Cluster) -> None:
    cluster.apply(pod("a"))
    cluster.advance(5)
    assert events(cluster, cluster.store.get("Pod", "default", "a"))
    cluster.advance(4000)
    assert not events(cluster, cluster.store.get("Pod", "default", "a"))
    assert get_path(cluster.store.get("Pod", "default", "a"), "status.phase") == "Running"


def test_cronjob_runs_on_the_simulator_clock(cluster: Cluster) -> None:
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": "default"},
          "spec": {"schedule": "*/2 * * * *", "successfulJobsHistoryLimit": 2, "jobTemplate": {"spec": {
              "template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                  {"name": "t", "image": "busybox:1.36", "command": ["sh", "-c", "echo tick"]}]}}}}}}
    cluster.apply(cj)
    cluster.advance(9 * 60)
    jobs = cluster.store.list("Job", "default")
    assert len(jobs) == 2  # four runs, the history limit keeps the last two
    assert all(j["metadata"]["name"].startswith("tick-") for j in jobs)
    current = cluster.store.get("CronJob", "default", "tick")
    assert current["status"]["lastScheduleTime"].endswith(":08:00Z")
    assert "lastSuccessfulTime" in current["status"]
    msgs = messages(cluster, current)
    assert sum(m.startswith("Created job tick-") for m in msgs) == 4
    assert any(m.startswith("Saw completed job: tick-") and m.endswith("condition: Complete") for m in msgs)
    assert any(m.startswith("Deleted job tick-") for m in msgs)


def test_cronjob_forbid_and_suspend(cluster: Cluster) -> None:
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "slow", "namespace": "default"},
          "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Forbid", "jobTemplate": {"spec": {
              "template": {"spec": {"restartPolicy": "Never", "containers": [
                  {"name": "t", "image": "busybox:1.36", "command": ["sleep", "150"]}]}}}}}}
    cluster.apply(cj)
    cluster.advance(150)
    assert len(cluster.store.list("Job", "default")) == 1
    assert "Not starting job because prior execution is running and concurrency policy is Forbid" in \
        messages(cluster, cluster.store.get("CronJob", "default", "slow"), "JobAlreadyActive")
    cluster.store.mutate("CronJob", "default", "slow", lambda c: c["spec"].update(suspend=True))
    count = len(cluster.store.list("Job", "default"))
    cluster.advance(300)
    assert len(cluster.store.list("Job", "default")) == count
    import pytest as _pytest

    from chaoskit.kube.status import Invalid

    bad = dict(cj, metadata={"name": "bad", "namespace": "default"})
    bad["spec"] = dict(cj["spec"], schedule="every tuesday")
    with _pytest.raises(Invalid, match="unparseable schedule"):
        cluster.store.create(bad)
