"""What every control loop shares: the context it runs in and a deduplicating work queue."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from chaoskit.kube.status import StatusError
from chaoskit.kube.times import iso
from chaoskit.sim.clock import Loop, Timer
from chaoskit.sim.events import Recorder
from chaoskit.sim.guard import ONCE, RateLimiter, Retry
from chaoskit.sim.ids import Ids
from chaoskit.sim.objects import Obj
from chaoskit.sim.store import Store


@dataclass(frozen=True)
class Timings:
    """Durations in simulator seconds, with the real components' defaults."""

    node_monitor_grace: float = 50.0      # kube-controller-manager --node-monitor-grace-period (v1.32+)
    node_monitor_period: float = 5.0
    lease_renew: float = 10.0             # kubelet lease renew interval
    node_status_report: float = 300.0     # kubelet nodeStatusReportFrequency
    scheduler_retry: float = 1.0          # initial pod backoff in the scheduling queue
    unschedulable_flush: float = 300.0    # podMaxInUnschedulablePodsDuration
    pod_sync_retry: float = 10.0          # kubelet re-sync of a pod that hit an error
    pull_bandwidth: float = 60e6          # bytes/s for simulated image pulls
    pull_latency: float = 0.8             # registry round trips before the first byte
    container_start: float = 0.5          # CreateContainer + StartContainer
    sandbox_start: float = 0.5            # RunPodSandbox and CNI
    job_backoff: float = 10.0


@dataclass
class Ctx:
    store: Store
    loop: Loop
    recorder: Recorder
    ids: Ids
    timings: Timings = field(default_factory=Timings)

    def now_iso(self) -> str:
        return iso(self.loop.now)


class Controller(ABC):
    """A reconcile loop: ``on_change`` queues keys; ``reconcile`` handles one key.

    The queue is an insertion-ordered dict, so a key queued twice is handled once and the
    order is deterministic. A reconcile that raises is isolated as client-go's rate-limited
    queue isolates it: logged once, retried after 5 ms doubling to 1000 s, forgotten on success
    (:mod:`chaoskit.sim.guard`); the other keys and controllers go on.
    """

    name = "controller"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.queue: dict[Hashable, None] = {}
        self._timers: dict[Hashable, Timer] = {}
        self.limiter = RateLimiter()

    @property
    def store(self) -> Store:
        return self.ctx.store

    def enqueue(self, key: Hashable) -> None:
        self.queue[key] = None

    def enqueue_later(self, delay: float, key: Hashable) -> None:
        """Queue ``key`` after ``delay``; one pending timer per key, the earliest wins."""
        when = self.ctx.loop.now + max(0.0, delay)
        pending = self._timers.get(key)
        if pending is not None and not pending.cancelled and pending.when <= when:
            return
        if pending is not None:
            pending.cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self.enqueue(key)

        self._timers[key] = self.ctx.loop.call_at(when, fire)

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:  # noqa: B027 - optional hook
        """Queue what this change concerns; called synchronously on every store write."""

    @abstractmethod
    def reconcile(self, key: Any) -> None:
        """Bring the object named by ``key`` towards its desired state."""

    def drain(self, budget: int) -> int:
        """Handle up to ``budget`` queued keys; returns how many were handled."""
        done = 0
        while self.queue and done < budget:
            key = next(iter(self.queue))
            del self.queue[key]
            done += 1
            try:
                self.reconcile(key)
            except Retry:
                self.enqueue_later(self.limiter.when(key), key)
            except Exception as exc:  # one bad object must not stop the engine
                self.failed(key, exc)
            else:
                if self.limiter.failures:
                    self.limiter.forget(key)
        return done

    def failed(self, key: Hashable, exc: Exception) -> None:
        """AddRateLimited: log the first failure of this kind and retry ``key`` after the back-off."""
        ONCE.error(self.name, key, exc)
        self.enqueue_later(self.limiter.when(key), key)

    def create_pod(self, owner: Obj, pod: Obj) -> Obj:
        """Create a pod for ``owner``, as the controllers' PodControl does: a refusal (Pod Security,
        a full namespace) becomes a ``FailedCreate`` warning event on the owner ("Error creating:
        ...") and the owner's key is retried with back-off."""
        try:
            created = self.store.create(pod, owned=True)
        except StatusError as err:
            self.event(owner, "Warning", "FailedCreate", f"Error creating: {err.message}")
            raise Retry() from err
        self.event(owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return created

    def event(self, obj: Obj, etype: str, reason: str, message: str) -> None:
        self.ctx.recorder.event(obj, etype, reason, message, self.name)
