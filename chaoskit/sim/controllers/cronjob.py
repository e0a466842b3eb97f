"""The CronJob controller: Jobs created on the simulator clock, with the concurrency policy,
suspend and the history limits of pkg/controller/cronjob."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from chaoskit.kube.times import iso, parse_iso
from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.objects import Obj, clone, controller_of, get_path, owner_ref

SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _finished(job: Obj) -> str | None:
    for cond in get_path(job, "status.conditions", []) or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


class CronJobController(Controller):
    name = "cronjob-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "CronJob" and etype != "DELETED":
            self.enqueue((obj["metadata"]["namespace"], obj["metadata"]["name"]))
        elif kind == "Job":
            ref = controller_of(obj)
            if ref and ref["kind"] == "CronJob":
                self.enqueue((obj["metadata"]["namespace"], ref["name"]))

    def next_time(self, cj: Obj, after: float) -> float:
        tz: Any = UTC
        if get_path(cj, "spec.timeZone"):
            try:
                tz = ZoneInfo(cj["spec"]["timeZone"])
            except ZoneInfoNotFoundError:
                tz = UTC
        start = datetime.fromtimestamp(after, tz)
        return float(croniter(cj["spec"]["schedule"], start).get_next(float))

    def reconcile(self, key: Any) -> None:
        ns, name = key
        cj = self.store.try_get("CronJob", ns, name)
        if cj is None or "deletionTimestamp" in cj["metadata"]:
            return
        now = self.ctx.loop.now
        uid = cj["metadata"]["uid"]
        jobs = [j for j in self.store.by_index("Job", "owner", uid) if (controller_of(j) or {}).get("uid") == uid]
        status = clone(cj.get("status") or {})
        self._record_finished(cj, jobs, status)
        active = [j for j in jobs if _finished(j) is None and "deletionTimestamp" not in j["metadata"]]
        last = status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"]
        due = self.next_time(cj, parse_iso(last))
        if due <= now:
            # Missed runs collapse into the most recent one, as the real controller does.
            while (following := self.next_time(cj, due)) <= now:
                due = following
            if not get_path(cj, "spec.suspend"):
                active = self._run(cj, due, active, status)
            due = self.next_time(cj, due)
        status["active"] = [{"kind": "Job", "namespace": ns, "name": j["metadata"]["name"],
                             "uid": j["metadata"]["uid"], "apiVersion": "batch/v1",
                             "resourceVersion": j["metadata"]["resourceVersion"]} for j in active]
        if not status["active"]:
            del status["active"]
        self._cleanup(cj, jobs)
        if status != (cj.get("status") or {}):
            self.store.update_status({**cj, "status": status})
        self.enqueue_later(max(0.0, due - now), key)

    def _run(self, cj: Obj, due: float, active: list[Obj], status: dict[str, Any]) -> list[Obj]:
        policy = get_path(cj, "spec.concurrencyPolicy", "Allow")
        ns = cj["metadata"]["namespace"]
        status["lastScheduleTime"] = iso(due)
        if active and policy == "Forbid":
            self.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running "
                                                           "and concurrency policy is Forbid")
            return active
        if active and policy == "Replace":
            for job in active:
                self.store.delete("Job", ns, job["metadata"]["name"], propagation="Background")
                self.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")
            active = []
        template = clone(get_path(cj, "spec.jobTemplate") or {})
        md = template.get("metadata") or {}
        job = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": f"{cj['metadata']['name']}-{int(due // 60)}", "namespace": ns,
                            "labels": dict(md.get("labels") or {}),
                            "annotations": {**(md.get("annotations") or {}),
                                            SCHEDULED: datetime.fromtimestamp(due, UTC).strftime(
                                                "%Y-%m-%dT%H:%M:%SZ")},
                            "ownerReferences": [owner_ref(cj)]},
               "spec": template.get("spec") or {}}
        if self.store.try_get("Job", ns, job["metadata"]["name"]) is None:
            created = self.store.create(job)
            self.event(cj, "Normal", "SuccessfulCreate", f"Created job {created['metadata']['name']}")
            active.append(created)
        return active

    def _record_finished(self, cj: Obj, jobs: list[Obj], status: dict[str, Any]) -> None:
        previously = {a.get("uid") for a in status.get("active") or []}
        for job in jobs:
            outcome = _finished(job)
            if outcome and job["metadata"]["uid"] in previously:
                self.event(cj, "Normal", "SawCompletedJob",
                           f"Saw completed job: {job['metadata']['name']}, condition: {outcome}")
                if outcome == "Complete":
                    status["lastSuccessfulTime"] = get_path(job, "status.completionTime") or iso(self.ctx.loop.now)

    def _cleanup(self, cj: Obj, jobs: list[Obj]) -> None:
        for outcome, limit_field in (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")):
            done = sorted((j for j in jobs if _finished(j) == outcome and "deletionTimestamp" not in j["metadata"]),
                          key=lambda j: j["metadata"]["creationTimestamp"])
            limit = int(get_path(cj, f"spec.{limit_field}", 3 if outcome == "Complete" else 1))
            for job in done[:max(0, len(done) - limit)]:
                self.store.delete("Job", job["metadata"]["namespace"], job["metadata"]["name"],
                                  propagation="Background")
                self.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")
