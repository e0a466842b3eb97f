"""The node's images and its pulls (images/image_manager.go with serialized pulls, the default).

Pulls queue behind each other; layers already on the node (a re-pull, or an earlier pull of the
same image still in the queue) cost only the registry round trips. A failed pull backs off on
kubelet's curve (``ErrImagePull``, then ``ImagePullBackOff``). The images present are what the
node reports in ``status.images``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from chaoskit.sim import admission
from chaoskit.sim.kubelet import images
from chaoskit.sim.kubelet.context import NodeContext
from chaoskit.sim.kubelet.restarts import backoff
from chaoskit.sim.kubelet.runtime import ContainerRuntime
from chaoskit.sim.kubelet.status import go_duration, truncate_ms
from chaoskit.sim.objects import Obj

PullFlow = Generator[float, None, None]

PULL_FAILED = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull")


class Puller:
    """``images`` maps a canonical reference to its size in bytes; ``images_changed`` tells the
    kubelet to post the node's new image list."""

    def __init__(self, node: NodeContext, images_changed: Callable[[], None]) -> None:
        self.node = node
        self.images: dict[str, int] = {}
        self.pull_free_at = 0.0
        self.pulling: set[str] = set()
        self._images_changed = images_changed

    def status_images(self) -> list[dict[str, Any]]:
        """``status.images`` of the node: each image under its digest and its tag, sorted by reference."""
        return [{"names": [images.image_id(images.parse(ref)), ref], "sizeBytes": size}
                for ref, size in sorted(self.images.items())]

    @staticmethod
    def failed(c: ContainerRuntime) -> bool:
        """The pull flow left the container waiting on an image error (the start flow retries later)."""
        return c.state == "waiting" and c.reason in PULL_FAILED

    def pull(self, c: ContainerRuntime, pod: Obj, ref: images.ImageRef, image: str) -> PullFlow:
        """Make ``ref`` present per the pull policy; yields the simulated seconds each step takes."""
        node = self.node
        policy = c.spec.get("imagePullPolicy") or admission.image_pull_policy(image)
        present = ref.canonical in self.images
        if policy == "Never" and not present:
            c.state, c.reason = "waiting", "ErrImageNeverPull"
            c.message = f'Container image "{image}" is not present with pull policy of Never'
            node.event(pod, "Warning", "ErrImageNeverPull", c.message, c.name, c.init)
            yield node.timings.pod_sync_retry
            return
        if present and policy != "Always":
            node.event(pod, "Normal", "Pulled",
                       f'Container image "{image}" already present on machine and can be accessed by the pod',
                       c.name, c.init)
            return
        if c.pull_backoff_until > node.now:
            yield from self._backoff(c, pod, image)
            return
        node.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', c.name, c.init)
        error = images.pull_error(ref)
        repo = images.lookup(ref)
        size = repo.sizes.get(ref.tag, repo.size) if repo else 0
        wait = max(0.0, self.pull_free_at - node.now)
        cached = present or ref.canonical in self.pulling
        took = node.timings.pull_latency + (0 if error or cached else size / node.timings.pull_bandwidth)
        self.pulling.add(ref.canonical)
        self.pull_free_at = node.now + wait + took
        yield wait + took
        if error:
            c.pull_failures += 1
            c.pull_backoff_until = node.now + backoff(c.pull_failures)
            c.state, c.reason, c.message = "waiting", "ErrImagePull", error
            c.image = image
            node.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}', c.name, c.init)
            node.event(pod, "Warning", "Failed", "Error: ErrImagePull", c.name, c.init)
            yield 1.0
            yield from self._backoff(c, pod, image)
            return
        c.pull_failures = 0
        c.pull_backoff_until = 0.0
        if ref.canonical not in self.images:
            self.images[ref.canonical] = size
            self._images_changed()
        node.event(pod, "Normal", "Pulled",
                   f'Successfully pulled image "{image}" in {go_duration(truncate_ms(took))} '
                   f"({go_duration(truncate_ms(took + wait))} including waiting). Image size: {size} bytes.",
                   c.name, c.init)

    def _backoff(self, c: ContainerRuntime, pod: Obj, image: str) -> PullFlow:
        node = self.node
        error = c.message if c.reason == "ErrImagePull" else c.message.split(": ErrImagePull: ", 1)[-1]
        c.state, c.reason = "waiting", "ImagePullBackOff"
        c.message = f'Back-off pulling image "{image}": ErrImagePull: {error}'
        node.event(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"', c.name, c.init)
        node.event(pod, "Warning", "Failed", "Error: ImagePullBackOff", c.name, c.init)
        yield max(0.0, c.pull_backoff_until - node.now)
        c.reason = "ErrImagePull"  # marks "retry the pull" for the start flow
