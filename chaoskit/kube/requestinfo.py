"""What a request addresses, read once from the bytes on the wire, the way kube-apiserver reads it.

Authorising one string and forwarding another is how path tricks get through a proxy: the check
sees ``/api/v1/namespaces/mine/../kube-system/configmaps`` as a request in ``mine``, and an HTTP
client that cleans dot segments afterwards sends it to ``kube-system``. So a request is first made
*canonical* (:func:`canonical`): a path with empty, ``.`` or ``..`` segments, or with ``.``, ``/``
or ``\\`` percent-encoded, is refused with a 400 before anything else looks at it; percent-escapes
of other characters are decoded and re-encoded one way; the query is re-encoded in its original
order. The canonical string is what gets authorised, audited and forwarded, and nothing
normalises it again.

:func:`request_info` then reads the canonical request as ``RequestInfoFactory.NewRequestInfo``
(k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) does, with one deliberate difference:
the streaming pod subresources (``exec``, ``attach``, ``portforward``) are ``create`` whatever the
method, as the API server authorises their WebSocket upgrades since v1.30
(``AuthorizePodWebsocketUpgradeCreatePermission``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode

from chaoskit.kube.status import BadRequest

READ_VERBS = frozenset({"get", "list", "watch"})
STREAM_SUBRESOURCES = frozenset({"exec", "attach", "portforward"})
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_FORBIDDEN_ESCAPE = re.compile(r"%(2[eEfF]|5[cC]|00)")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# What may stay literal in a canonical path: RFC 3986 pchar minus '%' (escapes are re-made).
_SAFE = "-._~!$&'()*+,;=:@"
MAX_TARGET = 8192  # bytes of request target; Go's net/http refuses longer request lines too


@dataclass(frozen=True)
class Canonical:
    """A request target in its one canonical spelling."""

    method: str
    path: str                              # decoded, without dot or empty segments
    params: tuple[tuple[str, str], ...]    # the query, decoded, in order

    @property
    def query(self) -> str:
        return urlencode(self.params, quote_via=quote, safe=_SAFE.replace("&", "").replace("=", ""))

    @property
    def target(self) -> str:
        """What is forwarded: the path re-encoded one way, then the query."""
        encoded = quote(self.path, safe="/" + _SAFE)
        return f"{encoded}?{self.query}" if self.params else encoded

    def param(self, name: str) -> str | None:
        """The first value of ``name``, as Go's ``url.Values.Get`` reads it."""
        return next((v for k, v in self.params if k == name), None)


def _refuse(raw: str, why: str) -> BadRequest:
    shown = raw if len(raw) <= 200 else raw[:200] + "..."
    return BadRequest(f"invalid request path {shown!r}: {why}")


def canonical(method: str, raw_target: str) -> Canonical:
    """The canonical form of ``METHOD raw_target`` (the request line's target, still encoded);
    raises :class:`BadRequest` for a target that could mean two things."""
    if len(raw_target) > MAX_TARGET:
        raise _refuse(raw_target, f"longer than {MAX_TARGET} bytes")
    path, _, query = raw_target.partition("?")
    path = path.partition("#")[0]
    if not path.startswith("/"):
        raise _refuse(raw_target, "a request path starts with '/'")
    if "\\" in path:
        raise _refuse(raw_target, "backslashes are not allowed")
    if _FORBIDDEN_ESCAPE.search(path):
        raise _refuse(raw_target, "'.', '/', '\\' and NUL may not be percent-encoded")
    if "%" in _ESCAPE.sub("", path):
        raise _refuse(raw_target, "a '%' that does not start an escape")
    decoded = unquote(path, errors="strict") if "%" in path else path
    segments = decoded.split("/")[1:]
    body = segments[:-1] if segments and segments[-1] == "" else segments  # one trailing '/' is harmless
    for segment in body:
        if segment == "":
            raise _refuse(raw_target, "empty path segments ('//') are not allowed")
        if segment in (".", ".."):
            raise _refuse(raw_target, "dot segments ('.' and '..') are not allowed")
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in segment):
            raise _refuse(raw_target, "control characters are not allowed")
    try:
        params = tuple(parse_qsl(query, keep_blank_values=True, errors="strict"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"invalid query string: {exc}") from exc
    return Canonical(method.upper(), decoded, params)


@dataclass(frozen=True)
class RequestInfo:
    """What a request addresses (``resource_request`` False: a non-resource path such as /version)."""

    resource_request: bool
    verb: str
    path: str = ""
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    rest: str = ""    # what follows a proxy subresource

    @property
    def read(self) -> bool:
        return self.verb in READ_VERBS


def request_info(req: Canonical) -> RequestInfo:
    method = req.method
    parts = [p for p in req.path.strip("/").split("/")] if req.path.strip("/") else []
    lower = method.lower()
    if len(parts) >= 2 and parts[0] == "api":
        prefix, group, version, rest = "api", "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        prefix, group, version, rest = "apis", parts[1], parts[2], parts[3:]
    else:
        return RequestInfo(False, lower, req.path)
    legacy_watch = bool(rest) and rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace = ""
    if len(rest) > 1 and rest[0] == "namespaces":
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    if not rest:
        return RequestInfo(False, lower, req.path)
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    tail = "/".join(rest[3:])
    if resource == "namespaces" and namespace:
        name = namespace  # /api/v1/namespaces/NAME[/status] is the namespace object itself
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, "")
    if method in ("GET", "HEAD"):
        watching = legacy_watch or req.param("watch") in ("true", "1")
        verb = "watch" if watching else ("get" if name else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    if resource == "pods" and subresource in STREAM_SUBRESOURCES:
        verb = "create"
    return RequestInfo(True, verb or lower, req.path, prefix, group, version, resource, subresource, namespace,
                       name, tail)
