"""The simulated kubelet: each container goes through the real kubelet's steps (sandbox, volumes,
image, configuration, create, start, probes, exit, restart with back-off), each step taking
simulator time, each worded as the real kubelet words its events and statuses.

The face is :class:`Kubelet` (the controller the cluster wires in) and :data:`KUBELET_VERSION`.
Inside, per node: ``pod_worker`` syncs pods and drives ``start``, ``puller``, ``prober``,
``restarts`` and ``restore`` through a narrow ``context.NodeContext``; ``runtime`` and ``status``
hold the containers' state and its API form; ``shell`` and ``process`` are what runs in them.
"""

from chaoskit.sim.kubelet.kubelet import KUBELET_VERSION, Kubelet

__all__ = ["KUBELET_VERSION", "Kubelet"]
