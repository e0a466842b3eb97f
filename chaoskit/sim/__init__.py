"""The bundled cluster simulator: a Kubernetes control plane, controllers and kubelets in
pure Python on an injectable clock. It imports nothing from chaoskit above it except the
exception tree in :mod:`chaoskit.errors`.

Public surface::

    from chaoskit.sim import Cluster, ClusterConfig, Topology
    cluster = Cluster(ClusterConfig(topology=Topology(workers=2)))
    cluster.apply(deployment_dict)
    cluster.advance(30)            # thirty simulator seconds
"""

from chaoskit.sim.cluster import Cluster, ClusterConfig
from chaoskit.sim.controllers.base import Timings
from chaoskit.sim.topology import NodeShape, Topology

__all__ = ["Cluster", "ClusterConfig", "NodeShape", "Timings", "Topology"]
