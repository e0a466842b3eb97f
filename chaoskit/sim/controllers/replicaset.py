"""The ReplicaSet controller: keep ``spec.replicas`` pods, report what they are doing."""

from __future__ import annotations

from typing import Any

from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.controllers.podutil import is_active, is_available, is_ready, ready_since
from chaoskit.sim.objects import Obj, clone, controller_of, get_path, owner_ref
from chaoskit.sim.selectors import from_label_selector

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


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.adopt: set[tuple[str, str]] = set()  # ReplicaSets that may have orphans to adopt

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "ReplicaSet" and etype != "DELETED":
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            if etype == "ADDED" or (old is not None and old["spec"].get("selector") != obj["spec"].get("selector")):
                self.adopt.add(key)
            self.enqueue(key)
        elif kind == "Pod":
            ref = controller_of(obj)
            if ref and ref["kind"] == "ReplicaSet":
                self.enqueue((obj["metadata"]["namespace"], ref["name"]))
            elif ref is None and etype != "DELETED" and obj["metadata"].get("labels"):
                # An orphan: a ReplicaSet whose selector matches may adopt it.
                ns = obj["metadata"]["namespace"]
                for rs in self.store.list("ReplicaSet", ns):
                    if from_label_selector(get_path(rs, "spec.selector")).matches(obj["metadata"].get("labels")):
                        self.adopt.add((ns, rs["metadata"]["name"]))
                        self.enqueue((ns, rs["metadata"]["name"]))

    def owned_pods(self, rs: Obj) -> list[Obj]:
        uid = rs["metadata"]["uid"]
        return [p for p in self.store.by_index("Pod", "owner", uid)
                if (controller_of(p) or {}).get("uid") == uid]

    def claim_pods(self, rs: Obj) -> list[Obj]:
        """ClaimPods: release owned pods that no longer match the selector, adopt matching orphans."""
        selector = from_label_selector(get_path(rs, "spec.selector"))
        owned = []
        for p in self.owned_pods(rs):
            if selector.matches(p["metadata"].get("labels")):
                owned.append(p)
            elif "deletionTimestamp" not in p["metadata"]:
                released = clone(p)
                refs = [r for r in p["metadata"]["ownerReferences"] if r.get("uid") != rs["metadata"]["uid"]]
                released["metadata"]["ownerReferences"] = refs
                if not refs:
                    del released["metadata"]["ownerReferences"]
                self.store.update(released)
        key = (rs["metadata"]["namespace"], rs["metadata"]["name"])
        match_labels = get_path(rs, "spec.selector.matchLabels") or {}
        if key in self.adopt and match_labels and "deletionTimestamp" not in rs["metadata"]:
            self.adopt.discard(key)
            key, value = sorted(match_labels.items())[0]
            for p in self.store.by_index("Pod", "labels", f"{rs['metadata']['namespace']}/{key}={value}"):
                if controller_of(p) is None and is_active(p) and selector.matches(p["metadata"].get("labels")):
                    adopted = clone(p)
                    adopted["metadata"].setdefault("ownerReferences", []).append(owner_ref(rs))
                    owned.append(self.store.update(adopted))
        return owned

    def reconcile(self, key: Any) -> None:
        ns, name = key
        rs = self.store.try_get("ReplicaSet", ns, name)
        if rs is None:
            return
        pods = self.claim_pods(rs)
        active = [p for p in pods if is_active(p)]
        want = int(get_path(rs, "spec.replicas", 1))
        if "deletionTimestamp" not in rs["metadata"]:
            diff = len(active) - want
            if diff < 0:
                for _ in range(min(-diff, BURST)):
                    pod = self.store.create(pod_from_template(rs, rs["spec"]["template"], f"{name}-"), owned=True)
                    self.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
                    active.append(pod)
            elif diff > 0:
                for pod in sorted(active, key=_deletion_rank)[:diff]:
                    self.store.delete("Pod", ns, pod["metadata"]["name"])
                    self.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
                active = [p for p in self.claim_pods(rs) if is_active(p)]
        self._update_status(rs, active)

    def _update_status(self, rs: Obj, active: list[Obj]) -> None:
        now = self.ctx.loop.now
        min_ready = float(get_path(rs, "spec.minReadySeconds", 0) or 0)
        selector = from_label_selector(get_path(rs, "spec.selector"))
        tmpl_labels = get_path(rs, "spec.template.metadata.labels") or {}
        status: dict[str, Any] = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(1 for p in active if selector.matches(p["metadata"].get("labels"))
                                        and all(p["metadata"].get("labels", {}).get(k) == v
                                                for k, v in tmpl_labels.items())),
            "readyReplicas": sum(1 for p in active if is_ready(p)),
            "availableReplicas": sum(1 for p in active if is_available(p, min_ready, now)),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if min_ready > 0:
            waits = [since + min_ready - now for p in active
                     if (since := ready_since(p)) is not None and since + min_ready > now]
            if waits:
                self.enqueue_later(min(waits), (rs["metadata"]["namespace"], rs["metadata"]["name"]))
        for zero in ("readyReplicas", "availableReplicas"):
            if status[zero] == 0:
                del status[zero]
        if rs.get("status") != status:
            self.store.update_status({**rs, "status": status})
