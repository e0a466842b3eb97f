"""The kubelets of every node, as one controller: pod changes are routed to the pod worker of the
pod's node; each node renews its Lease and posts its status on kubelet's intervals; the API
server's exec, attach and logs reads go through here to the node that runs the pod.
"""

from __future__ import annotations

from typing import Any

from chaoskit.kube.status import BadRequest, not_found
from chaoskit.kube.times import iso, iso_micro
from chaoskit.sim.controllers.base import Controller, Ctx
from chaoskit.sim.kubelet.network import ClusterNet
from chaoskit.sim.kubelet.pod_worker import PodWorker
from chaoskit.sim.kubelet.process import Process
from chaoskit.sim.objects import Obj, clone, get_path

KUBELET_VERSION = "v1.37.1"

NODE_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "KubeletReady", "kubelet is posting ready status"),
)


class Kubelet(Controller):
    """Routes pod changes to the node's pod worker and keeps node status and leases.

    ``agents`` maps a node name to its :class:`PodWorker` (read by the cluster, metrics, snapshots
    and the kubelet switch of the API server).
    """

    name = "kubelet"

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.agents: dict[str, PodWorker] = {}
        self.net = ClusterNet(ctx.store, self.process_of, lambda n: ctx.ids.rng.randrange(n))

    def add_node(self, node: Obj, index: int, host_ip: str, register: bool = True) -> PodWorker:
        name = node["metadata"]["name"]
        agent = PodWorker(self.ctx, name, index, host_ip, self.enqueue, self.net, self.node_images_changed)
        self.agents[name] = agent
        if register:
            self._renew(agent)
        self.ctx.loop.call_later(self.ctx.timings.lease_renew, lambda: self._lease_loop(agent))
        self.ctx.loop.call_later(self.ctx.timings.node_status_report, lambda: self._status_loop(agent))
        return agent

    def on_change(self, kind: str, etype: str, obj: Obj, old: Obj | None) -> None:
        if kind == "Pod":
            node = get_path(obj, "spec.nodeName")
            if node in self.agents:
                self.enqueue((node, obj["metadata"]["namespace"], obj["metadata"]["name"]))

    def reconcile(self, key: Any) -> None:
        node, ns, name = key
        agent = self.agents.get(node)
        if agent is not None:
            agent.sync(ns, name)

    # ------------------------------------------------------------------ node heartbeat

    def _renew(self, agent: PodWorker) -> None:
        store = self.ctx.store
        renew = iso_micro(self.ctx.loop.now)
        lease = store.try_get("Lease", "kube-node-lease", agent.name)
        if lease is None:
            node = store.try_get("Node", "", agent.name)
            store.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                          "metadata": {"name": agent.name, "namespace": "kube-node-lease",
                                       "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": agent.name,
                                                            "uid": node["metadata"]["uid"] if node else ""}]},
                          "spec": {"holderIdentity": agent.name, "leaseDurationSeconds": 40,
                                   "renewTime": renew}})
        else:
            new = clone(lease)
            new["spec"]["renewTime"] = renew
            store.update(new)

    def _lease_loop(self, agent: PodWorker) -> None:
        if agent.running:
            self._renew(agent)
        self.ctx.loop.call_later(self.ctx.timings.lease_renew, lambda: self._lease_loop(agent))

    def _status_loop(self, agent: PodWorker) -> None:
        if agent.running:
            self.post_node_status(agent)
        self.ctx.loop.call_later(self.ctx.timings.node_status_report, lambda: self._status_loop(agent))

    def post_node_status(self, agent: PodWorker, ready: bool = True) -> None:
        node = self.ctx.store.try_get("Node", "", agent.name)
        if node is None:
            return
        now = iso(self.ctx.loop.now)
        new = clone(node)
        conds = []
        for ctype, reason, message in NODE_CONDITIONS:
            old = next((c for c in get_path(node, "status.conditions", []) or [] if c["type"] == ctype), None)
            status = "True" if ctype == "Ready" else "False"
            conds.append({"type": ctype, "status": status, "lastHeartbeatTime": now,
                          "lastTransitionTime": old["lastTransitionTime"] if old and old["status"] == status else now,
                          "reason": reason, "message": message})
        new["status"]["conditions"] = conds
        new["status"]["images"] = agent.puller.status_images()
        self.ctx.store.update_status(new)

    def node_images_changed(self, agent: PodWorker) -> None:
        """A pull added an image: the node's ``status.images`` lists it at once."""
        node = self.ctx.store.try_get("Node", "", agent.name)
        if node is None:
            return
        new = clone(node)
        new["status"]["images"] = agent.puller.status_images()
        self.ctx.store.update_status(new)

    # ------------------------------------------------------------------ faults a real API cannot express

    def stop(self, node: str) -> None:
        """The node's kubelet stops posting status (the node goes NotReady after the grace period)."""
        self.agents[node].running = False

    def start(self, node: str) -> None:
        agent = self.agents[node]
        if agent.running:
            return
        agent.running = True
        self._renew(agent)
        self.post_node_status(agent)
        for pod in self.ctx.store.by_index("Pod", "node", node):
            self.enqueue((node, pod["metadata"]["namespace"], pod["metadata"]["name"]))

    # ------------------------------------------------------------------ reads for the API server

    def exec_process(self, ns: str, name: str, container: str | None) -> Process:
        """The running process an exec enters, or the error kubelet answers with."""
        pod = self.ctx.store.try_get("Pod", ns, name)
        if pod is None:
            raise not_found("pods", name)
        names = [c["name"] for c in (get_path(pod, "spec.containers", []) or [])
                 + (get_path(pod, "spec.ephemeralContainers", []) or [])]
        target = container or (names[0] if names else "")
        if target not in names:
            raise BadRequest(f"container {target} is not valid for pod {name}")
        proc = self.process_of(ns, name, target)
        if proc is None:
            raise BadRequest(f'container not found ("{target}")')
        return proc

    def exec(self, ns: str, name: str, container: str | None, argv: list[str]) -> tuple[int, str]:
        pod = self.ctx.store.get("Pod", ns, name)
        agent = self.agents.get(get_path(pod, "spec.nodeName") or "")
        proc = agent.process(ns, name, container) if agent else None
        if proc is None:
            return 1, "container not found"
        code, output, _ = proc.exec(argv)
        return code, output

    def logs(self, ns: str, name: str, container: str, previous: bool = False) -> list[tuple[float, str]] | None:
        pod = self.ctx.store.try_get("Pod", ns, name)
        if pod is None:
            return None
        agent = self.agents.get(get_path(pod, "spec.nodeName") or "")
        return agent.logs(ns, name, container, previous) if agent else None

    def process_of(self, ns: str, name: str, container: str | None = None) -> Process | None:
        pod = self.ctx.store.try_get("Pod", ns, name)
        if pod is None:
            return None
        agent = self.agents.get(get_path(pod, "spec.nodeName") or "")
        return agent.process(ns, name, container) if agent else None
