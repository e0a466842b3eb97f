"""The ReplicaSet controller: keep ``spec.replicas`` pods, report what they are doing.

A sync looks at every pod the ReplicaSet owns, as the real controller does. With 20 000 pods
and a sync after every batch of changes, walking each pod's dict on every sync made a scale-up
quadratic in practice, so the controller keeps, as its informer cache would, the facts a sync
reads about each owned pod (phase, readiness, labels), refreshed on every pod event. A sync is
then one pass over small records; selector matches are recomputed only when the pod or the
ReplicaSet's selector changed.
"""

from __future__ import annotations

from typing import Any

from chaoskit.kube.status import StatusError
from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.controllers.podutil import is_active, is_ready, ready_since
from chaoskit.sim.guard import Retry
from chaoskit.sim.objects import Obj, clone, controller_of, get_path, owner_ref
from chaoskit.sim.selectors import LabelSelector, from_label_selector

BURST = 500


def pod_from_template(owner: Obj, template: dict[str, Any], generate_name: str) -> Obj:
    tmd = template.get("metadata") or {}
    md: dict[str, Any] = {
        "generateName": generate_name,
        "namespace": owner["metadata"]["namespace"],
        "ownerReferences": [owner_ref(owner)],
    }
    if tmd.get("labels"):
        md["labels"] = dict(tmd["labels"])
    if tmd.get("annotations"):
        md["annotations"] = dict(tmd["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": clone(template.get("spec") or {})}


def _deletion_rank(pod: Obj) -> tuple[int, int, int, int]:
    """Pods to delete first: unscheduled, pending, not ready, most restarts (controller.ActivePods order)."""
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(get_path(pod, "status.phase", "Pending"), 0)
    restarts = sum(cs.get("restartCount", 0) for cs in get_path(pod, "status.containerStatuses", []) or [])
    return (0 if get_path(pod, "spec.nodeName") else -1,
            phase_rank, 1 if is_ready(pod) else 0, -restarts)


class Member:
    """One owned pod as a sync sees it; ``selector``/``template`` tell what ``matches`` was computed against."""

    __slots__ = ("active", "fully_labeled", "matches", "obj", "ready", "ready_since", "selector", "template")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self.active = is_active(obj)
        self.ready = is_ready(obj)
        self.ready_since = ready_since(obj)
        self.selector: LabelSelector | None = None
        self.template: Any = None
        self.matches = False
        self.fully_labeled = False

    def match(self, selector: LabelSelector, template: Any) -> bool:
        if self.selector is not selector or self.template is not template:
            labels = self.obj["metadata"].get("labels") or {}
            self.matches = selector.matches(labels)
            self.fully_labeled = self.matches and all(labels.get(k) == v for k, v in (template or {}).items())
            self.selector, self.template = selector, template
        return self.matches


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.adopt: set[tuple[str, str]] = set()  # ReplicaSets that may have orphans to adopt
        self._members: dict[str, dict[str, Member]] = {}  # ReplicaSet uid -> pod uid -> facts
        self._owner_of: dict[str, str] = {}  # pod uid -> controlling ReplicaSet uid
        # ReplicaSet uid -> (selector, template labels) as last parsed; kept while equal, so
        # members' cached matches stay valid across the ReplicaSet's own status writes.
        self._shapes: dict[str, tuple[Any, LabelSelector, Any]] = {}

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "ReplicaSet":
            if etype == "DELETED":
                self._shapes.pop(obj["metadata"]["uid"], None)
                return
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            if etype == "ADDED" or (old is not None and old["spec"].get("selector") != obj["spec"].get("selector")):
                self.adopt.add(key)
            self.enqueue(key)
        elif kind == "Pod":
            ref = controller_of(obj)
            self._track(obj, etype, ref)
            if ref and ref["kind"] == "ReplicaSet":
                self.enqueue((obj["metadata"]["namespace"], ref["name"]))
            elif ref is None and etype != "DELETED" and obj["metadata"].get("labels"):
                # An orphan: a ReplicaSet whose selector matches may adopt it.
                ns = obj["metadata"]["namespace"]
                for rs in self.store.list("ReplicaSet", ns):
                    if from_label_selector(get_path(rs, "spec.selector")).matches(obj["metadata"].get("labels")):
                        self.adopt.add((ns, rs["metadata"]["name"]))
                        self.enqueue((ns, rs["metadata"]["name"]))

    def _track(self, pod: Obj, etype: str, ref: dict[str, Any] | None) -> None:
        uid = pod["metadata"]["uid"]
        owner = str(ref.get("uid", "")) if ref and ref.get("kind") == "ReplicaSet" and etype != "DELETED" else ""
        previous = self._owner_of.get(uid)
        if previous and previous != owner:
            members = self._members.get(previous)
            if members is not None:
                members.pop(uid, None)
                if not members:
                    del self._members[previous]
        if owner:
            self._owner_of[uid] = owner
            self._members.setdefault(owner, {})[uid] = Member(pod)
        else:
            self._owner_of.pop(uid, None)

    def _shape(self, rs: Obj) -> tuple[LabelSelector, Any]:
        uid = rs["metadata"]["uid"]
        spec = get_path(rs, "spec.selector")
        template = get_path(rs, "spec.template.metadata.labels")
        cached = self._shapes.get(uid)
        if cached is not None and cached[0] == spec and cached[2] == template:
            return cached[1], cached[2]
        selector = from_label_selector(spec)
        self._shapes[uid] = (spec, selector, template)
        return selector, template

    def members(self, rs: Obj) -> list[Member]:
        """The pods whose controller reference names this ReplicaSet (in the order they were seen)."""
        found = self._members.get(rs["metadata"]["uid"])
        if not found:
            return []
        return list(found.values())

    def owned_pods(self, rs: Obj) -> list[Obj]:
        return sorted((m.obj for m in self.members(rs)), key=lambda p: p["metadata"]["name"])

    def claim_pods(self, rs: Obj) -> list[Member]:
        """ClaimPods: release owned pods that no longer match the selector, adopt matching orphans."""
        selector, template = self._shape(rs)
        owned: list[Member] = []
        released: list[Obj] = []
        for m in self.members(rs):
            if m.match(selector, template):
                owned.append(m)
            elif "deletionTimestamp" not in m.obj["metadata"]:
                released.append(m.obj)
        for p in sorted(released, key=lambda p: p["metadata"]["name"]):
            freed = clone(p)
            refs = [r for r in p["metadata"]["ownerReferences"] if r.get("uid") != rs["metadata"]["uid"]]
            freed["metadata"]["ownerReferences"] = refs
            if not refs:
                del freed["metadata"]["ownerReferences"]
            self.store.update(freed)
        key = (rs["metadata"]["namespace"], rs["metadata"]["name"])
        match_labels = get_path(rs, "spec.selector.matchLabels") or {}
        if key in self.adopt and match_labels and "deletionTimestamp" not in rs["metadata"]:
            self.adopt.discard(key)
            key, value = sorted(match_labels.items())[0]
            for p in self.store.by_index("Pod", "labels", f"{rs['metadata']['namespace']}/{key}={value}"):
                if controller_of(p) is None and is_active(p) and selector.matches(p["metadata"].get("labels")):
                    adopted = clone(p)
                    adopted["metadata"].setdefault("ownerReferences", []).append(owner_ref(rs))
                    self.store.update(adopted)
            owned = [m for m in self.members(rs) if m.match(selector, template)]
        return owned

    def reconcile(self, key: Any) -> None:
        ns, name = key
        rs = self.store.try_get("ReplicaSet", ns, name)
        if rs is None:
            return
        active = [m for m in self.claim_pods(rs) if m.active]
        want = int(get_path(rs, "spec.replicas", 1))
        diff = len(active) - want
        failure: StatusError | None = None
        if "deletionTimestamp" not in rs["metadata"] and diff:
            if diff < 0:
                for _ in range(min(-diff, BURST)):
                    try:
                        pod = self.store.create(pod_from_template(rs, rs["spec"]["template"], f"{name}-"),
                                                owned=True)
                    except StatusError as err:  # refused (Pod Security, quota...): slowStartBatch stops
                        failure = err
                        self.event(rs, "Warning", "FailedCreate", f"Error creating: {err.message}")
                        break
                    self.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            elif diff > 0:
                ranked = sorted((m.obj for m in active),
                                key=lambda p: (_deletion_rank(p), p["metadata"]["name"]))
                for pod in ranked[:diff]:
                    self.store.delete("Pod", ns, pod["metadata"]["name"])
                    self.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
            active = [m for m in self.claim_pods(rs) if m.active]
        self._update_status(rs, active, failure, diff)
        if failure is not None:
            raise Retry()

    def _update_status(self, rs: Obj, active: list[Member], failure: StatusError | None = None,
                       diff: int = 0) -> None:
        now = self.ctx.loop.now
        min_ready = float(get_path(rs, "spec.minReadySeconds", 0) or 0)
        status: dict[str, Any] = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(1 for m in active if m.fully_labeled),
            "readyReplicas": sum(1 for m in active if m.ready),
            "availableReplicas": sum(1 for m in active if m.ready_since is not None
                                     and (min_ready <= 0 or m.ready_since + min_ready <= now)),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if min_ready > 0:
            waits = [since + min_ready - now for m in active
                     if (since := m.ready_since) is not None and since + min_ready > now]
            if waits:
                self.enqueue_later(min(waits), (rs["metadata"]["namespace"], rs["metadata"]["name"]))
        for zero in ("readyReplicas", "availableReplicas"):
            if status[zero] == 0:
                del status[zero]
        # calculateStatus: a failed create or delete sets ReplicaFailure once; a clean sync removes it.
        conditions = [c for c in get_path(rs, "status.conditions") or [] if isinstance(c, dict)]
        failed = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
        if failure is not None and failed is None:
            conditions.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": self.ctx.now_iso(),
                               "reason": "FailedCreate" if diff < 0 else "FailedDelete",
                               "message": failure.message})
        elif failure is None and failed is not None:
            conditions = [c for c in conditions if c is not failed]
        if conditions:
            status["conditions"] = conditions
        if rs.get("status") != status:
            self.store.update_status({**rs, "status": status})
