"""The Deployment controller: rolling updates and Recreate over ReplicaSets, revisions for
``rollout undo``, and the Progressing/Available conditions that ``rollout status`` reads.

Follows pkg/controller/deployment (sync.go, rolling.go, recreate.go, progress.go).
"""

from __future__ import annotations

import json
import math
from typing import Any

from chaoskit.kube.times import parse_iso
from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.controllers.podutil import is_active
from chaoskit.sim.ids import fnv32a, safe_encode
from chaoskit.sim.objects import Obj, clone, controller_of, get_path, owner_ref

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"
_NOT_COPIED = {REVISION, REVISION_HISTORY, DESIRED, MAX_REPLICAS,
               "kubectl.kubernetes.io/last-applied-configuration"}


def template_hash(template: Any, collision_count: int = 0) -> str:
    """A stable pod-template-hash: FNV-32a of the template, in the real alphabet."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def resolve_fenceposts(dep: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable): surge rounds up, unavailable down, both 0 means 1 unavailable."""
    replicas = int(get_path(dep, "spec.replicas", 1))
    if get_path(dep, "spec.strategy.type") != "RollingUpdate":
        return 0, 0
    ru = get_path(dep, "spec.strategy.rollingUpdate") or {}

    def scaled(value: Any, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            raw = int(value[:-1]) * replicas / 100
            return math.ceil(raw) if round_up else math.floor(raw)
        return int(value)

    surge = scaled(ru.get("maxSurge", "25%"), True)
    unavailable = scaled(ru.get("maxUnavailable", "25%"), False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _strip_hash(template: Any) -> Any:
    t = clone(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def revision_of(rs: Obj) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _replicas(rs: Obj) -> int:
    return int(get_path(rs, "spec.replicas", 0) or 0)


def _status(rs: Obj, field: str) -> int:
    return int(get_path(rs, f"status.{field}", 0) or 0)


class DeploymentController(Controller):
    name = "deployment-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Deployment" and etype != "DELETED":
            self.enqueue((obj["metadata"]["namespace"], obj["metadata"]["name"]))
        elif kind == "ReplicaSet":
            ref = controller_of(obj)
            if ref and ref["kind"] == "Deployment":
                self.enqueue((obj["metadata"]["namespace"], ref["name"]))
        elif kind == "Pod" and etype == "DELETED":
            # Recreate waits for old pods to be gone.
            ref = controller_of(obj)
            if ref and ref["kind"] == "ReplicaSet":
                rs = self.store.try_get("ReplicaSet", obj["metadata"]["namespace"], ref["name"])
                dref = controller_of(rs) if rs else None
                if dref and dref["kind"] == "Deployment":
                    self.enqueue((obj["metadata"]["namespace"], dref["name"]))

    # ------------------------------------------------------------------ helpers

    def owned_sets(self, dep: Obj) -> list[Obj]:
        uid = dep["metadata"]["uid"]
        sets = [rs for rs in self.store.by_index("ReplicaSet", "owner", uid)
                if (controller_of(rs) or {}).get("uid") == uid and "deletionTimestamp" not in rs["metadata"]]
        return sorted(sets, key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["name"]))

    def _find_new(self, dep: Obj, sets: list[Obj]) -> Obj | None:
        want = _strip_hash(dep["spec"]["template"])
        matches = [rs for rs in sets if _strip_hash(rs["spec"]["template"]) == want]
        return matches[0] if matches else None

    def _scale(self, dep: Obj, rs: Obj, replicas: int) -> Obj:
        before = _replicas(rs)
        surge, _ = resolve_fenceposts(dep)
        want = int(get_path(dep, "spec.replicas", 1))
        annotations = {DESIRED: str(want), MAX_REPLICAS: str(want + surge)}
        current = rs["metadata"].get("annotations") or {}
        if before == replicas and all(current.get(k) == v for k, v in annotations.items()):
            return rs
        new = clone(rs)
        new["spec"]["replicas"] = replicas
        new["metadata"].setdefault("annotations", {}).update(annotations)
        updated = self.store.update(new)
        if before != replicas:
            direction = "up" if replicas > before else "down"
            self.event(dep, "Normal", "ScalingReplicaSet",
                       f"Scaled {direction} replica set {rs['metadata']['name']} from {before} to {replicas}")
        return updated

    def _copy_annotations(self, dep: Obj, target: dict[str, str]) -> None:
        for k, v in (dep["metadata"].get("annotations") or {}).items():
            if k not in _NOT_COPIED:
                target[k] = v

    # ------------------------------------------------------------------ new ReplicaSet

    def _new_replicas(self, dep: Obj, sets: list[Obj], new_rs: Obj | None) -> int:
        want = int(get_path(dep, "spec.replicas", 1))
        if get_path(dep, "spec.strategy.type") == "Recreate":
            return want
        surge, _ = resolve_fenceposts(dep)
        current = sum(_replicas(rs) for rs in sets)
        have = _replicas(new_rs) if new_rs else 0
        scale_up = max(0, want + surge - current)
        return have + min(scale_up, max(0, want - have))

    def _get_new(self, dep: Obj, sets: list[Obj], create: bool) -> Obj | None:
        old_max = max((revision_of(rs) for rs in sets), default=0)
        new_rs = self._find_new(dep, sets)
        if new_rs is not None:
            others = max((revision_of(rs) for rs in sets if rs is not new_rs), default=0)
            if revision_of(new_rs) <= others:
                updated = clone(new_rs)
                ann = updated["metadata"].setdefault("annotations", {})
                old_rev = ann.get(REVISION)
                if old_rev:
                    history = [h for h in ann.get(REVISION_HISTORY, "").split(",") if h]
                    ann[REVISION_HISTORY] = ",".join([*history, old_rev])
                ann[REVISION] = str(others + 1)
                self._copy_annotations(dep, ann)
                new_rs = self.store.update(updated)
                self._set_progressing(dep, "True", "FoundNewReplicaSet",
                                      f'Found new replica set "{new_rs["metadata"]["name"]}"')
            self._sync_revision(dep, revision_of(new_rs))
            return new_rs
        if not create:
            return None
        template = clone(dep["spec"]["template"])
        collision = int(get_path(dep, "status.collisionCount", 0) or 0)
        hash_value = template_hash(template, collision)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = hash_value
        selector = clone(dep["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = hash_value
        name = f"{dep['metadata']['name']}-{hash_value}"
        replicas = self._new_replicas(dep, sets, None)
        surge, _ = resolve_fenceposts(dep)
        want = int(get_path(dep, "spec.replicas", 1))
        annotations = {REVISION: str(old_max + 1), DESIRED: str(want), MAX_REPLICAS: str(want + surge)}
        self._copy_annotations(dep, annotations)
        rs = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": dep["metadata"]["namespace"],
                         "labels": dict(template["metadata"]["labels"]), "annotations": annotations,
                         "ownerReferences": [owner_ref(dep)]},
            "spec": {"replicas": replicas, "minReadySeconds": int(get_path(dep, "spec.minReadySeconds", 0) or 0),
                     "selector": selector, "template": template},
        }
        created = self.store.create(rs)
        if replicas > 0:
            self.event(dep, "Normal", "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}")
        self._set_progressing(dep, "True", "NewReplicaSetCreated", f'Created new replica set "{name}"')
        self._sync_revision(dep, old_max + 1)
        return created

    def _sync_revision(self, dep: Obj, revision: int) -> None:
        current = self.store.get("Deployment", dep["metadata"]["namespace"], dep["metadata"]["name"])
        if (current["metadata"].get("annotations") or {}).get(REVISION) != str(revision):
            updated = clone(current)
            updated["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
            self.store.update(updated)

    # ------------------------------------------------------------------ reconcile

    def reconcile(self, key: Any) -> None:
        ns, name = key
        dep = self.store.try_get("Deployment", ns, name)
        if dep is None or "deletionTimestamp" in dep["metadata"]:
            return
        sets = self.owned_sets(dep)
        if get_path(dep, "spec.paused"):
            new_rs = self._get_new(dep, sets, create=False)
            if new_rs is not None and len([s for s in sets if _replicas(s) > 0]) <= 1:
                self._scale(dep, new_rs, int(get_path(dep, "spec.replicas", 1)))
        elif get_path(dep, "spec.strategy.type") == "Recreate":
            self._recreate(dep, sets)
        else:
            self._rolling(dep, sets)
        self._sync_status(ns, name)

    def _rolling(self, dep: Obj, sets: list[Obj]) -> None:
        new_rs = self._get_new(dep, sets, create=True)
        assert new_rs is not None
        sets = self.owned_sets(dep)
        old = [rs for rs in sets if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        want = int(get_path(dep, "spec.replicas", 1))
        target = want if _replicas(new_rs) > want else self._new_replicas(dep, sets, new_rs)
        if target != _replicas(new_rs):
            self._scale(dep, new_rs, target)
            return
        self._scale_down_old(dep, new_rs, old)
        self._cleanup(dep)

    def _scale_down_old(self, dep: Obj, new_rs: Obj, old: list[Obj]) -> None:
        old_pods = sum(_replicas(rs) for rs in old)
        if old_pods == 0:
            return
        want = int(get_path(dep, "spec.replicas", 1))
        _, max_unavailable = resolve_fenceposts(dep)
        min_available = want - max_unavailable
        all_pods = old_pods + _replicas(new_rs)
        new_unavailable = _replicas(new_rs) - _status(new_rs, "availableReplicas")
        budget = all_pods - min_available - new_unavailable
        if budget <= 0:
            return
        # Unhealthy old replicas go first: removing them costs no availability.
        cleaned = 0
        for rs in old:
            if cleaned >= budget:
                break
            unhealthy = _replicas(rs) - _status(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            down = min(budget - cleaned, unhealthy)
            self._scale(dep, rs, _replicas(rs) - down)
            cleaned += down
        old = [self.store.get("ReplicaSet", rs["metadata"]["namespace"], rs["metadata"]["name"]) for rs in old]
        available = sum(_status(rs, "availableReplicas") for rs in old) + _status(new_rs, "availableReplicas")
        total = available - min_available
        for rs in old:
            if total <= 0:
                break
            if _replicas(rs) == 0:
                continue
            down = min(_replicas(rs), total)
            self._scale(dep, rs, _replicas(rs) - down)
            total -= down

    def _recreate(self, dep: Obj, sets: list[Obj]) -> None:
        new_rs = self._get_new(dep, sets, create=False)
        old = [rs for rs in sets if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        if any(_replicas(rs) > 0 for rs in old):
            for rs in old:
                self._scale(dep, rs, 0)
            return
        for rs in old:
            pods = self.store.by_index("Pod", "owner", rs["metadata"]["uid"])
            if any(get_path(p, "status.phase") not in ("Succeeded", "Failed") for p in pods):
                return
        if new_rs is None:
            new_rs = self._get_new(dep, self.owned_sets(dep), create=True)
            assert new_rs is not None
        self._scale(dep, new_rs, int(get_path(dep, "spec.replicas", 1)))
        self._cleanup(dep)

    def _cleanup(self, dep: Obj) -> None:
        limit = int(get_path(dep, "spec.revisionHistoryLimit", 10))
        sets = self.owned_sets(dep)
        new_rs = self._find_new(dep, sets)
        idle = [rs for rs in sets if rs is not new_rs and _replicas(rs) == 0 and _status(rs, "replicas") == 0]
        idle.sort(key=revision_of)
        for rs in idle[:max(0, len(idle) - limit)]:
            self.store.delete("ReplicaSet", rs["metadata"]["namespace"], rs["metadata"]["name"])

    # ------------------------------------------------------------------ status

    def _set_progressing(self, dep: Obj, status: str, reason: str, message: str) -> None:
        current = self.store.get("Deployment", dep["metadata"]["namespace"], dep["metadata"]["name"])
        new = clone(current)
        self._put_condition(new.setdefault("status", {}), "Progressing", status, reason, message)
        if new != current:
            self.store.update_status(new)

    def _put_condition(self, status: dict[str, Any], ctype: str, value: str, reason: str, message: str,
                       touch: bool = True) -> None:
        now = self.ctx.now_iso()
        conds = status.setdefault("conditions", [])
        for cond in conds:
            if cond["type"] == ctype:
                if cond["status"] == value and cond["reason"] == reason and not touch:
                    return
                if cond["status"] != value:
                    cond["lastTransitionTime"] = now
                cond.update({"status": value, "reason": reason, "message": message, "lastUpdateTime": now})
                return
        conds.append({"type": ctype, "status": value, "lastUpdateTime": now, "lastTransitionTime": now,
                      "reason": reason, "message": message})
        # Available is listed before Progressing, as the controller appends it first.
        conds.sort(key=lambda c: {"Available": 0, "Progressing": 1}.get(c["type"], 2))

    def _sync_status(self, ns: str, name: str) -> None:
        dep = self.store.get("Deployment", ns, name)
        sets = self.owned_sets(dep)
        new_rs = self._find_new(dep, sets)
        want = int(get_path(dep, "spec.replicas", 1))
        old_status = dep.get("status") or {}
        status: dict[str, Any] = clone(old_status)
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"):
            status.pop(key, None)
        status["observedGeneration"] = dep["metadata"].get("generation", 1)
        counts = {
            "replicas": sum(_status(rs, "replicas") for rs in sets),
            "updatedReplicas": _status(new_rs, "replicas") if new_rs else 0,
            "readyReplicas": sum(_status(rs, "readyReplicas") for rs in sets),
            "availableReplicas": sum(_status(rs, "availableReplicas") for rs in sets),
        }
        counts["unavailableReplicas"] = max(0, want - counts["availableReplicas"])
        status.update({k: v for k, v in counts.items() if v})
        _, max_unavailable = resolve_fenceposts(dep)
        if counts["availableReplicas"] >= want - max_unavailable:
            self._put_condition(status, "Available", "True", "MinimumReplicasAvailable",
                                "Deployment has minimum availability.", touch=False)
        else:
            self._put_condition(status, "Available", "False", "MinimumReplicasUnavailable",
                                "Deployment does not have minimum availability.", touch=False)
        self._progress(dep, status, old_status, new_rs, counts, want)
        if status != old_status:
            self.store.update_status({**dep, "status": status})

    def _progress(self, dep: Obj, status: dict[str, Any], old: dict[str, Any], new_rs: Obj | None,
                  counts: dict[str, int], want: int) -> None:
        if get_path(dep, "spec.paused"):
            self._put_condition(status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                                touch=False)
            return
        cond = next((c for c in status.get("conditions", []) if c["type"] == "Progressing"), None)
        if cond and cond["reason"] == "DeploymentPaused":
            self._put_condition(status, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
            cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
        if new_rs is None:
            return
        rs_name = new_rs["metadata"]["name"]
        complete = (counts["updatedReplicas"] == want and counts["replicas"] == want
                    and counts["availableReplicas"] == want)
        if complete:
            if not cond or cond["reason"] != "NewReplicaSetAvailable":
                self._put_condition(status, "Progressing", "True", "NewReplicaSetAvailable",
                                    f'ReplicaSet "{rs_name}" has successfully progressed.')
            return
        progressed = (counts["updatedReplicas"] > int(old.get("updatedReplicas", 0) or 0)
                      or counts["replicas"] < int(old.get("replicas", 0) or 0)
                      or counts["readyReplicas"] > int(old.get("readyReplicas", 0) or 0)
                      or counts["availableReplicas"] > int(old.get("availableReplicas", 0) or 0))
        if progressed or cond is None or cond["reason"] == "NewReplicaSetAvailable":
            self._put_condition(status, "Progressing", "True", "ReplicaSetUpdated",
                                f'ReplicaSet "{rs_name}" is progressing.')
        cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
        deadline = get_path(dep, "spec.progressDeadlineSeconds")
        if deadline is None or cond["reason"] == "ProgressDeadlineExceeded":
            return
        due = parse_iso(cond["lastUpdateTime"]) + float(deadline)
        if self.ctx.loop.now >= due:
            self._put_condition(status, "Progressing", "False", "ProgressDeadlineExceeded",
                                f'ReplicaSet "{rs_name}" has timed out progressing.')
        else:
            self.enqueue_later(due - self.ctx.loop.now, (dep["metadata"]["namespace"], dep["metadata"]["name"]))


__all__ = ["DeploymentController", "is_active", "resolve_fenceposts", "template_hash"]
