from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kube import SimServer, start_server

from chaoskit.sim import Cluster


@pytest.fixture
def cluster() -> Cluster:
    """A fresh default cluster (control plane + two workers), settled at t=0."""
    return Cluster()


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    """One ``chaoskit sim serve`` for the session, at 20x speed; stopped (and checked) at the end."""
    server = start_server(tmp_path_factory.mktemp("sim"))
    try:
        yield server
    finally:
        server.stop()
