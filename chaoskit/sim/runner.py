"""Drive simulator time from wall time times a speed factor.

Tests never use this: they step :class:`~chaoskit.sim.clock.Loop` directly. The API server and
``chaoskit demo`` use it so that users see a cluster that moves on its own, optionally faster
than life (``--speed 10`` makes a 30 s back-off pass in 3 wall seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from chaoskit.sim.clock import Loop
from chaoskit.sim.errors import SimError
from chaoskit.sim.guard import ONCE

MAX_WAIT = 0.05  # wall seconds between ticks while nothing is due
TICK_BUDGET = 0.1  # wall seconds of engine work per tick before requests get their turn


class Runner:
    def __init__(self, loop: Loop, speed: float = 1.0, wall: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise SimError(f"speed must be positive, got {speed}")
        self.loop = loop
        self.speed = speed
        self.wall = wall
        self._last = wall()

    def tick(self) -> float:
        """Advance simulator time by the wall time elapsed since the last tick; returns sim seconds moved."""
        now = self.wall()
        elapsed = max(0.0, now - self._last) * self.speed
        self._last = now
        target = self.loop.now + elapsed
        self.loop.deadline = time.perf_counter() + TICK_BUDGET
        try:
            if elapsed:
                self.loop.advance_to(target)
            else:
                self.loop.settle()
        except Exception as exc:  # the last line of defence: the engine task must outlive any step
            ONCE.error("engine", "tick", exc)
            self.loop.now = max(self.loop.now, target)
        finally:
            self.loop.deadline = None
        return elapsed

    def wait_hint(self) -> float:
        """Wall seconds until the next timer is due (capped), so a driver sleeps no longer than needed."""
        if self.loop.backlog:
            return 0.0
        due = self.loop.next_due()
        if due is None:
            return MAX_WAIT
        return max(0.0, min(MAX_WAIT, (due - self.loop.now) / self.speed))

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; for an asyncio server that shares the loop with the engine."""
        while not stop.is_set():
            self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.001, self.wait_hint()))

    def run_for(self, wall_seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Block for ``wall_seconds`` while time moves (used by the CLI demo)."""
        end = self.wall() + wall_seconds
        while self.wall() < end:
            self.tick()
            sleep(max(0.0, min(self.wait_hint(), end - self.wall())))
        self.tick()
