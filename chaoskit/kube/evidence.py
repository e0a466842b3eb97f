"""What a read showed: the facts an answer to a trainee's GET put in front of them.

Grading a diagnosis by its claims (``pod/web-1 status.containerStatuses[0].lastState.terminated.reason
=OOMKilled``) needs to know not only *that* the trainee read something, but *what* the read returned:
a claim earns credit only when a read made before the diagnosis showed it. The simulator and the
audit proxy both hand every successful trainee read to :func:`seen` and keep the result beside the
audit log, so the check is the same on every backend.

A record is small and bounded whatever the cluster holds: objects are flattened to ``path -> text``
(at most :data:`MAX_FIELDS` fields each, texts cut at :data:`MAX_TEXT` characters), Table rows keep
their printed cells by column, events keep reason, type and message, logs keep their lines; at most
:data:`MAX_ITEMS` objects, rows or events and :data:`MAX_LOG_LINES` log lines per read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ITEMS = 200
MAX_FIELDS = 400
MAX_TEXT = 300
MAX_LOG_LINES = 500
SKIP = ("metadata.managedFields", "metadata.uid", "metadata.resourceVersion", "metadata.generation",
        "metadata.creationTimestamp")


@dataclass(frozen=True)
class Shown:
    """One thing a read put in front of the trainee."""

    what: str            # "object", "row", "event" or "log"
    ref: str             # the object it is about, "KIND/NAME" with the kind in lower case (pod/web-1)
    namespace: str = ""
    facts: dict[str, str] = field(default_factory=dict)  # object: path -> text; row: column -> cell;
                                                         # event: reason/type/message; log: lines joined


@dataclass(frozen=True)
class Seen:
    """Everything one read showed, at the simulator time it was answered."""

    sim: float
    items: tuple[Shown, ...]
    truncated: bool = False

    def to_json(self) -> str:
        return json.dumps({"sim": self.sim, "truncated": self.truncated, "items": [asdict(i) for i in self.items]},
                          separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Seen:
        items = tuple(Shown(str(i["what"]), str(i["ref"]), str(i.get("namespace", "")),
                            {str(k): str(v) for k, v in (i.get("facts") or {}).items()})
                      for i in data.get("items") or ())
        return cls(float(data["sim"]), items, bool(data.get("truncated")))


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT]


def flatten(obj: Any, prefix: str = "", out: dict[str, str] | None = None) -> dict[str, str]:
    """``{"status": {"phase": "Running"}}`` -> ``{"status.phase": "Running"}``; list items by index
    (``spec.containers[0].image``); keys that are not plain words in brackets
    (``metadata.labels['app.kubernetes.io/name']``)."""
    out = {} if out is None else out
    if len(out) >= MAX_FIELDS or prefix in SKIP:
        return out
    if isinstance(obj, dict):
        for key, value in obj.items():
            name = str(key)
            path = f"{prefix}.{name}" if prefix and _plain_key(name) else \
                f"{prefix}['{name}']" if prefix else name
            flatten(value, path, out)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            flatten(value, f"{prefix}[{i}]", out)
    else:
        out[prefix] = _text(obj)
    return out


def _plain_key(name: str) -> bool:
    return name.replace("_", "").replace("-", "").isalnum()


def _ref(kind: str, name: str) -> str:
    return f"{kind.lower()}/{name}"


def _kind_of(resource: str) -> str:
    """The kind a plural resource lists (pods -> pod), for rows whose objects carry no kind."""
    special = {"endpoints": "endpoints", "ingresses": "ingress", "networkpolicies": "networkpolicy",
               "storageclasses": "storageclass", "ingressclasses": "ingressclass",
               "priorityclasses": "priorityclass", "endpointslices": "endpointslice"}
    if resource in special:
        return special[resource]
    return resource[:-1] if resource.endswith("s") else resource


def _object(obj: dict[str, Any], resource: str) -> Shown:
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind") or _kind_of(resource))
    if kind == "Event":
        involved = obj.get("involvedObject") or obj.get("regarding") or {}
        return Shown("event", _ref(str(involved.get("kind", "")), str(involved.get("name", ""))),
                     str(meta.get("namespace", "")),
                     {"reason": _text(obj.get("reason", "")), "type": _text(obj.get("type", "")),
                      "message": _text(obj.get("message", obj.get("note", "")))})
    return Shown("object", _ref(kind, str(meta.get("name", ""))), str(meta.get("namespace", "")), flatten(obj))


def _table(doc: dict[str, Any], resource: str) -> tuple[list[Shown], bool]:
    columns = [str(c.get("name", "")) for c in doc.get("columnDefinitions") or []]
    rows = doc.get("rows") or []
    shown = []
    for row in rows[:MAX_ITEMS]:
        meta = ((row.get("object") or {}).get("metadata")) or {}
        cells = {col: _text(cell) for col, cell in zip(columns, row.get("cells") or [], strict=False)}
        name = str(meta.get("name") or cells.get("Name", ""))
        if resource == "events":
            shown.append(Shown("event", _event_ref(cells.get("Object", "")), str(meta.get("namespace", "")),
                               {"reason": cells.get("Reason", ""), "type": cells.get("Type", ""),
                                "message": cells.get("Message", "")}))
        else:
            shown.append(Shown("row", _ref(_kind_of(resource), name), str(meta.get("namespace", "")), cells))
    return shown, len(rows) > MAX_ITEMS


def _event_ref(printed: str) -> str:
    """``pod/web-1`` as ``kubectl get events`` prints the object column (kind lower-cased)."""
    kind, _, name = printed.partition("/")
    return _ref(kind, name) if name else printed.lower()


def seen(sim: float, resource: str, subresource: str, name: str, namespace: str, content_type: str,
         body: bytes) -> Seen | None:
    """What one successful read returned, or None when it showed nothing a claim can name
    (discovery, OpenAPI, a body that is not JSON or text)."""
    if subresource == "log":
        lines = body.decode("utf-8", errors="replace").splitlines()
        return Seen(sim, (Shown("log", _ref("pod", name), namespace,
                                {"lines": "\n".join(lines[-MAX_LOG_LINES:])}),), len(lines) > MAX_LOG_LINES)
    if not resource or "json" not in content_type:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    if doc.get("kind") == "Table":
        rows, cut = _table(doc, resource)
        return Seen(sim, tuple(rows), cut)
    if isinstance(doc.get("items"), list):
        items = [i for i in doc["items"] if isinstance(i, dict)]
        return Seen(sim, tuple(_object(i, resource) for i in items[:MAX_ITEMS]), len(items) > MAX_ITEMS)
    if doc.get("kind") == "Status":
        return None
    return Seen(sim, (_object(doc, resource),))
