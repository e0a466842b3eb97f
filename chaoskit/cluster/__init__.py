"""Cluster access for faults, checks and grading: the official kubernetes client, nothing else.

The same code drives the simulator and a real cluster; simulator-only controls (a node's
kubelet) go through chaoskit's system identity, see :meth:`Kube.set_kubelet`.
"""

from chaoskit.cluster.kube import Kube, connect
from chaoskit.errors import KubeError

__all__ = ["Kube", "KubeError", "connect"]
