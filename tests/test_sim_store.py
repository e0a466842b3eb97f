"""Object store semantics: versions, generations, conflicts, selectors, watches, deletion."""

from __future__ import annotations

import pytest
from helpers import deployment, pod

from chaoskit.kube.status import AlreadyExists, BadRequest, Conflict, Forbidden, Gone, Invalid, NotFound
from chaoskit.sim import Cluster
from chaoskit.sim.clock import Loop
from chaoskit.sim.ids import Ids
from chaoskit.sim.objects import clone
from chaoskit.sim.selectors import FieldSelector, from_label_selector, parse_fields, parse_labels
from chaoskit.sim.store import Store


@pytest.fixture
def store() -> Store:
    s = Store(Loop(), Ids(1))
    s.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return s


def cm(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": dict(data)}


def test_create_sets_server_fields_and_monotonic_versions(store: Store) -> None:
    a = store.create(cm("a", x="1"))
    b = store.create(cm("b"))
    assert a["metadata"]["uid"] != b["metadata"]["uid"]
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    assert a["metadata"]["creationTimestamp"].endswith("Z")
    with pytest.raises(AlreadyExists, match='configmaps "a" already exists'):
        store.create(cm("a"))
    with pytest.raises(NotFound, match='namespaces "nope" not found'):
        store.create({**cm("c"), "metadata": {"name": "c", "namespace": "nope"}})


def test_update_conflict_and_noop(store: Store) -> None:
    a = store.create(cm("a", x="1"))
    stale = clone(a)
    changed = clone(a)
    changed["data"]["x"] = "2"
    b = store.update(changed)
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    stale["data"]["x"] = "3"
    with pytest.raises(Conflict) as err:
        store.update(stale)
    assert err.value.status()["message"] == (
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes '
        "to the latest version and try again")
    same = store.update(clone(b))
    assert same["metadata"]["resourceVersion"] == b["metadata"]["resourceVersion"]


def test_generation_bumps_on_spec_change_only(cluster: Cluster) -> None:
    dep = cluster.apply(deployment("web", 1))
    assert dep["metadata"]["generation"] == 1
    cluster.store.mutate("Deployment", "default", "web", lambda d: d["metadata"].setdefault("labels", {}).update(a="b"))
    assert cluster.store.get("Deployment", "default", "web")["metadata"]["generation"] == 1
    cluster.store.mutate("Deployment", "default", "web", lambda d: d["spec"].update(replicas=2))
    cluster.settle()
    dep = cluster.store.get("Deployment", "default", "web")
    assert dep["metadata"]["generation"] == 2
    assert dep["status"]["observedGeneration"] == 2


def test_status_and_main_resource_are_separate(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 1))
    cluster.advance(5)
    dep = clone(cluster.store.get("Deployment", "default", "web"))
    dep["status"] = {"replicas": 99}
    dep["spec"]["replicas"] = 1
    kept = cluster.store.update(dep)
    assert kept["status"]["replicas"] == 1  # writes to the main resource ignore status


def test_label_selectors() -> None:
    labels = {"app": "web", "tier": "front", "env": "prod"}
    assert parse_labels("app=web,tier in (front,back)").matches(labels)
    assert parse_labels("app==web, env!=dev").matches(labels)
    assert not parse_labels("app notin (web)").matches(labels)
    assert parse_labels("!missing,tier").matches(labels)
    assert not parse_labels("missing").matches(labels)
    assert parse_labels("").matches(labels)
    with pytest.raises(BadRequest):
        parse_labels("app in web")
    assert from_label_selector({"matchLabels": {"app": "web"},
                                "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}
                               ).matches(labels)
    assert not from_label_selector(None).matches(labels)


def test_field_selectors(cluster: Cluster) -> None:
    cluster.apply(pod("a"))
    cluster.advance(5)
    allowed = frozenset({"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"})
    node = cluster.store.get("Pod", "default", "a")["spec"]["nodeName"]
    on_node = cluster.store.list("Pod", fields=parse_fields(f"spec.nodeName={node},status.phase!=Failed", allowed))
    assert "a" in [p["metadata"]["name"] for p in on_node]
    assert all(p["spec"]["nodeName"] == node for p in on_node)
    with pytest.raises(BadRequest, match=r"field label not supported: spec\.image"):
        parse_fields("spec.image=x", allowed)
    assert cluster.store.list("Pod", "default", fields=FieldSelector((("metadata.name", True, "zzz"),))) == []


def test_watch_replays_from_version_and_expires(store: Store) -> None:
    first = store.create(cm("a"))
    w = store.watch("ConfigMap", "default", since=int(first["metadata"]["resourceVersion"]))
    store.create(cm("b"))
    store.delete("ConfigMap", "default", "a")
    assert [(e.type, e.obj["metadata"]["name"]) for e in w.queue] == [("ADDED", "b"), ("DELETED", "a")]
    small = Store(Loop(), Ids(1))
    small.history = type(small.history)(maxlen=3)
    small.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    for i in range(10):
        small.create(cm(f"c{i}"))
    with pytest.raises(Gone, match="too old resource version"):
        small.watch("ConfigMap", since=2)


def test_graceful_pod_deletion(cluster: Cluster) -> None:
    cluster.apply(pod("a"))
    cluster.advance(5)
    terminating = cluster.store.delete("Pod", "default", "a")
    assert terminating["metadata"]["deletionGracePeriodSeconds"] == 30
    assert "deletionTimestamp" in terminating["metadata"]
    cluster.advance(2)  # nginx stops quickly, then the kubelet removes the pod
    assert cluster.store.try_get("Pod", "default", "a") is None


def test_busybox_ignoring_sigterm_takes_the_grace_period(cluster: Cluster) -> None:
    cluster.apply(pod("sleeper", image="busybox:1.36", command=["sleep", "3600"]))
    cluster.advance(5)
    cluster.store.delete("Pod", "default", "sleeper", grace=10)
    cluster.advance(9)
    assert cluster.store.try_get("Pod", "default", "sleeper") is not None
    cluster.advance(2)
    assert cluster.store.try_get("Pod", "default", "sleeper") is None


def test_unscheduled_pod_is_deleted_at_once(cluster: Cluster) -> None:
    cluster.apply(pod("huge", resources={"requests": {"cpu": "100"}}))
    cluster.store.delete("Pod", "default", "huge")
    assert cluster.store.try_get("Pod", "default", "huge") is None


def test_cascading_deletion(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.advance(5)
    cluster.store.delete("Deployment", "default", "web")
    cluster.advance(5)
    assert cluster.store.list("ReplicaSet", "default") == []
    assert cluster.pods(app="web") == []


def test_orphan_deletion_keeps_dependents(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 2))
    cluster.advance(5)
    cluster.store.delete("Deployment", "default", "web", propagation="Orphan")
    cluster.advance(5)
    assert cluster.store.try_get("Deployment", "default", "web") is None
    (rs,) = cluster.store.list("ReplicaSet", "default")
    assert "ownerReferences" not in rs["metadata"]
    assert len(cluster.pods(app="web")) == 2


def test_foreground_deletion_waits_for_dependents(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 1))
    cluster.advance(5)
    cluster.store.delete("Deployment", "default", "web", propagation="Foreground")
    cluster.settle()
    dep = cluster.store.get("Deployment", "default", "web")
    assert dep["metadata"]["finalizers"] == ["foregroundDeletion"]
    cluster.advance(10)
    assert cluster.store.try_get("Deployment", "default", "web") is None
    assert cluster.store.list("ReplicaSet", "default") == []


def test_namespace_deletion_cascades(cluster: Cluster) -> None:
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    assert cluster.store.get("ServiceAccount", "shop", "default")
    assert cluster.store.get("ConfigMap", "shop", "kube-root-ca.crt")
    cluster.apply(deployment("web", 2, ns="shop"))
    cluster.advance(5)
    cluster.store.delete("Namespace", "", "shop")
    cluster.settle()
    assert cluster.store.get("Namespace", "", "shop")["status"]["phase"] == "Terminating"
    with pytest.raises(Forbidden, match="because it is being terminated"):
        cluster.store.create(pod("late", ns="shop"))
    cluster.advance(10)
    assert cluster.store.try_get("Namespace", "", "shop") is None
    assert cluster.pods("shop") == []


def test_validation_messages(cluster: Cluster) -> None:
    bad = deployment("web", 1)
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(Invalid) as err:
        cluster.store.create(bad)
    assert err.value.status()["message"] == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`')
    assert err.value.status()["details"]["causes"][0]["field"] == "spec.template.metadata.labels"
    neg = deployment("web", -1)
    with pytest.raises(Invalid, match=r"spec\.replicas: Invalid value: -1: must be greater than or equal to 0"):
        cluster.store.create(neg)
    with pytest.raises(Invalid, match=r"spec.containers\[0\].image: Required value"):
        cluster.store.create(pod("noimage", image=""))
    both = pod("two", image="")
    both["metadata"]["name"] = "Two"
    with pytest.raises(Invalid) as err:
        cluster.store.create(both)
    assert err.value.status()["message"].startswith('Pod "Two" is invalid: [metadata.name: Invalid value: "Two": ')
    with pytest.raises(Invalid, match=r"must be less than or equal to memory limit of 1Gi"):
        cluster.store.create(pod("r", resources={"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}))


def test_immutable_fields(cluster: Cluster) -> None:
    cluster.apply(deployment("web", 1))
    with pytest.raises(Invalid, match=r"spec\.selector: Invalid value: .*: field is immutable"):
        cluster.store.mutate("Deployment", "default", "web",
                             lambda d: d["spec"]["selector"]["matchLabels"].update(tier="x"))
    cluster.apply(pod("p"))
    with pytest.raises(Invalid, match="pod updates may not change fields other than"):
        cluster.store.mutate("Pod", "default", "p", lambda p: p["spec"]["containers"][0].update(
            resources={"limits": {"cpu": "1"}}))
    cluster.store.mutate("Pod", "default", "p", lambda p: p["spec"]["containers"][0].update(image="nginx:1.28"))


def test_defaults(cluster: Cluster) -> None:
    dep = cluster.apply(deployment("web", 1))
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate",
                                       "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert dep["spec"]["revisionHistoryLimit"] == 10 and dep["spec"]["progressDeadlineSeconds"] == 600
    p = cluster.apply(pod("p", image="nginx", resources={"limits": {"memory": "128Mi", "cpu": "500m"}}))
    c = p["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "Always"
    assert c["resources"]["requests"] == {"memory": "128Mi", "cpu": "500m"}
    assert p["status"]["qosClass"] == "Guaranteed"
    tolerations = p["spec"]["tolerations"]
    assert {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 300} in tolerations
    assert p["spec"]["restartPolicy"] == "Always" and p["spec"]["serviceAccountName"] == "default"
    svc = cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                         "spec": {"selector": {"a": "b"}, "ports": [{"port": 80}]}})
    assert svc["spec"]["clusterIP"].startswith("10.96.") and svc["spec"]["ports"][0]["targetPort"] == 80
    p2 = cluster.apply(pod("p2", image="nginx:1.27"))
    assert p2["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert p2["status"]["qosClass"] == "BestEffort"


def test_same_seed_same_names() -> None:
    def names() -> list[str]:
        c = Cluster()
        c.apply(deployment("web", 3))
        c.advance(10)
        return sorted(p["metadata"]["name"] + p["status"]["podIP"] for p in c.pods(app="web"))

    assert names() == names()
