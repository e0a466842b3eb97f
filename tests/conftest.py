from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from chaoskit.sim import Cluster


@pytest.fixture
def cluster() -> Cluster:
    """A fresh default cluster (control plane + two workers), settled at t=0."""
    return Cluster()
