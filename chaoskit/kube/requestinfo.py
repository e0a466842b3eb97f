"""What a request addresses, read once from the bytes on the wire, the way kube-apiserver reads it.

Authorising one string and forwarding another is how path tricks get through a proxy: the check
sees ``/api/v1/namespaces/mine/../kube-system/configmaps`` as a request in ``mine``, and an HTTP
client that cleans dot segments afterwards sends it to ``kube-system``. So a request is first made
*canonical* (:func:`canonical`), and a target that two readers could read two ways is refused with
a 400 before anything else looks at it:

* in the path: empty, ``.`` or ``..`` segments; ``.``, ``/``, ``\\``, ``%`` or NUL percent-encoded
  (so the decoded path has no ``%`` left and no further decoding can make a dot segment); a
  literal backslash; control characters;
* anywhere: a ``#`` (never part of a request target), bytes outside printable ASCII, a ``%`` that
  starts no escape, a target longer than :data:`MAX_TARGET`;
* in the query: a literal ``;`` (Go's ``url.ParseQuery`` drops such a pair, Python's keeps it in
  the value) and escapes that are not UTF-8.

Percent-escapes of other characters are decoded, and the path and the query are re-encoded one
way (``+`` and ``;`` in a value always escaped). The canonical string is what gets authorised,
audited and forwarded, and nothing normalises it again.

:func:`request_info` then reads the canonical request as ``RequestInfoFactory.NewRequestInfo``
(k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) does: the ``/api`` and ``/apis`` prefixes,
the ``watch`` and ``proxy`` verbs in the path (``/api/v1/watch/...``, the legacy
``/api/v1/proxy/...``), namespace subresources, ``watch`` as apimachinery converts a query bool
(anything but absent, ``0`` or ``false``), and the name of a list or watch narrowed by a
``metadata.name`` field selector. One deliberate difference: the streaming pod subresources
(``exec``, ``attach``, ``portforward``) are ``create`` whatever the method, as kube-apiserver
authorises them since v1.35 (``AuthorizePodWebsocketUpgradeCreatePermission``: the WebSocket
upgrade must also be allowed to ``create``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode

from chaoskit.kube.status import BadRequest

READ_VERBS = frozenset({"get", "list", "watch"})
STREAM_SUBRESOURCES = frozenset({"exec", "attach", "portforward"})
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
API_PREFIXES = frozenset({"api", "apis"})
PATH_VERBS = frozenset({"proxy", "watch"})   # specialVerbs: a verb spelled as a path segment
_FORBIDDEN_ESCAPE = re.compile(r"%(2[eEfF5]|5[cC]|00)")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PRINTABLE = re.compile(r"[!-~]*")
# What may stay literal in a canonical path: RFC 3986 pchar minus '%' (escapes are re-made).
_SAFE = "-._~!$&'()*+,;=:@"
# In a query value: no '&', '=', '+' (a space to every reader), ';' or '%'.
_QUERY_SAFE = "-._~!$'()*,:@/?"
MAX_TARGET = 8192  # bytes of request target; Go's net/http refuses longer request lines too
# k8s.io/apimachinery/pkg/api/validation/path.IsValidPathSegmentName
_BAD_NAME_PARTS = ("/", "%")


@dataclass(frozen=True)
class Canonical:
    """A request target in its one canonical spelling."""

    method: str
    path: str                              # decoded, without dot or empty segments, without '%'
    params: tuple[tuple[str, str], ...]    # the query, decoded, in order

    @property
    def query(self) -> str:
        return urlencode(self.params, quote_via=quote, safe=_QUERY_SAFE)

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
    if not _PRINTABLE.fullmatch(raw_target):
        raise _refuse(raw_target, "only printable ASCII may appear in a request target; percent-encode the rest")
    if "#" in raw_target:
        raise _refuse(raw_target, "a request target has no fragment ('#')")
    path, _, query = raw_target.partition("?")
    if not path.startswith("/"):
        raise _refuse(raw_target, "a request path starts with '/'")
    if "\\" in path:
        raise _refuse(raw_target, "backslashes are not allowed")
    if _FORBIDDEN_ESCAPE.search(path):
        raise _refuse(raw_target, "'.', '/', '\\', '%' and NUL may not be percent-encoded")
    if "%" in _ESCAPE.sub("", raw_target):
        raise _refuse(raw_target, "a '%' that does not start an escape")
    try:
        decoded = unquote(path, errors="strict") if "%" in path else path
    except UnicodeDecodeError as exc:
        raise _refuse(raw_target, "percent-escapes must spell UTF-8") from exc
    segments = decoded.split("/")[1:]
    body = segments[:-1] if segments and segments[-1] == "" else segments  # one trailing '/' is harmless
    for segment in body:
        if segment == "":
            raise _refuse(raw_target, "empty path segments ('//') are not allowed")
        if segment in (".", ".."):
            raise _refuse(raw_target, "dot segments ('.' and '..') are not allowed")
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in segment):
            raise _refuse(raw_target, "control characters are not allowed")
    if ";" in query:
        raise BadRequest("invalid query string: a ';' separates nothing in a Kubernetes query; "
                         "percent-encode it as %3B")
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

    @property
    def resource_path(self) -> str:
        """``pods/exec`` as RBAC names a resource with its subresource."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}


def query_bool(value: str | None) -> bool:
    """A query parameter as apimachinery's ``Convert_Slice_string_To_bool`` reads it: only absent,
    ``0`` and ``false`` (any case) are false."""
    return value is not None and value != "0" and value.lower() != "false"


def _selected_name(req: Canonical) -> str:
    """The name a list or watch is narrowed to by ``fieldSelector=metadata.name=NAME`` (as
    ``fields.Selector.RequiresExactMatch``), '' when the options would not decode or name nothing."""
    for number in ("limit", "timeoutSeconds"):
        value = req.param(number)
        if value is not None and not re.fullmatch(r"[+-]?\d+", value):
            return ""   # ListOptions fail to decode: kube-apiserver keeps the verb and drops the name
    selector = req.param("fieldSelector")
    if not selector:
        return ""
    for term in _split_unescaped(selector, ","):
        for op in ("==", "!=", "="):
            field, sep, value = _partition_unescaped(term, op)
            if sep:
                break
        else:
            return ""   # a term without an operator: the selector does not parse
        if op != "!=" and _unescape(field.strip()) == "metadata.name":
            name = _unescape(value)
            if name in (".", "..") or any(p in name for p in _BAD_NAME_PARTS):
                return ""
            return name
    return ""


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, escaped = [], "", False
    for ch in text:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current + ("\\" if escaped else ""))
    return parts


def _partition_unescaped(text: str, op: str) -> tuple[str, str, str]:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(op, i):
            return text[:i], op, text[i + len(op):]
        i += 1
    return text, "", ""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def request_info(req: Canonical) -> RequestInfo:
    """``RequestInfoFactory.NewRequestInfo`` for a canonical request (see the module docstring)."""
    method = req.method
    lower = method.lower()
    parts = req.path.strip("/").split("/") if req.path.strip("/") else []
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return RequestInfo(False, lower, req.path)
    prefix, rest = parts[0], parts[1:]
    group = ""
    if prefix == "apis":
        if len(rest) < 3:
            return RequestInfo(False, lower, req.path)
        group, rest = rest[0], rest[1:]
    version, rest = rest[0], rest[1:]
    path_verb = rest[0] in PATH_VERBS
    if path_verb:
        if len(rest) < 2:
            raise BadRequest(f"unable to determine kind and namespace from url {req.target}")
        verb, rest = rest[0], rest[1:]
    else:
        verb = METHOD_VERBS.get(method, "")
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    subresource = rest[2] if len(rest) >= 3 and verb != "proxy" else ""
    name = rest[1] if len(rest) >= 2 else ""
    resource = rest[0]
    tail = "/".join(rest[3:]) if verb != "proxy" else "/".join(rest[2:])
    if not name and verb == "get":
        verb = "watch" if query_bool(req.param("watch")) else "list"
        name = _selected_name(req)
    if not name and verb == "delete":
        verb = "deletecollection"
    if resource == "pods" and subresource in STREAM_SUBRESOURCES:
        verb = "create"
    return RequestInfo(True, verb, req.path, prefix, group, version, resource, subresource, namespace, name, tail)
