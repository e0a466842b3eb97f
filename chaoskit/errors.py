"""The one exception tree of chaoskit.

Every error chaoskit raises on purpose derives from :class:`ChaoskitError`; third-party
errors are converted where they enter (the CLI turns any ``ChaoskitError`` into a one-line
message and a non-zero exit code)::

    ChaoskitError
    ├── ConfigError            bad user input outside the cluster (flags, files)
    ├── SafetyError            chaoskit refuses to touch something: a context the guard does not
    │                          accept, a write outside the session's namespace, a node fault not allowed
    └── ApiError               a Kubernetes API answer that is not a success; carries a
        │                      ``Status`` object worded as the real API server words it
        ├── BadRequest         400
        ├── Unauthorized       401
        ├── Forbidden          403
        ├── NotFound           404
        ├── Conflict           409 (reason Conflict: stale resourceVersion)
        │   └── AlreadyExists  409 (reason AlreadyExists)
        ├── Gone               410 (watch resourceVersion too old)
        ├── Invalid            422 (field errors, with ``details.causes``)
        ├── InternalError      500
        └── ServiceUnavailable 503

This module imports nothing from chaoskit, so every layer, the simulator included, may use it.
"""

from __future__ import annotations

from typing import Any


class ChaoskitError(Exception):
    """Root of every error chaoskit raises deliberately."""


class ConfigError(ChaoskitError):
    """Bad user input: a flag, a file or an environment value."""


class SafetyError(ChaoskitError):
    """chaoskit refused an action that could harm a cluster it was not allowed to harm."""


class ApiError(ChaoskitError):
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


class BadRequest(ApiError):
    code = 400
    reason = "BadRequest"


class Unauthorized(ApiError):
    code = 401
    reason = "Unauthorized"

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class Forbidden(ApiError):
    code = 403
    reason = "Forbidden"


class NotFound(ApiError):
    code = 404
    reason = "NotFound"


class Conflict(ApiError):
    code = 409
    reason = "Conflict"


class AlreadyExists(Conflict):
    reason = "AlreadyExists"


class Gone(ApiError):
    code = 410
    reason = "Expired"


class Invalid(ApiError):
    code = 422
    reason = "Invalid"


class InternalError(ApiError):
    code = 500
    reason = "InternalError"


class ServiceUnavailable(ApiError):
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
