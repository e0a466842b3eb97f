"""Where chaoskit (and, through the audit proxy, the trainee) may write.

Reads are free; a write must land in a namespace of the session, or on a node when node faults
are allowed. kube-system is never writable. The rules read a request the way the API server's
RequestInfo does, so chaoskit's own writes and the proxied ones are judged by one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
# Cluster-scoped "writes" that change nothing: asking the server who one is or what one may do.
REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"})
NEVER = frozenset({"kube-system", "kube-public", "kube-node-lease"})


@dataclass(frozen=True)
class RequestInfo:
    """What a request addresses, as kube-apiserver's RequestInfoFactory reads it."""

    resource_request: bool
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""


def request_info(method: str, path: str, query: str = "") -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    lower = method.lower()
    if len(parts) >= 2 and parts[0] == "api":
        group, rest = "", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, rest = parts[1], parts[3:]
    else:
        return RequestInfo(False, lower)
    watch = bool(rest) and rest[0] == "watch"
    if watch:
        rest = rest[1:]
    namespace = ""
    if len(rest) > 1 and rest[0] == "namespaces":
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    if not rest:
        return RequestInfo(False, lower)
    resource, name = rest[0], rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    watch = watch or parse_qs(query).get("watch", [""])[0] in ("true", "1")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method.upper(), "")
    if method.upper() in ("GET", "HEAD"):
        verb = "watch" if watch else ("get" if name else "list")
    elif method.upper() == "DELETE":
        verb = "delete" if name else "deletecollection"
    if resource == "namespaces" and namespace and not name:
        name = namespace  # /api/v1/namespaces/NAME reads as the namespace object itself
    return RequestInfo(True, verb or lower, group, resource, subresource, namespace, name)


@dataclass(frozen=True)
class Scope:
    """The namespaces a session owns and whether node-level changes are allowed."""

    namespaces: frozenset[str]
    nodes: bool = False

    def refusal(self, method: str, path: str, query: str = "", body_name: str = "") -> str:
        """Why this request may not be made ('' when it may). ``body_name`` names the object a
        create makes (a namespace being created carries its name only in the body)."""
        if method.upper() in READ_METHODS:
            return ""
        if path.startswith("/chaoskit/"):
            return "" if self.nodes else "node-level changes are not allowed in this session"
        info = request_info(method, path, query)
        if not info.resource_request:
            return f"{method} {path} is not a resource write chaoskit allows"
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
