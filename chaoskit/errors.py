"""The one exception tree of chaoskit.

Every error chaoskit raises on purpose derives from :class:`ChaoskitError`; third-party
errors are converted where they enter (the Kubernetes client's in ``chaoskit.cluster.kube``),
and the CLI turns any ``ChaoskitError`` into a one-line message and a non-zero exit code::

    ChaoskitError
    ├── ConfigError            bad user input outside the cluster (flags, files, state on disk)
    │   └── StateError         a file chaoskit wrote and reads back is missing, corrupt or forged
    ├── SafetyError            chaoskit refuses to touch something: a context the guard does not
    │                          accept, a write outside the session's namespace, a node fault not allowed
    └── KubeError              a Kubernetes API answer that is not a success (``code``, ``reason``,
        │                      the server's message), or no answer at all
        ├── UnreachableError   no answer: the API server cannot be reached (code 0)
        ├── BadRequestError    400
        ├── UnauthorizedError  401
        ├── ForbiddenError     403
        ├── NotFoundError      404
        ├── ConflictError      409 (a stale resourceVersion, or AlreadyExists)
        ├── GoneError          410
        ├── InvalidError       422 (field errors)
        └── ServerError        5xx

Callers catch by class (``except NotFoundError``), never by comparing codes. The *server's*
vocabulary for answering a request (``Status`` objects) is ``chaoskit.kube.status``; the
simulator speaks only that one.
"""

from __future__ import annotations


class ChaoskitError(Exception):
    """Root of every error chaoskit raises deliberately."""


class ConfigError(ChaoskitError):
    """Bad user input: a flag, a file or an environment value."""


class StateError(ConfigError):
    """A file chaoskit wrote itself (a session's record, journal, clock, snapshot) cannot be trusted."""


class SafetyError(ChaoskitError):
    """chaoskit refused an action that could harm a cluster it was not allowed to harm."""


class KubeError(ChaoskitError):
    """An API answer that is not a success, carrying the server's Status (code 0: no answer)."""

    code = 0

    def __init__(self, message: str, reason: str = "", code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        if code is not None:
            self.code = code

    @staticmethod
    def of(code: int, reason: str, message: str) -> KubeError:
        """The class for this answer: 404 is a NotFoundError, any 5xx a ServerError, and so on."""
        cls = _BY_CODE.get(code) or (ServerError if code >= 500 else KubeError)
        return cls(message, reason, code)


class UnreachableError(KubeError):
    """The API server gave no answer at all (connection refused, TLS failure, timeout)."""


class BadRequestError(KubeError):
    code = 400


class UnauthorizedError(KubeError):
    code = 401


class ForbiddenError(KubeError):
    code = 403


class NotFoundError(KubeError):
    code = 404


class ConflictError(KubeError):
    code = 409


class GoneError(KubeError):
    code = 410


class InvalidError(KubeError):
    code = 422


class ServerError(KubeError):
    code = 500


_BY_CODE: dict[int, type[KubeError]] = {
    400: BadRequestError, 401: UnauthorizedError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError,
    410: GoneError, 422: InvalidError,
}
