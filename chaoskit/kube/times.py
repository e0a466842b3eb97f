"""Kubernetes timestamps: ``metav1.Time`` (RFC 3339, seconds) and ``metav1.MicroTime``
(microseconds), both in UTC with a ``Z``, as the API server serialises them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def iso(t: float) -> str:
    """RFC 3339 at second precision, as metav1.Time serialises."""
    return _iso_seconds(int(t))


@lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(t: float) -> str:
    """RFC 3339 with microseconds, as metav1.MicroTime serialises."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> float:
    """Seconds since the epoch from either form (or any ISO 8601 time with an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
