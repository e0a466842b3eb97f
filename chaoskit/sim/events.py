"""The event recorder, aggregating like client-go's: a repeat of the same event bumps
``count`` and ``lastTimestamp`` on the existing Event instead of creating a new one.

kubectl describe then shows ``71s (x6 over 3m21s)``.
"""

from __future__ import annotations

from typing import Any

from chaoskit.kube.times import iso, iso_micro
from chaoskit.sim.objects import Obj, clone
from chaoskit.sim.store import Store

EVENT_TTL = 3600.0  # the API server's --event-ttl default


class Recorder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._index: dict[tuple[Any, ...], tuple[str, str]] = {}

    def event(self, obj: Obj, etype: str, reason: str, message: str, component: str,
              host: str = "", field_path: str = "") -> None:
        """Record an event about ``obj`` from ``component`` (``kubelet`` events carry the node)."""
        md = obj["metadata"]
        ns = md.get("namespace") or "default"
        involved = {
            "kind": obj["kind"],
            "namespace": md.get("namespace", ns) if md.get("namespace") else "",
            "name": md["name"],
            "uid": md.get("uid", ""),
            "apiVersion": obj["apiVersion"],
            "resourceVersion": md.get("resourceVersion", ""),
        }
        if not md.get("namespace"):
            involved.pop("namespace")
        if field_path:
            involved["fieldPath"] = field_path
        key = (component, host, obj["kind"], ns, md["name"], md.get("uid"), field_path, etype, reason, message)
        now = self.store.loop.now
        existing = self._index.get(key)
        if existing is not None:
            current = self.store.try_get("Event", existing[0], existing[1])
            if current is not None:
                updated = clone(current)
                updated["count"] = int(current.get("count", 1)) + 1
                updated["lastTimestamp"] = iso(now)
                updated["involvedObject"] = involved
                self.store.update(updated)
                return
        source: dict[str, str] = {"component": component}
        if host:
            source["host"] = host
        event_obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{md['name']}.{self._suffix(now)}", "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": iso(now),
            "lastTimestamp": iso(now),
            "count": 1,
            "type": etype,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host,
        }
        created = self.store.create(event_obj, owned=True)
        self._index[key] = (ns, created["metadata"]["name"])

    def _suffix(self, now: float) -> str:
        # client-go names events <object>.<hex unix nanos>; the counter keeps names unique.
        nanos = int(now * 1e9) + self.store.rv
        return f"{nanos:x}"

    def reindex(self) -> None:
        """Rebuild the aggregation index from stored Events (after a restore)."""
        self._index = {}
        for ev in self.store.list("Event"):
            inv = ev.get("involvedObject") or {}
            src = ev.get("source") or {}
            key = (src.get("component", ""), src.get("host", ""), inv.get("kind"), ev["metadata"]["namespace"],
                   inv.get("name"), inv.get("uid"), inv.get("fieldPath", ""), ev.get("type"), ev.get("reason"),
                   ev.get("message"))
            self._index[key] = (ev["metadata"]["namespace"], ev["metadata"]["name"])

    def expire(self) -> None:
        """Delete events older than the TTL, as etcd's lease on each event does."""
        cutoff = iso(self.store.loop.now - EVENT_TTL)
        for ev in self.store.list("Event"):
            if ev.get("lastTimestamp", "") < cutoff:
                self.store.delete("Event", ev["metadata"]["namespace"], ev["metadata"]["name"])
        self._index = {k: v for k, v in self._index.items() if self.store.try_get("Event", *v) is not None}


__all__ = ["Recorder", "iso_micro"]
