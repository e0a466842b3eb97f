"""Failure isolation for the engine: a failing step is logged once and retried with back-off.

A real controller never lets one bad object stop the others: client-go's work queue hands a key
that failed to ``AddRateLimited`` and the controller moves on to the next key. The delay comes
from ``workqueue.DefaultTypedControllerRateLimiter``, whose per-item part is
``ItemExponentialFailureRateLimiter(5*time.Millisecond, 1000*time.Second)``: 5 ms, doubling with
every failure of the same key, capped at 1000 s; a success ``Forget``\\ s the key. The simulator
applies the same rule to controller reconciles and to timer callbacks, so nothing a request can
cause stops the clock or the engine task.

Logging follows ``utilruntime.HandleError`` but only once per key and failure text: a key that
fails every few seconds for an hour must not flood the log of ``chaoskit sim serve``.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

LOG = logging.getLogger("chaoskit.sim")

BASE_DELAY = 0.005   # ItemExponentialFailureRateLimiter baseDelay
MAX_DELAY = 1000.0   # ItemExponentialFailureRateLimiter maxDelay
LOGGED_LIMIT = 10_000  # distinct (key, error) pairs remembered before the memory is reset


def backoff(failures: int) -> float:
    """The delay before retry number ``failures`` (1 = first retry): 5 ms * 2^(failures-1), at most 1000 s."""
    exponent = max(0, failures - 1)
    if exponent >= 40:  # 5 ms * 2^40 is far past the cap; avoid a huge float power
        return MAX_DELAY
    return min(MAX_DELAY, BASE_DELAY * (2 ** exponent))


class Retry(Exception):
    """Raised by a reconcile that recorded its own failure (an event, a condition): the key is retried
    with the same back-off, without a log line (the controller already said what went wrong)."""


class RateLimiter:
    """Per-key failure counts, as the rate-limited work queue keeps them."""

    def __init__(self) -> None:
        self.failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        """Record one more failure of ``key`` and return how long to wait before retrying it."""
        count = self.failures.get(key, 0) + 1
        self.failures[key] = count
        return backoff(count)

    def forget(self, key: Hashable) -> None:
        self.failures.pop(key, None)

    def retries(self, key: Hashable) -> int:
        return self.failures.get(key, 0)


class OnceLog:
    """Logs a failure the first time a (where, key, error) triple is seen, then stays quiet."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str]] = set()

    def error(self, where: str, key: object, exc: BaseException) -> bool:
        """Log ``exc`` for ``key`` unless already logged; returns whether it logged."""
        text = f"{type(exc).__name__}: {exc}"
        mark = (where, repr(key), text)
        if mark in self._seen:
            return False
        if len(self._seen) >= LOGGED_LIMIT:
            self._seen.clear()
        self._seen.add(mark)
        LOG.error("%s: error syncing %r: %s (retrying with back-off)", where, key, text,
                  exc_info=LOG.isEnabledFor(logging.DEBUG))
        return True


ONCE = OnceLog()
