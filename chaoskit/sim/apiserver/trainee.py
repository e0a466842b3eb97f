"""A session's trainee on the simulator, held to the same policy as on a real cluster.

A session's embedded simulator is given the session's :class:`~chaoskit.kube.authz.Policy`; the
trainee identity's requests are then refused exactly as the audit proxy refuses them (the same
:func:`~chaoskit.kube.authz.authorize`, the same admission review, the same 403s). The facts come
from the store itself, so they are never stale. Guarded writes are reviewed on their dry run, made
by the simulator's own resource handlers; RBAC kinds are not served here (they answer 404), so
only pods, pod templates and the session namespace are reviewed. ``chaoskit sim serve`` passes no
policy: its trainee may do anything, as a cluster-admin may.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from chaoskit.kube.admit import RBAC_KINDS, guarded, needs_current, review
from chaoskit.kube.authz import Facts, Policy, authorize, facts_from, forbidden, header_refusal, is_control_plane
from chaoskit.kube.requestinfo import Canonical, RequestInfo
from chaoskit.kube.status import Forbidden, StatusError
from chaoskit.sim.apiserver import resources
from chaoskit.sim.apiserver.paths import parse
from chaoskit.sim.cluster import Cluster


class TraineeGuard:
    """``read`` is the server's own body reader (bounded in size and time, read once), so a body the
    guard judged is the body the handler then decodes."""

    def __init__(self, cluster: Cluster, policy: Policy,
                 read: Callable[[web.Request], Awaitable[bytes]]) -> None:
        self.cluster = cluster
        self.policy = policy
        self.read = read

    def facts(self, writing: bool) -> Facts:
        """The store's facts; the control plane matters only to writes (node patches, pod specs)."""
        store = self.cluster.store
        control = [str(n["metadata"]["name"]) for n in store.list("Node") if is_control_plane(n)] if writing else []
        return facts_from(self.policy, store.list("Namespace"), control)

    async def check(self, request: web.Request, req: Canonical, info: RequestInfo) -> None:
        """Raise the 403 the trainee's request earns; return when it may go on."""
        refused = header_refusal(request.headers, self.policy.user)
        if refused is not None:
            raise refused
        facts = self.facts(writing=not info.read)
        decision = authorize(info, self.policy, facts)
        if not decision.allowed:
            raise forbidden(info, self.policy.user, decision.reason)
        if not guarded(info) or (info.group, info.resource) in RBAC_KINDS:
            return
        new = await self._dry_run(request, req, info)
        if new is None:
            return  # the write fails on its own: its handler gives the same answer
        old = self.cluster.store.try_get("Namespace", "", info.name) if needs_current(info) else None
        refusal = review(info, self.policy, facts, new, old)
        if refusal is not None:
            raise refusal

    async def _dry_run(self, request: web.Request, req: Canonical, info: RequestInfo) -> dict[str, Any] | None:
        """What the write would make, from the handlers the write itself will use."""
        query = {**{k: v for k, v in reversed(req.params)}, "dryRun": "All"}  # the first value wins, as in Go
        raw = await self.read(request)
        content_type = request.headers.get("Content-Type", "")
        try:
            target = parse(req.path)
            if req.method == "PATCH":
                reply = resources.patch(self.cluster, target, raw, content_type, query)
            elif req.method == "PUT":
                reply = resources.update(self.cluster, target, resources.decode_body(raw, content_type, target.kind),
                                         query)
            else:
                body = resources.decode_body(raw, content_type, target.kind)
                if isinstance(body, dict) and body.get("kind") == "Binding":
                    # the simulator's scheduler binds through POST pods; the trainee, as admin, may not
                    raise forbidden(replace(info, subresource="binding"), self.policy.user)
                reply = resources.create(self.cluster, target, body, query)
        except Forbidden:
            raise
        except StatusError:
            return None
        return reply.body if isinstance(reply.body, dict) else None
