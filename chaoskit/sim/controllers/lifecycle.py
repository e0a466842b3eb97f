"""Garbage collection, namespace lifecycle and per-namespace defaults.

The garbage collector deletes dependents whose owner is gone (background propagation),
honours ``foregroundDeletion`` and ``orphan`` finalizers; the namespace controller empties a
terminating namespace and then removes it; new namespaces get their ``default``
ServiceAccount and ``kube-root-ca.crt`` ConfigMap as the real controllers create them.
"""

from __future__ import annotations

from typing import Any

from chaoskit.sim.controllers.base import Controller
from chaoskit.sim.kinds import BY_KIND, STORED
from chaoskit.sim.objects import Obj, clone

ROOT_CA = "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIchaoskitsimulatorrootca\n-----END CERTIFICATE-----\n"


class GarbageCollector(Controller):
    name = "garbage-collector-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if etype == "DELETED" or (etype == "MODIFIED" and md.get("finalizers") and "deletionTimestamp" in md):
            self.enqueue((kind, md.get("namespace", ""), md["name"], md["uid"]))
        if etype == "DELETED":
            # An owner waiting in foreground deletion may now be free to go.
            for ref in md.get("ownerReferences") or []:
                owner_ns = md.get("namespace", "") if ref.get("kind") not in ("Node", "Namespace") else ""
                self.enqueue((ref.get("kind", ""), owner_ns, ref.get("name", ""), ref.get("uid", "")))
        elif etype == "ADDED" and md.get("ownerReferences"):
            self.enqueue(("dependent", kind, md.get("namespace", ""), md["name"]))

    def dependents(self, uid: str) -> list[Obj]:
        out = []
        for k in STORED:
            out += self.store.by_index(k.kind, "owner", uid)
        return out

    def reconcile(self, key: Any) -> None:
        if key[0] == "dependent":
            self._check_owners(*key[1:])
            return
        kind, ns, name, uid = key
        if kind not in BY_KIND:
            return
        owner = self.store.try_get(kind, ns, name)
        if owner is not None and owner["metadata"]["uid"] != uid:
            owner = None
        deps = self.dependents(uid)
        if owner is None:
            for dep in deps:
                self._delete(dep, "Background")
            return
        finalizers = owner["metadata"].get("finalizers") or []
        if "orphan" in finalizers:
            for dep in deps:
                new = clone(dep)
                new["metadata"]["ownerReferences"] = [r for r in dep["metadata"]["ownerReferences"]
                                                      if r["uid"] != uid] or None
                if new["metadata"]["ownerReferences"] is None:
                    del new["metadata"]["ownerReferences"]
                self.store.update(new)
            self._drop_finalizer(owner, "orphan")
        elif "foregroundDeletion" in finalizers:
            live = [d for d in deps if d["metadata"].get("uid")]
            for dep in live:
                self._delete(dep, "Foreground")
            if not self.dependents(uid):
                self._drop_finalizer(owner, "foregroundDeletion")

    def _check_owners(self, kind: str, ns: str, name: str) -> None:
        obj = self.store.try_get(kind, ns, name)
        if obj is None:
            return
        for ref in obj["metadata"].get("ownerReferences") or []:
            owner_kind = next((k for k in STORED if k.kind == ref.get("kind")), None)
            if owner_kind is None:
                return
            owner = self.store.try_get(ref["kind"], ns if owner_kind.namespaced else "", ref["name"])
            if owner is not None and owner["metadata"]["uid"] == ref["uid"]:
                return
        self._delete(obj, "Background")

    def _delete(self, obj: Obj, propagation: str) -> None:
        md = obj["metadata"]
        if "deletionTimestamp" in md and propagation == "Background":
            return
        self.store.delete(obj["kind"], md.get("namespace", ""), md["name"], propagation=propagation)

    def _drop_finalizer(self, obj: Obj, finalizer: str) -> None:
        new = clone(obj)
        new["metadata"]["finalizers"] = [f for f in obj["metadata"]["finalizers"] if f != finalizer]
        if not new["metadata"]["finalizers"]:
            del new["metadata"]["finalizers"]
        self.store.update(new)


class NamespaceController(Controller):
    name = "namespace-controller"

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if kind == "Namespace" and etype != "DELETED":
            self.enqueue(md["name"])
        elif etype == "DELETED" and md.get("namespace"):
            ns = self.store.try_get("Namespace", "", md["namespace"])
            if ns is not None and "deletionTimestamp" in ns["metadata"]:
                self.enqueue(md["namespace"])

    def reconcile(self, key: Any) -> None:
        ns = self.store.try_get("Namespace", "", key)
        if ns is None:
            return
        if "deletionTimestamp" not in ns["metadata"]:
            self._populate(key)
            return
        remaining = 0
        for k in STORED:
            if not k.namespaced:
                continue
            for obj in self.store.list(k.kind, key):
                remaining += 1
                if "deletionTimestamp" not in obj["metadata"]:
                    self.store.delete(k.kind, key, obj["metadata"]["name"])
        if remaining == 0 or not any(self.store.list(k.kind, key) for k in STORED if k.namespaced):
            self.store.finalize("Namespace", "", key)

    def _populate(self, ns: str) -> None:
        if self.store.try_get("ServiceAccount", ns, "default") is None:
            self.store.create({"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": "default", "namespace": ns}})
        if self.store.try_get("ConfigMap", ns, "kube-root-ca.crt") is None:
            self.store.create({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": "kube-root-ca.crt", "namespace": ns,
                                            "annotations": {"kubernetes.io/description": (
                                                "Contains a CA bundle that can be used to verify the "
                                                "kube-apiserver when using internal endpoints such as the "
                                                "internal service IP or kubernetes.default.svc. No other usage is "
                                                "guaranteed across distributions of Kubernetes clusters.")}},
                               "data": {"ca.crt": ROOT_CA}})
