"""kind clusters for game days: ``chaoskit cluster up/down/status/load`` over the kind CLI.

The configuration is the study notes' (one control plane and N workers, 001_d42b677168f59b33.txt);
kind names the kubeconfig context ``kind-NAME``, which the guard in :mod:`chaoskit.cluster.access`
accepts once it has checked the nodes really are kind's.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from chaoskit.errors import ConfigError
from chaoskit.i18n import N_, _

INSTALL = N_("kind and a running Docker engine are needed for real clusters: install Docker "
             "(https://docs.docker.com/engine/install/) and kind (https://kind.sigs.k8s.io/docs/user/quick-start/"
             "#installation); the bundled simulator (--backend sim) needs neither")
CREATE_TIMEOUT = 900.0


def config(workers: int, image: str | None = None) -> dict[str, object]:
    """kind's Cluster configuration: a control plane and ``workers`` workers."""
    if workers < 0:
        raise ConfigError(_("--workers must be 0 or more"))
    node: dict[str, object] = {"role": "control-plane"}
    worker: dict[str, object] = {"role": "worker"}
    if image:
        node["image"] = worker["image"] = image
    return {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4",
            "nodes": [node] + [dict(worker) for _ in range(workers)]}


class Kind:
    def __init__(self, kind: str | None = None, docker: str | None = None) -> None:
        self.kind = kind or shutil.which("kind") or ""
        self.docker = docker or shutil.which("docker") or ""

    def available(self) -> str:
        """'' when kind and a Docker engine are usable, else why not (one line)."""
        if not self.kind:
            return _("kind not found on PATH. {install}").format(install=_(INSTALL))
        if not self.docker:
            return _("docker not found on PATH. {install}").format(install=_(INSTALL))
        try:
            info = subprocess.run([self.docker, "info"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return _("docker info failed ({error}). {install}").format(error=exc, install=_(INSTALL))
        if info.returncode != 0:
            return _("no Docker engine answers (docker info failed). {install}").format(install=_(INSTALL))
        return ""

    def _need(self) -> None:
        why = self.available()
        if why:
            raise ConfigError(why)

    def _run(self, *args: str, timeout: float = 300.0) -> str:
        try:
            proc = subprocess.run([self.kind, *args], capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(_("kind {args}: {error}").format(args=" ".join(args), error=exc)) from exc
        if proc.returncode != 0:
            last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [_("failed")]
            raise ConfigError(_("kind {args}: {error}").format(args=" ".join(args), error=last[0]))
        return proc.stdout

    def clusters(self) -> list[str]:
        self._need()
        return [line.strip() for line in self._run("get", "clusters").splitlines() if line.strip()]

    def up(self, name: str, workers: int, image: str | None) -> str:
        self._need()
        if name in self.clusters():
            raise ConfigError(_("a kind cluster named {name} already exists (context kind-{name})").format(name=name))
        with tempfile.TemporaryDirectory(prefix="chaoskit-kind-") as tmp:
            path = Path(tmp) / "kind.yaml"
            path.write_text(yaml.safe_dump(config(workers, image), sort_keys=False))
            self._run("create", "cluster", "--name", name, "--config", str(path), "--wait", "5m",
                      timeout=CREATE_TIMEOUT)
        return f"kind-{name}"

    def down(self, name: str) -> None:
        self._need()
        self._run("delete", "cluster", "--name", name)

    def load(self, name: str, images: tuple[str, ...]) -> None:
        self._need()
        if not images:
            raise ConfigError(_("name at least one image to load"))
        self._run("load", "docker-image", "--name", name, *images, timeout=CREATE_TIMEOUT)

    def nodes(self, name: str) -> list[str]:
        self._need()
        return [n for n in self._run("get", "nodes", "--name", name).split() if n]
