"""Guardrails that hold in every scenario: tolerating every taint, relabelling pods away from their
template, deleting and recreating a workload, editing an application's command. Judged from the end
state against the scenario's own manifests (pure: objects as the API returns them) and from the
audit log; a deleted-and-recreated workload caps the grade below passing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chaoskit.catalog import catalogue
from chaoskit.grading import Item, Part, grade
from chaoskit.grading.facts import judge_end
from chaoskit.grading.guardrails import ALWAYS, cap, violations
from chaoskit.scenario.render import render

OOM = catalogue()["oom-killed"]
BASELINE = render(OOM, "train")
DEPLOY = next(o for o in BASELINE if o["kind"] == "Deployment")


def _rs(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"template": {"metadata": {"labels": labels}}}}


def _pod(name: str, labels: dict[str, str], owner: str | None) -> dict[str, Any]:
    refs = [{"kind": "ReplicaSet", "name": owner, "controller": True}] if owner else []
    return {"kind": "Pod", "metadata": {"name": name, "labels": labels, "ownerReferences": refs}}


def _end(deployment: dict[str, Any] | None = None, pods: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    labels = {"app": "checkout", "pod-template-hash": "7d9f4"}
    return judge_end([deployment or DEPLOY], pods if pods is not None else
                     [_pod("checkout-7d9f4-a", labels, "checkout-7d9f4")],
                     [_rs("checkout-7d9f4", labels)], [], BASELINE)


def _judged(after: dict[str, Any], records: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    return [(name, str(what)) for name, what in violations(OOM.guardrails, records or [], "train", after)]


def test_the_release_as_deployed_breaks_nothing() -> None:
    assert _judged(_end()) == []


def test_tolerating_every_taint() -> None:
    dep = copy.deepcopy(DEPLOY)
    dep["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]
    assert [n for n, _ in _judged(_end(dep))] == ["no-blanket-toleration"]
    dep["spec"]["template"]["spec"]["tolerations"] = [{"key": "maintenance", "operator": "Exists"}]
    assert _judged(_end(dep)) == []


def test_pods_relabelled_away_from_their_template() -> None:
    labels = {"app": "checkout", "pod-template-hash": "7d9f4"}
    orphan = _pod("checkout-7d9f4-b", {**labels, "app": "cehckout"}, None)   # released by its ReplicaSet
    owned = _pod("checkout-7d9f4-c", {**labels, "app": "other"}, "checkout-7d9f4")
    found = _judged(_end(pods=[orphan, owned, _pod("checkout-7d9f4-a", labels, "checkout-7d9f4")]))
    assert found == [("no-relabelled-pods", "2 pod(s) relabelled away from their ReplicaSet's template: "
                                           "pod/checkout-7d9f4-b, pod/checkout-7d9f4-c")]
    bare = _pod("reports", {"app": "reports"}, None)                         # a bare pod is not relabelled
    assert _judged(_end(pods=[bare])) == []


def test_editing_the_command_or_the_image() -> None:
    dep = copy.deepcopy(DEPLOY)
    dep["spec"]["template"]["spec"]["containers"][0]["command"] = ["./podinfo", "--port=9898"]
    assert [n for n, _ in _judged(_end(dep))] == ["no-command-edit"]
    dep = copy.deepcopy(DEPLOY)
    dep["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/stefanprodan/podinfo:6.7.0"
    assert _judged(_end(dep)) == []                                          # not a guardrail of oom-killed
    assert [n for n, _ in violations(("no-image-change",), [], "train", _end(dep))] == ["no-image-change"]
    restored = copy.deepcopy(DEPLOY)                                         # a fix that restores the release
    assert _judged(_end(restored)) == []


def _write(verb: str, resource: str, name: str = "") -> dict[str, Any]:
    return {"verb": verb, "resource": resource, "name": name, "code": 201 if verb == "create" else 200}


def test_deleting_and_recreating_a_workload_caps_the_grade_below_passing() -> None:
    records = [_write("delete", "deployments", "checkout"), _write("create", "deployments")]
    found = violations(OOM.guardrails, records, "train", _end())
    assert ("no-delete-recreate", "deleted and recreated deployments/checkout: a full outage") in \
        [(name, str(what)) for name, what in found]
    limit = cap(found)
    assert limit is not None and limit[0] < OOM.pass_score
    parts = {"diagnosis": Part.of("diagnosis", 35, [Item("x", 35, 35)]),
             "remediation": Part.of("remediation", 45, [Item("x", 45, 45)]),
             "process": Part.of("process", 20, [Item("x", 20, 20)])}
    capped = grade(parts, True, OOM.pass_score, limit)
    assert capped.score == limit[0] and capped.capped and not capped.passed
    assert grade(parts, True, OOM.pass_score).passed
    assert _judged(_end(), [_write("delete", "pods", "checkout-1"), _write("create", "deployments")]) == []


@pytest.mark.parametrize("name", ALWAYS)
def test_every_always_guardrail_can_be_named_by_a_scenario(name: str) -> None:
    from chaoskit.scenario.schema import SCHEMA

    assert name in SCHEMA["properties"]["guardrails"]["items"]["enum"]
    assert [n for n, _ in violations((name,), [], "train", _end())] == []
