"""What every fault shares: targets, field changes with undo records, revert rules.

A fault changes the cluster through the Kubernetes API only. Before each change it writes an
undo record to the journal; ``revert`` restores a field only while it still holds the value the
fault wrote, so a trainee's own fix is never undone, and reverting twice is harmless.
"""

from __future__ import annotations

import builtins
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from jsonschema import Draft202012Validator

from chaoskit.cluster import Kube
from chaoskit.errors import ConfigError, ConflictError, InvalidError
from chaoskit.faults import pointer
from chaoskit.faults.journal import Journal, Record
from chaoskit.i18n import _
from chaoskit.scenario.dataschema import build, schema_of
from chaoskit.scenario.model import Target

Obj = dict[str, Any]


def resolve(target: Target, kube: Kube, namespace: str | None, rng: random.Random) -> list[Obj]:
    """The objects ``target`` names in ``namespace`` right now, chosen by its mode."""
    if target.name:
        obj = kube.try_get(target.kind, namespace, target.name)
        found = [obj] if obj is not None else []
    else:
        found = [o for o in kube.items(target.kind, namespace, target.selector)
                 if "deletionTimestamp" not in o["metadata"]]
    if not found:
        where = f"{target.kind} {target.name or target.selector or '(any)'}"
        raise ConfigError(_("fault target not found: {target} in namespace {namespace}").format(
            target=where, namespace=namespace or _("(cluster)")))
    found.sort(key=lambda o: o["metadata"]["name"])
    if target.mode == "one":
        return [rng.choice(found)]
    if target.mode == "fixed":
        return rng.sample(found, min(len(found), int(target.value or 1)))
    if target.mode == "fixed-percent":
        count = max(1, len(found) * int(target.value or 100) // 100)
        return rng.sample(found, min(len(found), count))
    return found


@dataclass(frozen=True)
class NoParams:
    """A fault type without parameters."""


@dataclass
class Outcome:
    """What revert did for each record: restored, already reverted, or left alone (and why)."""

    restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class Fault(ABC):
    """A fault type. ``Params`` is the dataclass of its parameters: their defaults are written there
    once, and the schema a scenario's ``params`` is validated against is generated from it."""

    type: ClassVar[str]
    summary: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ("Deployment",)
    Params: ClassVar[builtins.type[Any]] = NoParams

    def __init__(self, target: Target, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        if target.kind not in self.kinds:
            raise ConfigError(_("fault {type} applies to {kinds}, not {kind}").format(
                type=self.type, kinds=", ".join(self.kinds), kind=target.kind))
        problems = [e.message for e in Draft202012Validator(self.params_schema()).iter_errors(params or {})]
        if problems:
            raise ConfigError(_("fault {type}: parameters: {problems}").format(type=self.type,
                                                                               problems="; ".join(problems)))
        self.target = target
        self.params: Any = build(self.Params, params or {})
        self.rng = random.Random(seed)

    @classmethod
    def params_schema(cls) -> dict[str, Any]:
        return schema_of(cls.Params)

    # ------------------------------------------------------------------ what a fault defines

    @abstractmethod
    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        """(JSON pointer, new value) pairs this fault makes to one target object."""

    def describe(self) -> str:
        where = self.target.name or self.target.selector or "all"
        return f"{self.type}: {self.summary} ({self.target.kind} {where}, mode {self.target.mode})"

    # ------------------------------------------------------------------ inject, check, revert

    def plan(self, kube: Kube, namespace: str | None) -> list[str]:
        """Dry run: what inject would change, touching nothing."""
        lines = []
        for obj in resolve(self.target, kube, namespace, random.Random(self.rng.random())):
            for path, value in self.changes(obj):
                before = pointer.read(obj, path)
                lines.append(f"{obj['kind']} {_where(obj)}: {path}: {_show(before)} -> {_show(value)}")
        return lines

    def inject(self, kube: Kube, namespace: str | None, journal: Journal) -> list[Record]:
        records = []
        for obj in resolve(self.target, kube, namespace, self.rng):
            records += self._apply_fields(kube, obj, journal)
        return records

    def _apply_fields(self, kube: Kube, obj: Obj, journal: Journal) -> list[Record]:
        records = []
        ops: list[dict[str, Any]] = []
        scratch = obj
        for path, value in self.changes(obj):
            if pointer.read(obj, path) == value:
                continue  # already so: nothing to change, nothing to undo
            record = journal.add({"fault": self.type, "op": "field", "kind": obj["kind"],
                                  "namespace": obj["metadata"].get("namespace"), "name": obj["metadata"]["name"],
                                  "path": path, "before": pointer.read(obj, path), "after": value})
            records.append(record)
            ops += pointer.set_ops(scratch, path, value)
            scratch = _applied(scratch, path, value)
        if ops:
            kube.json_patch(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"], ops)
        for record in records:
            journal.mark(record, "injected")
        return records

    def took_effect(self, kube: Kube, record: Record) -> bool:
        return revert_state(kube, record) == "faulty"


def _applied(obj: Obj, path: str, value: Any) -> Obj:
    """A copy of ``obj`` with ``path`` set, so later pointer ops see parents created earlier."""
    import copy

    out = copy.deepcopy(obj)
    parts = path.split("/")[1:]
    cur: Any = out
    for part in parts[:-1]:
        key: Any = int(part) if isinstance(cur, list) else part
        if isinstance(cur, dict) and key not in cur:
            cur[key] = {}
        cur = cur[key]
    last: Any = int(parts[-1]) if isinstance(cur, list) else parts[-1]
    cur[last] = value
    return out


def _where(obj: Obj) -> str:
    ns = obj["metadata"].get("namespace")
    return f"{ns}/{obj['metadata']['name']}" if ns else obj["metadata"]["name"]


def _show(value: Any) -> str:
    return "(absent)" if value == pointer.ABSENT else repr(value)


# ---------------------------------------------------------------------------- revert


def revert_state(kube: Kube, record: Record) -> str:
    """faulty (the fault still holds), changed (someone else changed it since), or gone."""
    op = record["op"]
    if op == "field":
        obj = kube.try_get(record["kind"], record.get("namespace"), record["name"])
        if obj is None:
            return "gone"
        return "faulty" if pointer.read(obj, record["path"]) == record["after"] else "changed"
    if op == "taint":
        node = kube.try_get("Node", None, record["name"])
        if node is None:
            return "gone"
        taints = (node.get("spec") or {}).get("taints") or []
        return "faulty" if record["taint"] in taints else "changed"
    if op == "delete":
        exists = kube.try_get(record["kind"], record.get("namespace"), record["name"]) is not None
        return "changed" if exists else "faulty"
    if op == "kubelet":
        return "changed" if kube.kubelet_running(record["name"]) else "faulty"
    raise ConfigError(_("unknown undo operation {op!r}").format(op=op))


def _label(record: Record) -> str:
    return f"{record['fault']}: {record.get('kind', '')} {record['name']} {record.get('path', '')}".strip()


def revert(kube: Kube, journal: Journal) -> Outcome:
    """Undo every open record, newest first; idempotent.

    Field records of one object are restored in one patch, so values that must change together
    (a memory request and its limit) never pass through an invalid state.
    """
    outcome = Outcome()
    pending: list[Record] = []
    for record in journal.open_records():
        state = revert_state(kube, record)
        if state != "faulty":
            journal.mark(record, "skipped", "left as is: " + ("the object is gone" if state == "gone"
                                                              else "changed since the fault"))
            outcome.skipped.append(f"{_label(record)}: {journal_note(record)}")
        else:
            pending.append(record)
    groups: dict[tuple[str, Any, str], list[Record]] = {}
    for record in pending:
        key = (record["kind"], record.get("namespace"), record["name"]) if record["op"] == "field" else \
            ("", record["id"], "")
        groups.setdefault(key, []).append(record)
    for records in groups.values():
        try:
            _undo(kube, records)
        except (ConflictError, InvalidError):  # a field moved between our read and our write
            for record in records:
                journal.mark(record, "skipped", "left as is: changed during revert")
                outcome.skipped.append(f"{_label(record)}: changed during revert")
            continue
        for record in records:
            journal.mark(record, "reverted")
            outcome.restored.append(_label(record))
    return outcome


def journal_note(record: Record) -> str:
    return str(record.get("note", ""))


def _undo(kube: Kube, records: list[Record]) -> None:
    record = records[0]
    op = record["op"]
    if op == "field":
        obj = kube.get(record["kind"], record.get("namespace"), record["name"])
        # "test" makes the write fail if a field moved since revert_state looked at it.
        ops: list[dict[str, Any]] = [{"op": "test", "path": r["path"], "value": r["after"]} for r in records
                                     if r["after"] != pointer.ABSENT]
        for r in records:
            ops += pointer.set_ops(obj, r["path"], r["before"])
            obj = _applied(obj, r["path"], r["before"]) if r["before"] != pointer.ABSENT else obj
        kube.json_patch(record["kind"], record.get("namespace"), record["name"], ops)
    elif op == "taint":
        node = kube.get("Node", None, record["name"])
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t != record["taint"]]
        kube.merge_patch("Node", None, record["name"], {"spec": {"taints": taints or None}})
    elif op == "delete":
        kube.create(record["manifest"])
    elif op == "kubelet":
        kube.set_kubelet(record["name"], True)


REGISTRY: dict[str, type[Fault]] = {}


def register(cls: type[Fault]) -> type[Fault]:
    REGISTRY[cls.type] = cls
    return cls
