"""Evidence claims: the grammar parses what a trainee writes, and a claim is backed only by a read,
made before the diagnosis, that really showed the fact (object fields, printed columns, events, logs)."""

from __future__ import annotations

import json

import pytest

from chaoskit.errors import ConfigError
from chaoskit.grading.claims import backing, parse_claim
from chaoskit.kube.evidence import MAX_ITEMS, Seen, seen
from chaoskit.sim import Cluster
from chaoskit.sim.printing import table

POD = {
    "kind": "Pod", "apiVersion": "v1",
    "metadata": {"name": "checkout-7d9f4-x2kq9", "namespace": "shop", "labels": {"app.kubernetes.io/name": "checkout"},
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"containers": [{"name": "app", "image": "podinfo:6.5.0",
                             "resources": {"limits": {"memory": "32Mi"}}}]},
    "status": {"phase": "Running", "containerStatuses": [{
        "name": "app", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]},
}
EVENTS = {"kind": "EventList", "apiVersion": "v1", "items": [{
    "kind": "Event", "metadata": {"name": "checkout.1", "namespace": "shop"}, "reason": "BackOff", "type": "Warning",
    "message": "Back-off restarting failed container app in pod checkout-7d9f4-x2kq9_shop(uid)",
    "involvedObject": {"kind": "Pod", "name": "checkout-7d9f4-x2kq9", "namespace": "shop"}}]}
JSON = "application/json"


def _read(sim: float, resource: str, body: object, name: str = "", sub: str = "",
          content_type: str = JSON) -> Seen:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    found = seen(sim, resource, sub, name, "shop", content_type, raw)
    assert found is not None
    return found


def test_the_grammar() -> None:
    field = parse_claim("po/checkout-7d9f4-x2kq9 {.status.containerStatuses[0].lastState.terminated.reason}=OOMKilled")
    assert (field.kind, field.resource, field.name, field.key, field.value) == (
        "field", "pod", "checkout-7d9f4-x2kq9", "status.containerStatuses[0].lastState.terminated.reason", "OOMKilled")
    column = parse_claim("pod/checkout STATUS=CrashLoopBackOff")
    assert (column.kind, column.key, column.value) == ("column", "STATUS", "CrashLoopBackOff")
    event = parse_claim('event pod/checkout BackOff "restarting failed container"')
    assert (event.kind, event.key, event.words) == ("event", "BackOff", "restarting failed container")
    log = parse_claim('log deploy/checkout "out of memory"')
    assert (log.kind, log.resource, log.words) == ("log", "deployment", "out of memory")
    assert parse_claim("svc/web spec.selector").value is None
    for bad in ("", "OOMKilled", "pod/x", "event pod/x", 'log pod/x', "pod/x STATUS", 'pod/x "unclosed',
                "thing/x a=b", "pod/x a=b c=d"):
        with pytest.raises(ConfigError):
            parse_claim(bad)


def test_a_claim_is_backed_only_by_a_read_that_showed_it_before_the_diagnosis() -> None:
    reads = [_read(100.0, "pods", POD, name="checkout-7d9f4-x2kq9"), _read(130.0, "events", EVENTS),
             _read(140.0, "pods", b"starting\nfatal error: runtime: out of memory\n", name="checkout-7d9f4-x2kq9",
                   sub="log", content_type="text/plain")]
    oom = parse_claim("pod/checkout-7d9f4-x2kq9 status.containerStatuses[0].lastState.terminated.reason=OOMKilled")
    found = backing(oom, reads, before=120.0)
    assert found is not None and found.sim == 100.0
    assert backing(oom, reads, before=99.0) is None                       # looked only after diagnosing
    assert backing(parse_claim("pod/checkout status.containerStatuses[0].restartCount=4"), reads, 120.0) is not None
    assert backing(parse_claim("pod/checkout status.containerStatuses[0].restartCount=5"), reads, 999.0) is None
    assert backing(parse_claim("pod/checkout metadata.labels['app.kubernetes.io/name']=checkout"), reads, 999.0)
    assert backing(parse_claim("pod/checkout metadata.managedFields[0].manager=kubectl"), reads, 999.0) is None
    assert backing(parse_claim("pod/checkout status.containerStatuses"), reads, 999.0) is not None
    assert backing(parse_claim("pod/other status.phase=Running"), reads, 999.0) is None
    backoff = parse_claim('event pod/checkout-7d9f4-x2kq9 BackOff "Restarting FAILED container"')
    assert backing(backoff, reads, 129.0) is None and backing(backoff, reads, 130.0) is not None
    assert backing(parse_claim("event pod/checkout-7d9f4-x2kq9 Killing"), reads, 999.0) is None
    assert backing(parse_claim('log pod/checkout "Out Of Memory"'), reads, 150.0) is not None
    assert backing(parse_claim('log pod/checkout "segfault"'), reads, 150.0) is None


def test_printed_columns_back_column_claims_not_field_claims() -> None:
    cluster = Cluster()
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})
    cluster.advance(30)
    pods = cluster.store.list("Pod", "default")
    read = _read(10.0, "pods", table("Pod", pods, cluster.now))
    assert backing(parse_claim("pod/web STATUS=Running"), [read], 20.0) is not None
    assert backing(parse_claim("pod/web READY=1/1"), [read], 20.0) is not None
    assert backing(parse_claim("pod/web STATUS=Pending"), [read], 20.0) is None
    assert backing(parse_claim("pod/web status.phase=Running"), [read], 20.0) is None  # a table shows no fields
    events = table("Event", [{**EVENTS["items"][0], "count": 3, "lastTimestamp": "2026-11-22T09:00:00Z",
                              "source": {"component": "kubelet"}}], cluster.now)
    assert backing(parse_claim("event pod/checkout-7d9f4-x2kq9 BackOff"), [_read(5.0, "events", events)], 9.0)


def test_reads_are_bounded() -> None:
    many = {"kind": "PodList", "items": [{**POD, "metadata": {**POD["metadata"], "name": f"p{i}"}}
                                         for i in range(MAX_ITEMS + 50)]}
    read = _read(1.0, "pods", many)
    assert len(read.items) == MAX_ITEMS and read.truncated
    huge = {**POD, "data": {f"k{i}": "v" * 10_000 for i in range(2000)}}
    shown = _read(1.0, "configmaps", huge).items[0]
    assert len(shown.facts) <= 400 and max(len(v) for v in shown.facts.values()) <= 300
    assert Seen.from_dict(json.loads(read.to_json())) == read
    assert seen(1.0, "pods", "", "", "", JSON, b'{"kind":"Status","code":404}') is None
    assert seen(1.0, "", "", "", "", JSON, b"{}") is None
