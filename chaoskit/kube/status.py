"""The API server's failure answers: ``Status`` objects worded as kube-apiserver words them.

The simulator raises these to answer a request, and the audit proxy raises them to refuse one;
:func:`response` turns one into the HTTP answer. They are the server side's vocabulary, not
errors chaoskit reports to its user (those derive from ``chaoskit.errors.ChaoskitError``; a
client that receives a ``Status`` converts it there)::

    StatusError                a non-success answer; ``status()`` is its ``Status`` body
    ├── BadRequest             400
    ├── Unauthorized           401
    ├── Forbidden              403
    ├── NotFound               404
    ├── MethodNotAllowed       405
    ├── Conflict               409 (reason Conflict: stale resourceVersion)
    │   └── AlreadyExists      409 (reason AlreadyExists)
    ├── Gone                   410 (watch resourceVersion too old)
    ├── RequestEntityTooLarge  413
    ├── UnsupportedMediaType   415
    ├── Invalid                422 (field errors, with ``details.causes``)
    ├── TooManyRequests        429
    ├── InternalError          500
    └── ServiceUnavailable     503
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class StatusError(Exception):
    """A non-success Kubernetes API answer, shaped as a ``Status`` object."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        """The ``Status`` object a real API server would send for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(StatusError):
    code = 400
    reason = "BadRequest"


class Unauthorized(StatusError):
    code = 401
    reason = "Unauthorized"

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class Forbidden(StatusError):
    code = 403
    reason = "Forbidden"


class NotFound(StatusError):
    code = 404
    reason = "NotFound"


class Conflict(StatusError):
    code = 409
    reason = "Conflict"


class AlreadyExists(Conflict):
    reason = "AlreadyExists"


class Gone(StatusError):
    code = 410
    reason = "Expired"


class Invalid(StatusError):
    code = 422
    reason = "Invalid"


class InternalError(StatusError):
    code = 500
    reason = "InternalError"


class ServiceUnavailable(StatusError):
    code = 503
    reason = "ServiceUnavailable"


def _details(kind_plural: str, name: str, group: str = "", kind: str | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": kind or kind_plural}
    if group:
        details["group"] = group
    return details


def not_found(plural: str, name: str, group: str = "") -> NotFound:
    """``pods "x" not found`` as the API server words it."""
    qualified = f"{plural}.{group}" if group else plural
    return NotFound(f'{qualified} "{name}" not found', _details(plural, name, group))


def already_exists(plural: str, name: str, group: str = "") -> AlreadyExists:
    qualified = f"{plural}.{group}" if group else plural
    return AlreadyExists(f'{qualified} "{name}" already exists', _details(plural, name, group))


def conflict(plural: str, name: str, group: str = "") -> Conflict:
    qualified = f"{plural}.{group}" if group else plural
    return Conflict(
        f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(plural, name, group),
    )


def invalid(kind: str, name: str, causes: list[tuple[str, str, str]], group: str = "") -> Invalid:
    """A 422 with field causes; each cause is (reason, field, message).

    The message lists the causes the way apimachinery's ``ToAggregate`` does:
    one cause inline, several inside ``[...]`` joined by ", ".
    """
    qualified = f"{kind}.{group}" if group else kind
    texts = [f"{field}: {msg}" for _, field, msg in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details = {
        "name": name,
        "group": group,
        "kind": kind,
        "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes],
    }
    if not group:
        del details["group"]
    return Invalid(f'{qualified} "{name}" is invalid: {joined}', details)


class MethodNotAllowed(StatusError):
    code = 405
    reason = "MethodNotAllowed"

    def __init__(self, message: str = "the server does not allow this method on the requested resource") -> None:
        super().__init__(message)


class RequestEntityTooLarge(StatusError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMediaType(StatusError):
    code = 415
    reason = "UnsupportedMediaType"


class TooManyRequests(StatusError):
    code = 429
    reason = "TooManyRequests"


def status_response(err: StatusError) -> web.Response:
    """The HTTP answer carrying ``err``'s Status."""
    return web.Response(body=json.dumps(err.status(), separators=(",", ":")).encode(), status=err.code,
                        content_type="application/json")
