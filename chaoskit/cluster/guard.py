"""The audit proxy's judgement of one trainee request, before anything reaches the cluster.

After its headers passed :func:`chaoskit.kube.authz.header_refusal` (``Impersonate-*`` and
``X-Remote-*`` are refused outright, never dropped silently, so ``kubectl --as`` fails loudly
instead of running as the facilitator), the request is authorised by
:func:`chaoskit.kube.authz.authorize` against what the cluster says now (:class:`Neighbourhood`);
a guarded write (pods and pod templates, RBAC, the session's namespace) is asked of the cluster
with ``dryRun=All`` and its result reviewed by :func:`chaoskit.kube.admit.review`.

**Why a short-lived cache, re-read on surprise.** Other sessions' namespaces and the control-plane
nodes are read from the cluster (a namespace list and a labelled node list) and kept for
:data:`TTL` seconds. A request into a namespace the cache has never seen re-reads at once (at most
every :data:`MIN_GAP`), so a session that starts after the last read is known before the trainee
can touch its namespace; a list across namespaces may see the cluster as it was up to :data:`TTL`
ago. A watch would be fresher but needs a long-lived stream per proxy and its reconnection logic;
two small GETs every two seconds, only while the trainee is active, are simpler to trust.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from chaoskit.kube.admit import decode, guarded, needs_current, ref_not_found, review, role_ref
from chaoskit.kube.authz import CLUSTER_ROLES, Facts, Policy, Rule, facts_from, rules_of
from chaoskit.kube.requestinfo import RequestInfo
from chaoskit.kube.status import ServiceUnavailable, StatusError

TTL = 2.0
MIN_GAP = 0.25
NAMESPACES_PATH = "/api/v1/namespaces"
CONTROL_PLANE_PATH = "/api/v1/nodes?labelSelector=node-role.kubernetes.io%2Fcontrol-plane"


@dataclass(frozen=True)
class Reply:
    """An upstream answer read whole (small: lists for the cache, dry runs, a role)."""

    status: int
    content_type: str
    body: bytes


Fetch = Callable[[str, str, bytes, dict[str, str]], Awaitable[Reply]]


class Neighbourhood:
    """:class:`Facts` about the cluster, cached briefly (see the module docstring)."""

    def __init__(self, policy: Policy, fetch: Fetch, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.fetch = fetch
        self.clock = clock
        self.facts = Facts()
        self.known: frozenset[str] = frozenset()
        self.read_at = float("-inf")
        self._lock = asyncio.Lock()

    def fresh(self, namespace: str = "") -> bool:
        """Whether the cached facts may answer a request into ``namespace`` (no await on the hot path)."""
        age = self.clock() - self.read_at
        return not (age > TTL or (namespace and namespace not in self.known and age > MIN_GAP))

    async def refreshed(self) -> Facts:
        await self.refresh()
        return self.facts

    async def current(self, namespace: str = "") -> Facts:
        return self.facts if self.fresh(namespace) else await self.refreshed()

    async def refresh(self) -> None:
        async with self._lock:
            if self.clock() - self.read_at <= MIN_GAP:
                return  # read while this request waited for the lock
            namespaces = await self._items(NAMESPACES_PATH)
            control = await self._items(CONTROL_PLANE_PATH)
            self.facts = facts_from(self.policy, namespaces, (str(n["metadata"]["name"]) for n in control))
            self.known = frozenset(str(n["metadata"]["name"]) for n in namespaces)
            self.read_at = self.clock()

    async def _items(self, path: str) -> list[dict[str, Any]]:
        reply = await self.fetch("GET", path, b"", {})
        if reply.status != 200:
            raise ServiceUnavailable(f"the audit proxy cannot read {path} from the cluster (HTTP {reply.status})")
        items = _json(reply).get("items") or []
        return [i for i in items if isinstance(i, dict) and isinstance(i.get("metadata"), dict)]


class Admission:
    """Guarded writes, judged on the object the cluster says they would make (``dryRun=All``),
    one at a time per object so two writes cannot each pass a check their sum would fail."""

    def __init__(self, policy: Policy, fetch: Fetch) -> None:
        self.policy = policy
        self.fetch = fetch
        self._locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}

    def lock(self, info: RequestInfo) -> asyncio.Lock:
        return self._locks.setdefault((info.group, info.resource, info.namespace, info.name), asyncio.Lock())

    async def judge(self, info: RequestInfo, method: str, target: str, body: bytes, content_type: str,
                    facts: Facts) -> StatusError | Reply | None:
        """None: forward it. A Reply: the dry run's own failure, which is the answer. A
        StatusError: the refusal. A body this proxy can read is reviewed first as sent (a
        refusal needs no round trip, and kinds the cluster does not serve are still judged),
        then always as the cluster's dry run reads it."""
        if not guarded(info):
            return None
        old = None
        if needs_current(info):
            current = await self.fetch("GET", f"/api/v1/namespaces/{info.name}", b"", {})
            if current.status == 200:
                old = _json(current)
        sent = decode(body, content_type) if method in ("POST", "PUT") else None
        if sent is not None and (refused := await self._review(info, facts, sent, old)) is not None:
            return refused
        separator = "&" if "?" in target else "?"
        headers = {"Content-Type": content_type} if content_type else {}
        dry = await self.fetch(method, f"{target}{separator}dryRun=All", body, headers)
        if dry.status >= 400:
            return dry
        return await self._review(info, facts, _json(dry), old)

    async def _review(self, info: RequestInfo, facts: Facts, new: dict[str, Any],
                      old: dict[str, Any] | None) -> StatusError | None:
        referenced: tuple[Rule, ...] = ()
        if info.resource == "rolebindings":
            kind, path, name = role_ref(info, new)
            if not kind:
                return None   # no role named: the cluster's validation refuses it
            found = await self.fetch("GET", path, b"", {})
            if found.status == 200:
                referenced = rules_of(_json(found))
            elif found.status == 404 and kind == "ClusterRole" and name in CLUSTER_ROLES:
                referenced = CLUSTER_ROLES[name]   # a cluster without RBAC's API (the simulator): the defaults
            else:
                return ref_not_found(info, new)
        return review(info, self.policy, facts, new, old, referenced)


def _json(reply: Reply) -> dict[str, Any]:
    """An upstream object; an answer that is none is the cluster failing, not the trainee."""
    try:
        doc = json.loads(reply.body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ServiceUnavailable(f"the cluster answered the audit proxy with something that is not a JSON object "
                                 f"(HTTP {reply.status}, {reply.content_type})")
    return doc
