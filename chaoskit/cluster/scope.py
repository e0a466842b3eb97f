"""Where chaoskit itself may write.

Chaoskit's own client (faults, checks, installs) runs with the facilitator's credentials, so it
holds itself to the session: reads are free; a write must land in a namespace of the session, or
on a node when node faults are allowed. kube-system and its siblings are never writable. The rules
read a request the way the API server's RequestInfo does. The trainee's requests are judged
elsewhere, by the trainee's RBAC (:mod:`chaoskit.kube.authz`), which is stricter.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.kube.authz import NEVER_WRITTEN
from chaoskit.kube.identity import CONTROL_PREFIX
from chaoskit.kube.requestinfo import Canonical, request_info

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Cluster-scoped "writes" that change nothing: asking the server who one is or what one may do.
REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"})
NEVER = NEVER_WRITTEN


@dataclass(frozen=True)
class Scope:
    """The namespaces a session owns and whether node-level changes are allowed."""

    namespaces: frozenset[str]
    nodes: bool = False

    def refusal(self, req: Canonical, body_name: str = "") -> str:
        """Why this canonical request may not be made ('' when it may). ``body_name`` names the
        object a create makes (a namespace being created carries its name only in the body)."""
        if req.method in READ_METHODS:
            return ""
        if req.path.startswith(CONTROL_PREFIX):
            return "" if self.nodes else "node-level changes are not allowed in this session"
        info = request_info(req)
        if not info.resource_request:
            return f"{req.method} {req.path} is not a resource write chaoskit allows"
        if info.resource in REVIEWS:
            return ""
        if info.resource == "namespaces":
            name = info.name or body_name
            if name in self.namespaces:
                return ""
            return f'namespace "{name}" was not created by this session' if name else \
                "only chaoskit creates namespaces in this session"
        if info.resource == "nodes":
            return "" if self.nodes else "node-level changes are not allowed in this session"
        if info.namespace in NEVER:
            return f'namespace "{info.namespace}" is never touched'
        if info.namespace not in self.namespaces:
            where = f'namespace "{info.namespace}"' if info.namespace else f'cluster-scoped {info.resource}'
            return f"{where} is outside this session"
        return ""
