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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``kind`` run only where kind and a Docker engine answering ``docker info`` are."""
    marked = [item for item in items if item.get_closest_marker("kind")]
    if not marked:
        return
    from chaoskit.cluster.kind import Kind

    why = Kind().available()
    if why:
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=why.split(". ")[0]))
