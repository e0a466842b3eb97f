"""Final grading of a session: gather the inputs (check windows, audit log, diagnosis, hints, the
objects' state at the end), score them with ``chaoskit.grading`` and write ``grade.json`` once."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaoskit.catalog import runbooks
from chaoskit.cluster import Kube, KubeError
from chaoskit.grading import (
    CheckOutcome,
    ProcessInputs,
    Submission,
    grade,
    normalise_weights,
    score_diagnosis,
    score_process,
    score_remediation,
)
from chaoskit.grading.activity import is_write, sim_time, trainee_records
from chaoskit.grading.guardrails import violations
from chaoskit.grading.process import first_matches
from chaoskit.kube.audit import read as read_audit
from chaoskit.scenario import Scenario
from chaoskit.scenario.causes import taxonomy
from chaoskit.session.home import read_json, write_json
from chaoskit.session.record import Record, scenario_of
from chaoskit.session.venue import reconnect


def check_outcomes(directory: Path, scenario: Scenario, speed: float, wait: bool) -> tuple[list[CheckOutcome],
                                                                                           float | None]:
    """Whether each check has held for its window, waiting (in simulator time) for a window that
    is running but not complete; and since when all checks have passed together."""
    for _ in range(2):
        state = read_json(directory / "checks.json", {"at": 0, "checks": {}})
        now, checks = float(state["at"]), state["checks"]
        remaining = [c["hold"] - (now - c["since"]) for c in checks.values() if c["since"] is not None]
        passing = bool(checks) and all(c["since"] is not None for c in checks.values())
        if not (wait and passing and max(remaining, default=0) > 0):
            break
        time.sleep(max(remaining) / speed + 0.5)
    outcomes = [CheckOutcome(name.split(":", 1)[1], c["since"] is not None and now - c["since"] >= c["hold"],
                             "held" if c["since"] is not None and now - c["since"] >= c["hold"]
                             else "passing, window not complete" if c["since"] is not None else "failing")
                for name, c in checks.items()]
    since = max((c["since"] for c in checks.values()), default=None) if passing else None
    return outcomes, since


def end_facts(kube: Kube | None, ns: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"deployment_replicas": {}, "control_plane_untainted": []}
    if kube is None:
        return facts
    try:
        for dep in kube.items("Deployment", ns):
            facts["deployment_replicas"][dep["metadata"]["name"]] = dep["spec"].get("replicas", 1)
        for node in kube.items("Node"):
            labels = node["metadata"].get("labels") or {}
            taints = node["spec"].get("taints") or []
            if "node-role.kubernetes.io/control-plane" in labels and not any(
                    t.get("key") == "node-role.kubernetes.io/control-plane" for t in taints):
                facts["control_plane_untainted"].append(node["metadata"]["name"])
    except KubeError:
        pass  # the cluster is gone (time-up after a crash): judge from the audit log alone
    return facts


def collateral(kube: Kube | None, ns: str, records: list[dict[str, Any]], target: str) -> list[str]:
    """Damage beyond the incident, judged from the trainee's own writes: objects they deleted that
    are still gone (deleting workloads is the guardrail's business), and Deployments other than the
    broken one that they changed and that are not available at the end."""
    gone: list[str] = []
    if kube is None:
        return gone
    touched = {str(r["name"]) for r in records if is_write(r) and r.get("resource") == "deployments"
               and r.get("verb") != "delete" and r.get("name") and r.get("name") != target}
    for name in sorted(touched):
        try:
            dep = kube.try_get("Deployment", ns, name)
        except KubeError:
            continue
        if dep is None:
            continue
        want = int(dep["spec"].get("replicas", 1))
        have = int((dep.get("status") or {}).get("availableReplicas") or 0)
        if have < want:
            gone.append(f"deployment/{name} was changed by you and has {have}/{want} available")
    for r in records:
        if is_write(r) and r.get("verb") == "delete" and r.get("resource") in ("services", "configmaps", "secrets"):
            kind = {"services": "Service", "configmaps": "ConfigMap", "secrets": "Secret"}[str(r["resource"])]
            try:
                if kube.try_get(kind, str(r.get("namespace") or ns), str(r["name"])) is None:
                    gone.append(f"deleted {r['resource']}/{r['name']} and it is still gone")
            except KubeError:
                continue
    return sorted(set(gone))


def finish(directory: Path, reason: str = "finished by the trainee", wait: bool = True) -> dict[str, Any]:
    done = read_json(directory / "grade.json")
    if done:
        return dict(done)
    rec = Record(directory)
    meta = rec.meta()
    scenario = scenario_of(meta)
    ns = meta["namespace"]
    kube = reconnect(directory, meta)
    outcomes, since = check_outcomes(directory, scenario, float(meta["speed"]), wait)
    audit = [dict(r) for r in trainee_records(read_audit(directory / "cluster" / "audit.log"))]
    injected = rec.events("injected")
    started = float(injected[0]["sim"]) if injected else float(meta.get("sim_start", 0))
    weights = normalise_weights(scenario.weights)
    book = runbooks(tuple(Path(p) for p in meta.get("scenario_dirs", ())))[scenario.runbook]
    diagnoses = rec.events("diagnosis")
    sub = None
    if diagnoses:
        d = diagnoses[-1]
        sub = Submission(tuple(d["causes"]), d["resource"], d.get("note", ""), float(d["sim"]) - started)
    fixed = bool(outcomes) and all(o.held for o in outcomes)
    inputs = ProcessInputs(audit, book.steps, datetime.fromtimestamp(started, UTC), ns, scenario.targets,
                           (since - started) if fixed and since is not None else None, len(rec.events("hint")))
    since_fault = [r for r in audit if _audit_sim(r) >= started]
    found = first_matches(since_fault, book.steps)
    looked = [_audit_sim(since_fault[i]) for i in found if i is not None]
    investigated = bool(diagnoses) and bool(looked) and min(looked) <= float(diagnoses[-1]["sim"])
    parts = {
        "diagnosis": score_diagnosis(sub, scenario.diagnosis, taxonomy(), weights["diagnosis"], investigated),
        "remediation": score_remediation(outcomes, violations(scenario.guardrails, audit, ns, end_facts(kube, ns)),
                                         collateral(kube, ns, audit, scenario.diagnosis.resource_name),
                                         weights["remediation"]),
        "process": score_process(inputs, weights["process"]),
    }
    result = grade(parts, fixed, scenario.pass_score).to_dict()
    result.update({
        "session": directory.name, "scenario": scenario.id, "reason": reason, "fixed": fixed,
        "steps": [{"title": s.title, "commands": list(s.commands), "taken": i is not None}
                  for s, i in zip(book.steps, found, strict=True)],
        "runbook": {"id": book.id, "title": book.title, "path": str(book.path)},
        "diagnosis_submitted": diagnoses[-1] if diagnoses else None,
        "timeline": timeline(rec, since_fault, found, started, since if fixed else None),
        "transcript": transcript(audit, started),
        "truth": {"causes": list(scenario.diagnosis.causes), "resource": scenario.diagnosis.resource,
                  "faults": [e["what"] for e in injected if not e.get("red_herring")],
                  "red_herrings": [e["what"] for e in injected if e.get("red_herring")],
                  "solution": list(scenario.solution.commands),
                  "alternatives": [list(a.commands) for a in scenario.alternatives]},
    })
    write_json(directory / "grade.json", result)
    rec.add("finished", score=result["score"], passed=result["passed"], reason=reason)
    (directory / "stop").touch()
    return result


def _offset(sim: float, started: float) -> float:
    return round(sim - started, 1)


def _audit_sim(record: dict[str, Any]) -> float:
    return sim_time(record).timestamp()


def timeline(rec: Record, audit: list[dict[str, Any]], found: list[int | None], started: float,
             recovered: float | None) -> list[dict[str, Any]]:
    marks = [{"at": _offset(e["sim"], started), "what": "fault injected", "detail": e["what"]}
             for e in rec.events("injected")]
    marks += [{"at": _offset(e["sim"], started), "what": "alert", "detail": f"{e['alert']} unavailable"}
              for e in rec.events("alert")]
    first = min((i for i in found if i is not None), default=None)
    if first is not None:
        marks.append({"at": _offset(_audit_sim(audit[first]), started), "what": "first relevant look",
                      "detail": audit[first].get("kubectlCommand", "")})
    marks += [{"at": _offset(e["sim"], started), "what": "diagnosis", "detail": ", ".join(e["causes"])}
              for e in rec.events("diagnosis")]
    writes = [r for r in audit if is_write(r) and _audit_sim(r) >= started]
    if writes:
        marks.append({"at": _offset(_audit_sim(writes[0]), started), "what": "fix",
                      "detail": f"{writes[0].get('kubectlCommand', '')} {writes[0]['resource']}/{writes[0]['name']}"})
    if recovered is not None:
        marks.append({"at": _offset(recovered, started), "what": "recovered", "detail": "all checks passing"})
    return sorted(marks, key=lambda m: m["at"])


def transcript(audit: list[dict[str, Any]], started: float) -> list[dict[str, Any]]:
    """One line per kubectl invocation (a Kubectl-Session), with the requests it made."""
    lines: list[dict[str, Any]] = []
    for r in audit:
        target = f"{r['verb']} {r['resource']}" + (f"/{r['name']}" if r.get("name") else "") \
            + (f"/{r['subresource']}" if r.get("subresource") else "")
        key = r.get("kubectlSession") or id(r)
        if lines and lines[-1]["key"] == key:
            lines[-1]["requests"].append(target)
            continue
        lines.append({"key": key, "at": _offset(_audit_sim(r), started),
                      "command": r.get("kubectlCommand") or r.get("userAgent", ""), "requests": [target]})
    return [{k: v for k, v in line.items() if k != "key"} for line in lines]
