"""Simulator time: an injectable clock and the timer loop every controller runs on.

Nothing in the simulator reads the wall clock. Tests step :class:`Loop` explicitly; the
:mod:`chaoskit.sim.runner` drives it from wall time times a speed factor. Times are float
seconds since the Unix epoch, so they convert to Kubernetes timestamps directly.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime

from chaoskit.sim.guard import ONCE, backoff

# A fixed default start keeps replays exact; callers pass their own to look current.
DEFAULT_START = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC).timestamp()


class Timer:
    """A handle to a scheduled callback; cancelling is O(1) (the heap entry is skipped)."""

    __slots__ = ("callback", "cancelled", "failures", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False
        self.failures = 0

    def cancel(self) -> None:
        self.cancelled = True


class Loop:
    """The simulator's clock plus its timer heap.

    ``advance(dt)`` fires every timer due up to ``now + dt`` in time order, moving ``now`` to
    each timer's time before calling it, and runs ``settle`` after each batch so controllers
    see the state a timer produced before the next timer fires.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.now = float(start)
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self.settle: Callable[[], None] = lambda: None
        # A served simulator gives each slice of engine work a wall-clock budget (perf_counter
        # seconds): past it, settle leaves queued work for the next slice and sets ``backlog``,
        # so a 20 000-pod scale-up cannot hold the API server's event loop for seconds.
        # In-process use leaves it None: every settle runs to quiescence.
        self.deadline: float | None = None
        self.backlog = False

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(max(when, self.now), callback)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.now + delay, callback)

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing due timers in order."""
        self.advance_to(self.now + seconds)

    def advance_to(self, target: float) -> None:
        self.settle()
        while True:
            due = self.next_due()
            if due is None or due > target:
                break
            self.now = max(self.now, due)
            self._fire_due()
            self.settle()
        self.now = max(self.now, target)
        self.settle()

    def _fire_due(self) -> None:
        while self._heap and self._heap[0][0] <= self.now:
            _, _, timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                timer.cancelled = True
                try:
                    timer.callback()
                except Exception as exc:  # a failing callback is retried, never fatal to the clock
                    self._retry(timer, exc)

    def _retry(self, timer: Timer, exc: Exception) -> None:
        """Run a failed callback again after the work queue's back-off (5 ms doubling to 1000 s)."""
        ONCE.error("timer", getattr(timer.callback, "__qualname__", repr(timer.callback)), exc)
        # The same handle is scheduled again, so its owner can still cancel the retry.
        timer.failures += 1
        timer.when = self.now + backoff(timer.failures)
        timer.cancelled = False
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))

    def run_until(self, predicate: Callable[[], bool], timeout: float, step: float = 1.0) -> bool:
        """Advance in ``step`` increments until ``predicate()`` holds or ``timeout`` passes.

        Returns whether the predicate held. Jumps straight to the next timer when nothing
        is due within a step, so quiet stretches cost nothing.
        """
        deadline = self.now + timeout
        self.settle()
        while not predicate():
            if self.now >= deadline:
                return False
            due = self.next_due()
            target = self.now + step
            if due is not None and due > target:
                target = min(due, deadline)
            self.advance_to(min(target, deadline))
        return True
