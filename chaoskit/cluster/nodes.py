"""Stopping and starting a node: the simulator's kubelet switch, or a kind node's container.

A real cluster offers no API to stop a kubelet; on kind a node is a Docker container, so
``docker stop`` makes it NotReady exactly as a dead machine would (the node controller then marks
it Unknown and taints it). Other clusters get no node control at all.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING, Protocol

from chaoskit.errors import ConfigError
from chaoskit.i18n import _

if TYPE_CHECKING:
    from chaoskit.cluster.kube import Kube

DOCKER_TIMEOUT = 120.0


class NodeControl(Protocol):
    def set_running(self, node: str, running: bool) -> None: ...

    def running(self, node: str) -> bool: ...


class SimulatorNodes:
    """The simulator's control endpoint (``/chaoskit/v1/nodes/NAME/kubelet``), with an identity it accepts."""

    def __init__(self, kube: Kube, system: bool = True) -> None:
        self.kube = kube
        self.system = system

    def _api(self):  # type: ignore[no-untyped-def]
        return self.kube.system if self.system and self.kube.system is not None else self.kube.api

    def set_running(self, node: str, running: bool) -> None:
        self.kube.request("PUT", f"/chaoskit/v1/nodes/{node}/kubelet", {"running": running}, api=self._api())

    def running(self, node: str) -> bool:
        return bool(self.kube.request("GET", f"/chaoskit/v1/nodes/{node}/kubelet", api=self._api())["running"])


class KindNodes:
    """A kind node is the Docker container of the same name."""

    def __init__(self, docker: str | None = None) -> None:
        self.docker = docker or shutil.which("docker") or ""

    def _run(self, *args: str) -> str:
        if not self.docker:
            raise ConfigError(_("docker not found: stopping a kind node needs the docker CLI on PATH"))
        try:
            proc = subprocess.run([self.docker, *args], capture_output=True, text=True, timeout=DOCKER_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(_("docker {args}: {error}").format(args=" ".join(args), error=exc)) from exc
        if proc.returncode != 0:
            raise ConfigError(_("docker {args}: {error}").format(
                args=" ".join(args), error=proc.stderr.strip() or proc.stdout.strip()))
        return proc.stdout.strip()

    def set_running(self, node: str, running: bool) -> None:
        if not running and node.endswith("-control-plane"):
            raise ConfigError(_("chaoskit never stops {node}: with the control plane would go the API server, "
                                "and every check and revert with it").format(node=node))
        self._run("start" if running else "stop", node)

    def running(self, node: str) -> bool:
        return self._run("inspect", "-f", "{{.State.Running}}", node) == "true"


class NoNodes:
    """A cluster chaoskit cannot stop nodes on."""

    def __init__(self, why: str) -> None:
        self.why = why

    def set_running(self, node: str, running: bool) -> None:
        raise ConfigError(self.why)

    def running(self, node: str) -> bool:
        return True
