"""The audit log: one JSON line per request, flushed as written, so grading can read it
while the server runs and nothing is lost if the server is killed. It names every user and
request, so it is created owner-only (0600), like the kubeconfigs beside it."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from chaoskit.kube.files import open_append_private


@dataclass(frozen=True)
class AuditRecord:
    wallTime: str
    simTime: str
    user: str
    userAgent: str
    kubectlCommand: str
    kubectlSession: str
    verb: str
    resource: str
    subresource: str
    namespace: str
    name: str
    code: int
    latencyMs: float
    method: str
    uri: str
    gracePeriodSeconds: int | None = None  # a delete's DeleteOptions: 0 is a force delete


class AuditLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fh: IO[str] | None = None
        if path is not None:
            self._fh = open_append_private(path)  # kept open for the server's life

    def write(self, record: AuditRecord) -> None:
        if self._fh is not None:
            self._fh.write(json.dumps(asdict(record), separators=(",", ":")) + "\n")
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def grace_period(body: bytes, query_value: str | None) -> int | None:
    """The grace period a DELETE asked for: its DeleteOptions body, else the query parameter."""
    try:
        options = json.loads(body or b"{}")
        value = options.get("gracePeriodSeconds") if isinstance(options, dict) else None
        value = query_value if value is None else value
        return int(value) if value is not None else None
    except (ValueError, TypeError):
        return None


def wall_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


def read(path: Path) -> list[dict[str, object]]:
    """All records of an audit log (for tests and, later, grading)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
