"""Scoring edges of chaoskit.grading, on the shipped scenarios, runbooks and taxonomy with
synthetic audit records (the end-to-end session tests belong to the session layer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoskit.catalog import catalogue
from chaoskit.errors import ConfigError
from chaoskit.grading import (
    CheckOutcome,
    Item,
    Part,
    ProcessInputs,
    Submission,
    grade,
    normalise_weights,
    score_diagnosis,
    score_process,
    score_remediation,
)
from chaoskit.grading.activity import trainee_records
from chaoskit.grading.guardrails import GUARDRAILS, violations
from chaoskit.grading.process import order_ratio, timeliness
from chaoskit.grading.resources import canonical, same_resource
from chaoskit.runbook.model import load_runbooks
from chaoskit.scenario.causes import taxonomy

START = datetime(2026, 1, 1, tzinfo=UTC)
SCENARIOS = catalogue()
RUNBOOKS = load_runbooks()
CAUSES = taxonomy()
OOM = SCENARIOS["oom-killed"]
OOM_BOOK = RUNBOOKS[OOM.runbook]


def rec(verb: str, resource: str, at: float, *, sub: str = "", cmd: str = "kubectl get", ns: str = "train",
        name: str = "", user: str = "trainee", code: int = 200, uri: str = "") -> dict[str, object]:
    when = (START + timedelta(seconds=at)).isoformat().replace("+00:00", "Z")
    return {"simTime": when, "user": user, "verb": verb, "resource": resource, "subresource": sub,
            "kubectlCommand": cmd, "namespace": ns, "name": name, "code": code, "uri": uri}


GOOD_RECORDS = [rec("list", "pods", 30), rec("get", "pods", 40, cmd="kubectl describe", name="checkout-1"),
                rec("get", "pods", 50, sub="log", cmd="kubectl logs", name="checkout-1"),
                rec("get", "deployments", 60, cmd="kubectl rollout history", name="checkout"),
                rec("patch", "deployments", 90, cmd="kubectl set resources", name="checkout")]


def process(records: list[dict[str, object]], hints: int = 0, recovered: float | None = 200) -> Part:
    return score_process(ProcessInputs(records, OOM_BOOK.steps, START, "train", OOM.targets, recovered, hints), 20)


def test_right_cause_resource_and_note_earn_the_whole_part() -> None:
    sub = Submission(("memory-limit-too-low",), "deploy/checkout", "last state OOMKilled, exit code 137")
    part = score_diagnosis(sub, OOM.diagnosis, CAUSES, 35)
    assert part.score == pytest.approx(35)


def test_no_diagnosis_scores_zero_and_related_cause_half() -> None:
    assert score_diagnosis(None, OOM.diagnosis, CAUSES, 35).score == 0
    related = score_diagnosis(Submission(("crash-on-start",), "deploy/checkout"), OOM.diagnosis, CAUSES, 35)
    wrong = score_diagnosis(Submission(("image-not-found",), "deploy/checkout"), OOM.diagnosis, CAUSES, 35)
    assert related.items[0].points == pytest.approx(0.5 * 0.6 * 35)
    assert wrong.items[0].points == 0
    assert related.score > wrong.score


def test_stuffing_every_synonym_into_the_note_earns_nothing_beyond_the_cause() -> None:
    everything = ", ".join(s for c in CAUSES.values() for s in c.synonyms)
    stuffed = score_diagnosis(Submission(("memory-limit-too-low",), "deploy/checkout", everything),
                              OOM.diagnosis, CAUSES, 35)
    bare = score_diagnosis(Submission(("memory-limit-too-low",), "deploy/checkout"), OOM.diagnosis, CAUSES, 35)
    assert stuffed.score == bare.score
    assert stuffed.items[2].points == 0


def test_naming_every_cause_dilutes_the_cause_credit() -> None:
    shotgun = score_diagnosis(Submission(tuple(CAUSES), "deploy/checkout"), OOM.diagnosis, CAUSES, 35)
    assert shotgun.items[0].points < 0.1 * 0.6 * 35


def test_resource_aliases_and_pod_names() -> None:
    assert canonical("deploy/web") == canonical("deployments.apps/web") == ("deployment", "web")
    assert canonical("no/n1") == ("node", "n1") and canonical("svc/web") == ("service", "web")
    assert same_resource("pod/reports-28412-xk2p9", "pod/reports")
    assert not same_resource("svc/checkout", "deploy/checkout")
    with pytest.raises(ConfigError, match="KIND/NAME"):
        canonical("checkout")
    with pytest.raises(ConfigError, match="not known"):
        canonical("widget/x")


def test_good_process_and_time_targets() -> None:
    part = process(GOOD_RECORDS)
    assert part.score == pytest.approx(20)
    slow = process([rec("list", "pods", 3 * 180 + 1)], recovered=None)
    assert slow.items[1].points == 0 and slow.items[2].points == 0


def test_senseless_order_earns_partial_process_credit() -> None:
    backwards = [rec("get", "deployments", 30, cmd="kubectl rollout history", name="checkout"),
                 rec("get", "pods", 40, sub="log", cmd="kubectl logs"),
                 rec("get", "pods", 50, cmd="kubectl describe"), rec("list", "pods", 60)]
    good, bad = process(GOOD_RECORDS), process(backwards)
    assert bad.items[0].points == pytest.approx(0.5 * 20 * (0.5 + 0.5 / 4))
    assert bad.score < good.score


def test_order_ratio_is_longest_increasing_run() -> None:
    assert order_ratio([0, 1, 2]) == 1.0
    assert order_ratio([2, 1, 0]) == pytest.approx(1 / 3)
    assert order_ratio([None, None]) == 0.0
    assert timeliness(None, 60) == 0 and timeliness(60, 60) == 1 and timeliness(120, 60) == pytest.approx(0.5)


def test_each_hint_and_each_destructive_command_costs() -> None:
    scores = [process(GOOD_RECORDS, hints=n).score for n in range(4)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4
    force = rec("delete", "pods", 95, cmd="kubectl delete", name="checkout-1",
                uri="/api/v1/namespaces/train/pods/checkout-1?gracePeriodSeconds=0")
    forced = [*GOOD_RECORDS, force, rec("delete", "deployments", 96, cmd="kubectl delete", name="checkout")]
    part = process(forced)
    assert [i.label for i in part.items if i.points < 0] == ["destructive command"] * 2
    assert part.score == pytest.approx(10)


def test_empty_audit_log_and_system_records_count_for_nothing() -> None:
    assert process([], recovered=None).score == 0
    system = [dict(r, user="system:chaoskit") for r in GOOD_RECORDS]
    assert trainee_records(system) == []
    assert process(trainee_records(system + GOOD_RECORDS)).score == pytest.approx(20)


def test_guardrails_judge_writes_only() -> None:
    reads = [rec("get", "deployments", 1, ns="kube-system"), rec("list", "pods", 2, ns="other")]
    assert violations(OOM.guardrails, reads, "train", {}) == []
    writes = [rec("delete", "deployments", 1, name="checkout"), rec("patch", "configmaps", 2, ns="other", name="x"),
              rec("delete", "deployments", 3, name="ghost", code=404)]
    found = violations(OOM.guardrails, writes, "train", {"deployment_replicas": {"checkout": 0}})
    assert [g for g, _ in found] == ["no-delete-workload", "no-scale-to-zero", "no-other-namespaces"]


def test_remediation_costs_and_bounds() -> None:
    ok = [CheckOutcome("deployment-available", True), CheckOutcome("no-restarts", True)]
    assert score_remediation(ok, [], [], 45).score == 45
    half = score_remediation([ok[0], CheckOutcome("no-restarts", False)], [], [], 45)
    assert half.score == pytest.approx(22.5)
    many = score_remediation(ok, [("no-delete-workload", "x")] * 5, ["svc/other broken"], 45)
    assert many.score == 0


def test_unfixed_cluster_caps_at_fifty_and_fails() -> None:
    parts = {"diagnosis": Part("diagnosis", 35, 35, ()), "remediation": Part("remediation", 30, 45, ()),
             "process": Part("process", 20, 20, ())}
    g = grade(parts, fixed=False)
    assert g.score == 50 and g.capped and not g.passed
    assert grade(parts, fixed=True).score == 85 and grade(parts, fixed=True).passed
    assert not grade(parts, fixed=True, pass_score=90).passed
    assert g.to_dict()["parts"]["remediation"] == {"score": 30, "max": 45, "items": []}


def test_weights_scale_to_one_hundred_and_reject_nonsense() -> None:
    assert normalise_weights({"diagnosis": 1, "remediation": 1, "process": 2}) == {
        "diagnosis": 25, "remediation": 25, "process": 50}
    assert sum(normalise_weights(OOM.weights).values()) == pytest.approx(100)
    with pytest.raises(ConfigError, match="unknown"):
        normalise_weights({"style": 5})
    with pytest.raises(ConfigError, match="non-negative"):
        normalise_weights({"diagnosis": -1, "process": 2})


@settings(deadline=None, max_examples=200)
@given(st.lists(st.floats(-1000, 1000), max_size=8), st.floats(0, 100), st.booleans())
def test_parts_and_total_stay_in_bounds(points: list[float], maximum: float, fixed: bool) -> None:
    part = Part.of("process", maximum, [Item("x", p, 0) for p in points])
    assert 0 <= part.score <= maximum
    total = grade({"process": part, "diagnosis": Part.of("diagnosis", 100 - maximum, [])}, fixed)
    assert 0 <= total.score <= 100
    assert fixed or total.score <= 50


@pytest.mark.parametrize("sid", sorted(SCENARIOS))
def test_every_shipped_scenario_is_gradable(sid: str) -> None:
    """A scenario's guardrails, diagnosis resource and causes must all be known to the grader."""
    sc = SCENARIOS[sid]
    assert set(sc.guardrails) <= set(GUARDRAILS)
    canonical(sc.diagnosis.resource)
    weights = normalise_weights(sc.weights)
    sub = Submission(tuple(sc.diagnosis.causes), sc.diagnosis.resource, " ".join(sc.diagnosis.keywords))
    assert score_diagnosis(sub, sc.diagnosis, CAUSES, weights["diagnosis"]).score == pytest.approx(
        weights["diagnosis"])


def test_trainee_identity_matches_the_simulator() -> None:
    from chaoskit.grading.activity import TRAINEE_USER
    from chaoskit.kube.identity import SYSTEM, TRAINEE

    assert TRAINEE_USER == TRAINEE and SYSTEM != TRAINEE


def test_a_diagnosis_without_investigation_keeps_half() -> None:
    sub = Submission(("memory-limit-too-low",), "deploy/checkout", "OOMKilled")
    backed = score_diagnosis(sub, OOM.diagnosis, CAUSES, 35)
    guess = score_diagnosis(sub, OOM.diagnosis, CAUSES, 35, investigated=False)
    assert guess.score == pytest.approx(backed.score / 2)
    assert guess.items[-1].label == "not backed by investigation"


def test_looking_before_the_fault_is_not_investigating_it() -> None:
    early = [rec("list", "pods", -20), rec("get", "pods", -10, cmd="kubectl describe")]
    part = process(early, recovered=None)
    assert part.score == 0
    assert "never looked" in part.items[1].detail


def test_force_delete_seen_in_delete_options() -> None:
    forced = rec("delete", "pods", 95, cmd="kubectl delete", name="checkout-1")
    forced["gracePeriodSeconds"] = 0
    assert [i.label for i in process([*GOOD_RECORDS, forced]).items if i.points < 0] == ["destructive command"]
