"""The Job controller: run pods to ``completions``, retry failures up to ``backoffLimit``
with the pod-failure backoff, and enforce ``activeDeadlineSeconds``."""

from __future__ import annotations

from typing import Any

from chaoskit.kube.times import iso, parse_iso
from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.controllers.podutil import is_ready
from chaoskit.sim.controllers.replicaset import pod_from_template
from chaoskit.sim.objects import Obj, clone, controller_of, get_path

MAX_BACKOFF = 360.0


class JobController(Controller):
    name = "job-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Job" and etype != "DELETED":
            self.enqueue((obj["metadata"]["namespace"], obj["metadata"]["name"]))
        elif kind == "Pod":
            ref = controller_of(obj)
            if ref and ref["kind"] == "Job":
                self.enqueue((obj["metadata"]["namespace"], ref["name"]))

    def reconcile(self, key: Any) -> None:
        ns, name = key
        job = self.store.try_get("Job", ns, name)
        if job is None or "deletionTimestamp" in job["metadata"] or self._finished(job):
            return
        now = self.ctx.loop.now
        spec = job["spec"]
        uid = job["metadata"]["uid"]
        pods = [p for p in self.store.by_index("Pod", "owner", uid) if (controller_of(p) or {}).get("uid") == uid]
        succeeded = sum(1 for p in pods if get_path(p, "status.phase") == "Succeeded")
        failed_pods = [p for p in pods if get_path(p, "status.phase") == "Failed"]
        restarts = 0
        if get_path(spec, "template.spec.restartPolicy") == "OnFailure":
            restarts = sum(cs.get("restartCount", 0) for p in pods
                           for cs in get_path(p, "status.containerStatuses", []) or [])
        failed = len(failed_pods) + restarts
        active = [p for p in pods if get_path(p, "status.phase") not in ("Succeeded", "Failed")
                  and "deletionTimestamp" not in p["metadata"]]
        status = clone(job.get("status") or {})
        status.setdefault("startTime", iso(now))
        completions = spec.get("completions")
        failure: tuple[str, str] | None = None
        if failed > int(spec.get("backoffLimit", 6)):
            failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None and now >= parse_iso(status["startTime"]) + float(deadline):
            failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
        elif deadline is not None:
            self.enqueue_later(parse_iso(status["startTime"]) + float(deadline) - now, key)
        complete = completions is not None and succeeded >= int(completions)
        if failure is not None:
            for p in active:
                self.store.delete("Pod", ns, p["metadata"]["name"])
            active = []
            self._condition(status, "FailureTarget", failure)
            self._condition(status, "Failed", failure)
            self.event(job, "Warning", failure[0], failure[1])
        elif complete:
            self._condition(status, "SuccessCriteriaMet", ("CompletionsReached", "Reached expected number of "
                                                                                "succeeded pods"))
            self._condition(status, "Complete", ("CompletionsReached", "Reached expected number of succeeded pods"))
            status["completionTime"] = iso(now)
            self.event(job, "Normal", "Completed", "Job completed")
        elif not spec.get("suspend"):
            active = self._create_pods(job, active, succeeded, len(failed_pods), failed_pods)
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if is_ready(p))
        status["terminating"] = sum(1 for p in pods if "deletionTimestamp" in p["metadata"])
        status["uncountedTerminatedPods"] = {}
        for field, value in (("succeeded", succeeded), ("failed", failed)):
            if value:
                status[field] = value
        if not status["active"]:
            del status["active"]
        if job.get("status") != status:
            self.store.update_status({**job, "status": status})

    def _create_pods(self, job: Obj, active: list[Obj], succeeded: int, failures: int,
                     failed_pods: list[Obj]) -> list[Obj]:
        spec = job["spec"]
        parallelism = int(spec.get("parallelism", 1))
        remaining = int(spec["completions"]) - succeeded if spec.get("completions") is not None else parallelism
        want = min(parallelism, remaining) - len(active)
        if want <= 0:
            return active
        if failures:
            delay = min(MAX_BACKOFF, self.ctx.timings.job_backoff * 2 ** (failures - 1))
            last = max(parse_iso(get_path(p, "status.containerStatuses.0.state.terminated.finishedAt") or
                                 p["metadata"]["creationTimestamp"]) for p in failed_pods)
            if self.ctx.loop.now < last + delay:
                self.enqueue_later(last + delay - self.ctx.loop.now,
                                   (job["metadata"]["namespace"], job["metadata"]["name"]))
                return active
        for _ in range(want):
            active.append(self.create_pod(job, pod_from_template(job, spec["template"], f"{job['metadata']['name']}-")))
        return active

    def _condition(self, status: dict[str, Any], ctype: str, reason: tuple[str, str]) -> None:
        now = self.ctx.now_iso()
        status.setdefault("conditions", []).append({
            "type": ctype, "status": "True", "reason": reason[0], "message": reason[1],
            "lastProbeTime": now, "lastTransitionTime": now})

    @staticmethod
    def _finished(job: Obj) -> bool:
        return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
                   for c in get_path(job, "status.conditions", []) or [])
