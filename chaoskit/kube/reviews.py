"""``kubectl auth can-i`` and ``kubectl auth whoami``, answered with the trainee's own policy.

The audit proxy forwards with the facilitator's credentials, so a self review forwarded upstream
would answer for the facilitator: "yes" to everything, and the facilitator's name. The proxy
answers SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview itself instead,
from :mod:`chaoskit.kube.authz`. kubectl sends them as protobuf (``k8s\\0`` + runtime.Unknown);
the few fields a review carries are read here (k8s.io/api/authorization/v1/generated.proto:
SelfSubjectAccessReview 2 spec; spec 1 resourceAttributes {1 namespace, 2 verb, 3 group,
4 version, 5 resource, 6 subresource, 7 name}, 2 nonResourceAttributes {1 path, 2 verb};
SelfSubjectRulesReview 2 spec {1 namespace}). The answer is JSON, which kubectl accepts.
"""

from __future__ import annotations

import json
from typing import Any

from chaoskit.kube.authz import DISCOVERY, Facts, Policy, authorize, granted
from chaoskit.kube.requestinfo import RequestInfo
from chaoskit.kube.status import BadRequest

AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATION = "authentication.k8s.io"
REVIEWS = {(AUTHORIZATION, "selfsubjectaccessreviews"), (AUTHORIZATION, "selfsubjectrulesreviews"),
           (AUTHENTICATION, "selfsubjectreviews")}
MAGIC = b"k8s\x00"
_ATTRIBUTES = ("namespace", "verb", "group", "version", "resource", "subresource", "name")


def is_self_review(info: RequestInfo) -> bool:
    return info.resource_request and info.verb == "create" and (info.group, info.resource) in REVIEWS \
        and not info.subresource


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        result |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return result, pos
        shift += 7
    raise BadRequest("protobuf: truncated varint")


def _fields(data: bytes) -> dict[int, bytes]:
    """The length-delimited fields of one message (the first of each number); others skipped."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        wire = key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise BadRequest("protobuf: truncated field")
            out.setdefault(key >> 3, data[pos:pos + length])
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise BadRequest(f"protobuf: wire type {wire} is not read here")
    return out


def _strings(data: bytes, names: tuple[str, ...]) -> dict[str, str]:
    found = _fields(data)
    return {name: found.get(i + 1, b"").decode("utf-8", "replace") for i, name in enumerate(names)}


def _spec(body: bytes, content_type: str, resource: str) -> dict[str, Any]:
    """The review's ``spec`` as JSON, from a JSON or a protobuf body."""
    if "protobuf" not in content_type:
        try:
            doc = json.loads(body or b"{}")
        except ValueError as exc:
            raise BadRequest(f"couldn't get version/kind; json parse error: {exc}") from exc
        spec = doc.get("spec") if isinstance(doc, dict) else None
        return spec if isinstance(spec, dict) else {}
    if not body.startswith(MAGIC):
        raise BadRequest("protobuf: the body does not start with the k8s magic")
    raw = _fields(body[len(MAGIC):]).get(2, b"")
    spec = _fields(_fields(raw).get(2, b""))
    if resource == "selfsubjectrulesreviews":
        return {"namespace": spec.get(1, b"").decode("utf-8", "replace")}
    out: dict[str, Any] = {}
    if 1 in spec:
        out["resourceAttributes"] = _strings(spec[1], _ATTRIBUTES)
    if 2 in spec:
        out["nonResourceAttributes"] = _strings(spec[2], ("path", "verb"))
    return out


def answer(info: RequestInfo, policy: Policy, facts: Facts, body: bytes, content_type: str) -> dict[str, Any]:
    """The review, filled in as kube-apiserver would fill it for the trainee (answered 201)."""
    spec = _spec(body, content_type, info.resource)
    version = info.version or "v1"
    if info.resource == "selfsubjectreviews":
        return {"kind": "SelfSubjectReview", "apiVersion": f"{AUTHENTICATION}/{version}",
                "metadata": {"creationTimestamp": None},
                "status": {"userInfo": {"username": policy.user, "groups": list(policy.groups)}}}
    if info.resource == "selfsubjectrulesreviews":
        namespace = str(spec.get("namespace") or "")
        rules = granted(policy, facts, namespace)
        return {"kind": "SelfSubjectRulesReview", "apiVersion": f"{AUTHORIZATION}/{version}",
                "metadata": {"creationTimestamp": None}, "spec": {"namespace": namespace},
                "status": {"resourceRules": [{"verbs": list(r.verbs), "apiGroups": list(r.groups),
                                              "resources": list(r.resources),
                                              **({"resourceNames": list(r.names)} if r.names else {})}
                                             for r in rules if r.resources],
                           "nonResourceRules": [{"verbs": list(r.verbs), "nonResourceURLs": list(r.urls)}
                                                for r in DISCOVERY],
                           "incomplete": False}}
    attributes = spec.get("resourceAttributes") or {}
    plain = spec.get("nonResourceAttributes") or {}
    if attributes:
        asked = RequestInfo(True, str(attributes.get("verb", "")), "", "", str(attributes.get("group", "")),
                            str(attributes.get("version", "")), str(attributes.get("resource", "")),
                            str(attributes.get("subresource", "")), str(attributes.get("namespace", "")),
                            str(attributes.get("name", "")))
    else:
        asked = RequestInfo(False, str(plain.get("verb", "")), str(plain.get("path", "")))
    decision = authorize(asked, policy, facts)
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return {"kind": "SelfSubjectAccessReview", "apiVersion": f"{AUTHORIZATION}/{version}",
            "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}
