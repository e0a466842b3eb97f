"""The object store: what etcd plus the API server's registry do for the simulator.

Objects are plain dicts in Kubernetes JSON shape. Reads return the stored dict itself (never
mutate it: ``clone`` first); writes take a new dict. Every write gets a monotonic
resourceVersion, is fanned out to subscribers (the controllers, synchronously queueing work)
and to watchers (with a bounded history so a watch can resume from a resourceVersion until it
falls out, then 410 Gone), exactly once.
"""

from __future__ import annotations

import bisect
import builtins
import ipaddress
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chaoskit.kube.status import (
    AlreadyExists,
    BadRequest,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    StatusError,
    already_exists,
    conflict,
    invalid,
    not_found,
)
from chaoskit.kube.times import iso
from chaoskit.sim import admission, podsecurity
from chaoskit.sim.clock import Loop
from chaoskit.sim.ids import Ids
from chaoskit.sim.kinds import KindInfo, field_value, info
from chaoskit.sim.objects import Obj, clone, get_path
from chaoskit.sim.selectors import EVERYTHING, FieldSelector, LabelSelector

# etcd's --max-request-bytes default; kube-apiserver passes etcd's refusal through as a 500.
MAX_OBJECT_BYTES = 1536 * 1024

# k8s.io/apiserver registry/generic/registry/store.go: a create whose generated name collides is
# attempted again with a fresh name, eight attempts in all.
GENERATE_NAME_ATTEMPTS = 8
# k8s.io/apiserver storage/names: base names are cut so the name with its suffix fits 63 characters.
MAX_GENERATED_BASE = 58

Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped kinds
Subscriber = Callable[[str, str, Obj, "Obj | None"], None]  # (kind, type, obj, old)
Indexer = Callable[[Obj], Iterable[str]]


# The watch cache's per-watcher channel (cacher maxWatchChanSizeWithoutIndex = 100): a watcher
# whose client does not keep up has at most this many live events waiting; one more and it is
# terminated ("Forcing watcher close due to unresponsiveness"), and the client's stream ends.
WATCH_BUFFER = 100
# History kept for watches that resume from a resourceVersion: 20 000 events and at most this
# many bytes of API-written objects, so large objects rewritten in a loop cannot pin gigabytes.
HISTORY_BYTES = 256 * 1024 * 1024
SMALL_OBJECT = 1024  # the size assumed for objects only controllers wrote


@dataclass
class WatchEvent:
    rv: int
    kind: str
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj
    size: int = SMALL_OBJECT
    wire: bytes | None = None  # the JSON watch frame, encoded once for every watcher that sends it


@dataclass
class Watcher:
    """A live watch: events land in ``queue``; ``notify`` (if set) is called after each one.

    ``backlog`` holds the history replayed for a watch from a resourceVersion (read from the
    cache, not buffered, as the cacher's watchCacheInterval is); ``queue`` holds live events, at
    most ``limit``. ``terminated`` says the watcher was cut off for falling behind.
    """

    kind: str
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    queue: deque[WatchEvent] = field(default_factory=deque)
    notify: Callable[[], None] | None = None
    closed: bool = False
    backlog: deque[WatchEvent] = field(default_factory=deque)
    limit: int = WATCH_BUFFER
    terminated: bool = False

    def wants(self, ev: WatchEvent) -> bool:
        if ev.kind != self.kind:
            return False
        md = ev.obj["metadata"]
        if self.namespace and md.get("namespace") != self.namespace:
            return False
        return self.labels.matches(md.get("labels")) and self.fields.matches(ev.obj, _field_getter)

    def close(self) -> None:
        self.closed = True

    def pop(self) -> WatchEvent | None:
        """The next event to send: replayed history first, then live events."""
        if self.backlog:
            return self.backlog.popleft()
        if self.queue:
            return self.queue.popleft()
        return None

    @property
    def pending(self) -> bool:
        return bool(self.backlog or self.queue)

    def offer(self, ev: WatchEvent) -> None:
        """Queue a live event, or terminate the watcher if its buffer is full (memory stays bounded)."""
        if len(self.queue) >= self.limit:
            self.terminated = self.closed = True
            self.queue.clear()
            self.backlog.clear()
        else:
            self.queue.append(ev)
        if self.notify is not None:
            self.notify()


def _field_getter(obj: Obj, path: str) -> str:
    return field_value(obj, path)


class Store:
    HISTORY = 20_000

    def __init__(self, loop: Loop, ids: Ids) -> None:
        self.loop = loop
        self.ids = ids
        self.rv = 1
        self._objs: dict[str, dict[Key, Obj]] = {}
        self._by_ns: dict[str, dict[str, dict[str, Obj]]] = {}
        self._subscribers: list[Subscriber] = []
        self._watchers: list[Watcher] = []
        self.history: deque[WatchEvent] = deque()
        self._history_bytes = 0
        self._sizes: dict[tuple[str, Key], int] = {}  # serialized sizes of objects API writes stored
        # Warnings admission adds to the current write (Pod Security's "would violate ..."); the
        # API server clears it before a write and sends what it holds as Warning headers.
        self.warnings: list[str] = []
        self._indexers: dict[str, dict[str, Indexer]] = {}
        # value -> keys kept sorted (bisect), so by_index answers in etcd key order without sorting
        # a 20 000-pod bucket on every call.
        self._indexes: dict[tuple[str, str], dict[str, list[Key]]] = {}
        self._service_net = ipaddress.ip_network("10.96.0.0/16")
        self._next_ip = 11  # .1 is the kubernetes Service, .10 kube-dns
        self._next_node_port = 30000
        self.add_index("*", "owner", lambda o: [r["uid"] for r in o["metadata"].get("ownerReferences") or []])
        self.add_index("Pod", "node", lambda p: [p["spec"]["nodeName"]] if get_path(p, "spec.nodeName") else [])
        self.add_index("Pod", "labels", lambda p: [
            f"{p['metadata'].get('namespace')}/{k}={v}" for k, v in (p["metadata"].get("labels") or {}).items()])

    # ----------------------------------------------------------------- indexes

    def add_index(self, kind: str, name: str, fn: Indexer) -> None:
        """Maintain ``value -> keys`` for ``kind`` (``*``: every kind), like client-go indexers."""
        self._indexers.setdefault(kind, {})[name] = fn
        for k, objs in self._objs.items():
            if kind in ("*", k):
                for key, obj in objs.items():
                    for value in fn(obj):
                        _sorted_add(self._indexes.setdefault((k, name), {}).setdefault(value, []), key)

    def by_index(self, kind: str, name: str, value: str) -> list[Obj]:
        keys = self._indexes.get((kind, name), {}).get(value, ())
        objs = self._objs.get(kind, {})
        return [objs[k] for k in keys if k in objs]

    def _reindex(self, kind: str, key: Key, old: Obj | None, new: Obj | None) -> None:
        partition = self._by_ns.setdefault(kind, {}).setdefault(key[0], {})
        if new is None:
            partition.pop(key[1], None)
        else:
            partition[key[1]] = new
        for scope in ("*", kind):
            for name, fn in self._indexers.get(scope, {}).items():
                before = list(fn(old)) if old is not None else []
                after = list(fn(new)) if new is not None else []
                if before == after:
                    continue  # a status write: the indexed fields did not move
                index = self._indexes.setdefault((kind, name), {})
                for value in before:
                    bucket = index.get(value)
                    if bucket is not None:
                        _sorted_discard(bucket, key)
                        if not bucket:
                            del index[value]
                for value in after:
                    _sorted_add(index.setdefault(value, []), key)

    # ----------------------------------------------------------------- reads

    def try_get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self._objs.get(kind, {}).get((namespace if info(kind).namespaced else "", name))

    def get(self, kind: str, namespace: str, name: str) -> Obj:
        obj = self.try_get(kind, namespace, name)
        if obj is None:
            k = info(kind)
            raise not_found(k.plural, name, k.group)
        return obj

    def list(self, kind: str, namespace: str | None = None, labels: LabelSelector = EVERYTHING,
             fields: FieldSelector | None = None) -> list[Obj]:
        """Objects sorted by (namespace, name), as etcd's key order returns them."""
        if namespace and info(kind).namespaced:
            items = sorted(self._by_ns.get(kind, {}).get(namespace, {}).items())
            pairs = [((namespace, name), obj) for name, obj in items]
        else:
            pairs = sorted(self._objs.get(kind, {}).items())
        out = []
        for _, obj in pairs:
            if labels is not EVERYTHING and not labels.matches(obj["metadata"].get("labels")):
                continue
            if fields is not None and not fields.matches(obj, _field_getter):
                continue
            out.append(obj)
        return out

    def kinds_present(self) -> builtins.list[str]:
        return [k for k, objs in self._objs.items() if objs]

    def insert(self, obj: Obj) -> None:
        """Place a stored object back as it was (snapshot restore): no admission, no events."""
        k = info(obj["kind"])
        key = self._key(k, obj)
        old = self._objs.setdefault(k.kind, {}).get(key)
        self._objs[k.kind][key] = obj
        self._reindex(k.kind, key, old, obj)

    def count(self, kind: str) -> int:
        return len(self._objs.get(kind, {}))

    # ----------------------------------------------------------------- subscriptions and watches

    def watchers(self) -> builtins.list[Watcher]:
        """The watches still open (a terminated watcher is gone from here at once)."""
        return [w for w in self._watchers if not w.closed]

    def subscribe(self, fn: Subscriber) -> None:
        self._subscribers.append(fn)

    def watch(self, kind: str, namespace: str | None = None, since: int | None = None,
              labels: LabelSelector = EVERYTHING, fields: FieldSelector | None = None) -> Watcher:
        """Start a watch; with ``since``, replay history after that resourceVersion (410 if gone)."""
        w = Watcher(kind, namespace, labels, fields or FieldSelector())
        if since is not None and since < self.rv:
            oldest = self.history[0].rv if self.history else self.rv
            if since < oldest - 1:
                raise Gone(f"too old resource version: {since} ({oldest - 1})")
            for ev in self.history:
                if ev.rv > since and w.wants(ev):
                    w.backlog.append(ev)
        self._watchers.append(w)
        return w

    def _emit(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        size = self._sizes.get((kind, self._key(info(kind), obj)), SMALL_OBJECT) if self._sizes else SMALL_OBJECT
        ev = WatchEvent(int(obj["metadata"]["resourceVersion"]), kind, etype, obj, size)
        history = self.history
        history.append(ev)
        self._history_bytes += size
        while len(history) > self.HISTORY or self._history_bytes > HISTORY_BYTES:
            self._history_bytes -= history.popleft().size
        if self._watchers:
            live = []
            for w in self._watchers:
                if w.closed:
                    continue
                if w.wants(ev):
                    w.offer(ev)
                if not w.closed:
                    live.append(w)
            self._watchers = live
        for fn in self._subscribers:
            fn(kind, etype, obj, old)

    def _next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    # ----------------------------------------------------------------- writes

    def _key(self, k: KindInfo, obj: Obj) -> Key:
        md = obj["metadata"]
        return (md.get("namespace", "") if k.namespaced else "", md["name"])

    def _check_namespace(self, k: KindInfo, obj: Obj) -> None:
        if not k.namespaced:
            obj["metadata"].pop("namespace", None)
            return
        ns = obj["metadata"].get("namespace") or "default"
        obj["metadata"]["namespace"] = ns
        ns_obj = self.try_get("Namespace", "", ns)
        if ns_obj is None:
            raise NotFound(f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})
        if "deletionTimestamp" in ns_obj["metadata"] and k.kind != "Event":
            raise Forbidden(f'{k.qualified} "{obj["metadata"].get("name", "")}" is forbidden: unable to create new '
                            f"content in namespace {ns} because it is being terminated",
                            {"name": obj["metadata"].get("name", ""), "kind": k.plural, "group": k.group})

    def allocate_cluster_ip(self) -> str:
        ip = str(self._service_net[self._next_ip])
        self._next_ip += 1
        return ip

    def allocate_node_port(self) -> int:
        port = self._next_node_port + self.ids.rng.randrange(0, 2767)
        return port

    def _default(self, k: KindInfo, obj: Obj) -> None:
        kind = k.kind
        if kind == "Pod":
            admission.default_pod(obj, self.ids.suffix(5))
        elif kind == "Deployment":
            admission.default_deployment(obj)
        elif kind == "ReplicaSet":
            admission.default_replicaset(obj)
        elif kind == "DaemonSet":
            admission.default_daemonset(obj)
        elif kind == "Job":
            admission.default_job(obj)
        elif kind == "CronJob":
            admission.default_cronjob(obj)
        elif kind == "Service":
            admission.default_service(obj, self.allocate_cluster_ip, self.allocate_node_port)
        elif kind == "Namespace":
            admission.default_namespace(obj)
        elif kind == "Secret":
            admission.default_secret(obj)

    def _admit(self, k: KindInfo, obj: Obj, old: Obj | None, subresource: str | None) -> None:
        """Validating admission: Pod Security for pods, pod templates and namespace labels."""
        kind = k.kind
        if kind == "Pod":
            labels = self._namespace_labels(obj["metadata"].get("namespace", ""))
            if labels:
                self.warnings += podsecurity.admit_pod(obj, labels, old, subresource)
        elif kind in podsecurity.TEMPLATE_PATHS:
            labels = self._namespace_labels(obj["metadata"].get("namespace", ""))
            if labels:
                self.warnings += podsecurity.admit_controller(obj, labels)
        elif kind == "Namespace":
            name = str(obj["metadata"].get("name", ""))
            self.warnings += podsecurity.admit_namespace(obj, old, lambda: self.list("Pod", name))

    def _namespace_labels(self, namespace: str) -> dict[str, Any]:
        ns = self.try_get("Namespace", "", namespace)
        labels = (ns or {}).get("metadata", {}).get("labels") or {}
        return labels if any(str(key).startswith(podsecurity.LABEL) for key in labels) else {}

    def size_of(self, kind: str, namespace: str, name: str) -> int:
        """The serialized size an API write last measured for this object (0: small or not measured)."""
        return self._sizes.get((kind, (namespace if info(kind).namespaced else "", name)), 0) if self._sizes else 0

    def _note_size(self, kind: str, key: Key, size: int) -> None:
        """Remember how big an API-written object is (objects under 64 KiB count as small)."""
        if size > 64 * 1024:
            self._sizes[(kind, key)] = size
        elif self._sizes:
            self._sizes.pop((kind, key), None)

    def _generate_name(self, base: str) -> str:
        """names.SimpleNameGenerator: the base, cut to 58 characters, plus five random characters."""
        return f"{base[:MAX_GENERATED_BASE]}{self.ids.suffix(5)}"

    def create(self, obj: Obj, dry_run: bool = False, owned: bool = False, check_size: bool = False) -> Obj:
        """Admit, validate and store a new object; returns the stored object.

        ``owned``: the caller hands over a fresh dict it will not touch again (controllers do),
        so the store need not copy it. ``check_size``: refuse objects etcd would refuse (API writes).
        """
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise BadRequest("the object provided is not a valid Kubernetes object")
        kind = obj.get("kind")
        if not isinstance(kind, str):
            raise BadRequest("Object 'Kind' is missing in the request body")
        k = info(kind)
        if not owned:
            obj = clone(obj)
        obj["apiVersion"] = k.api_version
        md = obj.setdefault("metadata", {})
        for server_field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                             "deletionGracePeriodSeconds", "generation", "managedFields"):
            md.pop(server_field, None)
        generated = not md.get("name") and bool(md.get("generateName"))
        if generated:
            md["name"] = self._generate_name(md["generateName"])
        elif not md.get("name"):
            # ValidateObjectMeta's answer, given before defaulting (which needs a name) runs.
            raise invalid(k.kind, "", [admission.required("metadata.name", "name or generateName is required")],
                          k.group)
        self._check_namespace(k, obj)
        md["uid"] = self.ids.uid()
        md["creationTimestamp"] = iso(self.loop.now)
        if k.has_generation:
            md["generation"] = 1
        if not k.has_status and kind not in ("Event",):
            obj.pop("status", None)
        self._default(k, obj)
        admission.validate(obj, k)
        self._admit(k, obj, None, None)
        key = self._key(k, obj)
        existing = self._objs.get(kind, {})
        attempts = 1
        while key in existing and generated and attempts < GENERATE_NAME_ATTEMPTS:
            md["name"] = self._generate_name(md["generateName"])
            key = self._key(k, obj)
            attempts += 1
        if key in existing:
            if generated:
                raise generate_name_conflict(k.plural, key[1], k.group)
            raise already_exists(k.plural, key[1], k.group)
        size = _check_size(obj) if check_size else 0
        if dry_run:
            return obj
        self._note_size(kind, key, size)
        md["resourceVersion"] = self._next_rv()
        self._objs.setdefault(kind, {})[key] = obj
        self._reindex(kind, key, None, obj)
        self._emit(kind, "ADDED", obj, None)
        return obj

    def update(self, obj: Obj, subresource: str | None = None, dry_run: bool = False,
               check_size: bool = False) -> Obj:
        """Replace an object (or only its status with ``subresource="status"``).

        A stale resourceVersion is a 409; a write that changes nothing keeps the old
        resourceVersion and emits nothing (kubectl prints "(no change)").
        """
        kind = obj.get("kind")
        if not isinstance(kind, str):
            raise BadRequest("Object 'Kind' is missing in the request body")
        k = info(kind)
        md = obj.get("metadata") or {}
        ns = md.get("namespace", "") if k.namespaced else ""
        old = self.try_get(kind, ns or "default", md.get("name", "")) if k.namespaced else \
            self.try_get(kind, "", md.get("name", ""))
        if old is None:
            raise not_found(k.plural, md.get("name", ""), k.group)
        rv = md.get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise conflict(k.plural, md["name"], k.group)
        # The store takes ownership of ``obj``; metadata is copied because it is rewritten below.
        new = dict(obj)
        new["apiVersion"] = k.api_version
        nmd = new["metadata"] = dict(new.get("metadata") or {})
        omd = old["metadata"]
        for keep in ("uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds",
                     "generation"):
            if keep in omd:
                nmd[keep] = omd[keep]
            else:
                nmd.pop(keep, None)
        if subresource == "binding":
            if get_path(old, "spec.nodeName"):
                raise conflict(k.plural, md["name"], k.group)
            node_name, status = get_path(new, "spec.nodeName"), new.get("status")
            new = dict(old)
            new["spec"] = {**old["spec"], "nodeName": node_name}
            new["status"] = status
            nmd = new["metadata"] = dict(old["metadata"])
        elif subresource == "ephemeralcontainers":
            eph = get_path(new, "spec.ephemeralContainers") or []
            new = dict(old)
            new["spec"] = {**old["spec"], "ephemeralContainers": eph}
            nmd = new["metadata"] = dict(old["metadata"])
            old_names = [c.get("name") for c in get_path(old, "spec.ephemeralContainers", []) or []]
            if [c.get("name") for c in eph][:len(old_names)] != old_names:
                raise Invalid(f'Pod "{md.get("name")}" is invalid: spec.ephemeralContainers: Forbidden: existing '
                              "ephemeral containers may not be removed", None)
        elif subresource == "status":
            status = new.get("status")
            new = dict(old)
            nmd = new["metadata"] = dict(old["metadata"])
            if status is not None:
                new["status"] = status
        elif k.has_status and "status" in old and kind != "Namespace":
            new["status"] = old["status"]
        elif k.has_status and kind != "Namespace":
            new.pop("status", None)
        if subresource is None:
            if kind in ("Deployment", "ReplicaSet", "DaemonSet", "CronJob"):
                self._default(k, new)
            if kind == "Service":
                admission.default_service(new, lambda: str(get_path(old, "spec.clusterIP")),
                                          self.allocate_node_port)
            admission.validate(new, k, old)
        if subresource in (None, "ephemeralcontainers"):
            self._admit(k, new, old, subresource)
        nmd["resourceVersion"] = omd["resourceVersion"]
        if k.has_generation and _spec_of(new) != _spec_of(old):
            nmd["generation"] = int(omd.get("generation", 1)) + 1
        if new == old:
            return old
        size = _check_size(new) if check_size else 0
        if dry_run:
            return new
        self._note_size(kind, self._key(k, new), size)
        if "deletionTimestamp" in nmd and not nmd.get("finalizers") and kind != "Namespace" and not (
                kind == "Pod" and get_path(new, "spec.nodeName")):
            return self._remove(k, new)
        nmd["resourceVersion"] = self._next_rv()
        key = self._key(k, new)
        self._objs[kind][key] = new
        self._reindex(kind, key, old, new)
        self._emit(kind, "MODIFIED", new, old)
        return new

    def update_status(self, obj: Obj) -> Obj:
        return self.update(obj, subresource="status")

    def mutate(self, kind: str, namespace: str, name: str, fn: Callable[[Obj], None],
               subresource: str | None = None) -> Obj:
        """Read, change a copy with ``fn`` and write it back (controllers' read-modify-write)."""
        obj = clone(self.get(kind, namespace, name))
        fn(obj)
        return self.update(obj, subresource=subresource)

    def delete(self, kind: str, namespace: str, name: str, grace: int | None = None,
               propagation: str | None = None, uid: str | None = None) -> Obj:
        """Delete as the API server does: graceful for bound pods, finalizers honoured.

        Returns the object as it stands afterwards (still present while Terminating).
        """
        k = info(kind)
        obj = self.get(kind, namespace, name)
        if uid and obj["metadata"]["uid"] != uid:
            raise conflict(k.plural, name, k.group)
        new = clone(obj)
        nmd = new["metadata"]
        terminating = "deletionTimestamp" in nmd
        grace = self._pod_grace(obj, grace) if kind == "Pod" else 0
        if kind == "Namespace":
            if terminating:
                return obj
            new.setdefault("status", {})["phase"] = "Terminating"
            return self._mark_deleted(k, obj, new, 0)
        finalizers = list(nmd.get("finalizers") or [])
        if not terminating:
            extra = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(propagation or "")
            if extra and extra not in finalizers:
                finalizers.append(extra)
                nmd["finalizers"] = finalizers
        if grace == 0 and not finalizers:
            return self._remove(k, new)
        if terminating and grace >= int(nmd.get("deletionGracePeriodSeconds", 0)):
            return obj
        return self._mark_deleted(k, obj, new, grace)

    def _mark_deleted(self, k: KindInfo, old: Obj, new: Obj, grace: int) -> Obj:
        nmd = new["metadata"]
        nmd["deletionTimestamp"] = iso(self.loop.now + grace)
        nmd["deletionGracePeriodSeconds"] = grace
        nmd["resourceVersion"] = self._next_rv()
        key = self._key(k, new)
        self._objs[k.kind][key] = new
        self._reindex(k.kind, key, old, new)
        self._emit(k.kind, "MODIFIED", new, old)
        return new

    def finalize(self, kind: str, namespace: str, name: str) -> Obj | None:
        """Remove an object whose deletion has completed (namespaces, pods after kubelet stop)."""
        obj = self.try_get(kind, namespace, name)
        if obj is None:
            return None
        return self._remove(info(kind), clone(obj))

    def _pod_grace(self, pod: Obj, grace: int | None) -> int:
        if not get_path(pod, "spec.nodeName") or get_path(pod, "status.phase") in ("Succeeded", "Failed"):
            return 0
        if grace is None:
            return int(get_path(pod, "spec.terminationGracePeriodSeconds", 30) or 0)
        return max(0, grace)

    def _remove(self, k: KindInfo, obj: Obj) -> Obj:
        key = self._key(k, obj)
        old = self._objs[k.kind].pop(key)
        final = clone(obj)
        final["metadata"]["resourceVersion"] = self._next_rv()
        self._reindex(k.kind, key, old, None)
        self._emit(k.kind, "DELETED", final, old)
        self._sizes.pop((k.kind, key), None)
        return final


class EtcdRequestTooLarge(StatusError):
    """etcd's ``request is too large``, which kube-apiserver does not translate: a 500 with no reason."""

    code = 500
    reason = ""

    def __init__(self) -> None:
        super().__init__("etcdserver: request is too large")

    def status(self) -> dict[str, Any]:
        body = super().status()
        body.pop("reason", None)
        return body


def _check_size(obj: Obj) -> int:
    size = len(json.dumps(obj, separators=(",", ":")))
    if size > MAX_OBJECT_BYTES:
        raise EtcdRequestTooLarge()
    return size


def _sorted_add(bucket: list[Key], key: Key) -> None:
    i = bisect.bisect_left(bucket, key)
    if i == len(bucket) or bucket[i] != key:
        bucket.insert(i, key)


def _sorted_discard(bucket: list[Key], key: Key) -> None:
    i = bisect.bisect_left(bucket, key)
    if i < len(bucket) and bucket[i] == key:
        del bucket[i]


def generate_name_conflict(plural: str, name: str, group: str = "") -> AlreadyExists:
    """errors.NewGenerateNameConflict: every generated name collided (409, retry after 1 s)."""
    qualified = f"{plural}.{group}" if group else plural
    details: dict[str, Any] = {"name": name, "kind": plural, "retryAfterSeconds": 1}
    if group:
        details["group"] = group
    return AlreadyExists(f'{qualified} "{name}" already exists, the server was not able to generate a unique name '
                         "for the object", details)


def _spec_of(obj: Obj) -> Any:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
