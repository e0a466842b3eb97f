"""The cluster network as seen from inside a pod: DNS by the cluster's rules and connections
answered by the destination's application model (through kube-proxy's Service rules).

DNS follows kubelet's resolv.conf (``search NS.svc.cluster.local svc.cluster.local
cluster.local``, ``ndots:5``): Service names resolve to their ClusterIP, pod DNS names
(``10-244-1-5.NS.pod.cluster.local``) to the pod IP; anything else is NXDOMAIN (the simulator
has no internet).
"""

from __future__ import annotations

from collections.abc import Callable

from chaoskit.sim.controllers.endpoints import resolve_target_port
from chaoskit.sim.kubelet.process import Process
from chaoskit.sim.kubelet.shell import HttpReply, Outcome, Refused, Unreachable
from chaoskit.sim.objects import Obj, get_path
from chaoskit.sim.store import Store

DOMAIN = "cluster.local"
DNS_IP = "10.96.0.10"


class ClusterNet:
    """The shell's :class:`~chaoskit.sim.kubelet.shell.Net`: DNS and connections across the cluster."""

    def __init__(self, store: Store, process_of: Callable[[str, str, str | None], Process | None],
                 choose: Callable[[int], int]) -> None:
        self.store = store
        self.process_of = process_of
        self.choose = choose

    # ------------------------------------------------------------------ DNS

    def search_path(self, namespace: str) -> list[str]:
        return [f"{namespace}.svc.{DOMAIN}", f"svc.{DOMAIN}", DOMAIN]

    def candidates(self, name: str, namespace: str) -> list[str]:
        """The names a resolver tries, in order (ndots:5: short names go through the search path first)."""
        name = name.rstrip(".")
        tries = [f"{name}.{suffix}" for suffix in self.search_path(namespace)]
        return [*tries, name] if name.count(".") < 5 else [name, *tries]

    def lookup_fqdn(self, fqdn: str) -> str | None:
        parts = fqdn.rstrip(".").split(".")
        if len(parts) < 4 or ".".join(parts[-2:]) != DOMAIN:
            return None
        if parts[-3] == "svc" and len(parts) == 5:
            svc = self.store.try_get("Service", parts[1], parts[0])
            ns_exists = self.store.try_get("Namespace", "", parts[1]) is not None
            if svc is not None and ns_exists and get_path(svc, "spec.clusterIP") not in (None, "None"):
                return str(svc["spec"]["clusterIP"])
            return None
        if parts[-3] == "pod" and len(parts) == 5:
            ip = parts[0].replace("-", ".")
            return ip if self.pod_by_ip(ip) is not None else None
        return None

    def resolve(self, name: str, namespace: str) -> tuple[str, str] | None:
        """(fully qualified name, address) or None for NXDOMAIN; IP literals resolve to themselves."""
        if _is_ip(name):
            return name, name
        for fqdn in self.candidates(name, namespace):
            ip = self.lookup_fqdn(fqdn)
            if ip is not None:
                return fqdn, ip
        return None

    # ------------------------------------------------------------------ connections

    def service_by_ip(self, ip: str) -> Obj | None:
        for svc in self.store.list("Service"):
            if get_path(svc, "spec.clusterIP") == ip:
                return svc
        return None

    def pod_by_ip(self, ip: str) -> Obj | None:
        for pod in self.store.list("Pod"):
            if get_path(pod, "status.podIP") == ip and not get_path(pod, "spec.hostNetwork"):
                return pod
        return None

    def connect(self, ip: str, port: int, method: str = "GET", path: str = "/") -> Outcome:
        svc = self.service_by_ip(ip)
        if svc is not None:
            svc_port = next((p for p in get_path(svc, "spec.ports", []) or [] if p.get("port") == port), None)
            if svc_port is None:
                return Unreachable()  # no kube-proxy rule for this port: packets to the ClusterIP go nowhere
            ep = self.store.try_get("Endpoints", svc["metadata"]["namespace"], svc["metadata"]["name"])
            ready = [a for s in (ep or {}).get("subsets") or [] for a in s.get("addresses") or []]
            if not ready:
                return Refused()
            ref = ready[self.choose(len(ready))].get("targetRef") or {}
            pod = self.store.try_get("Pod", svc["metadata"]["namespace"], ref.get("name", ""))
            if pod is None:
                return Refused()
            target = resolve_target_port(svc_port, pod) or port
            return self._to_pod(pod, target, method, path)
        pod = self.pod_by_ip(ip)
        if pod is None:
            return Unreachable()
        return self._to_pod(pod, port, method, path)

    def _to_pod(self, pod: Obj, port: int, method: str, path: str) -> Outcome:
        for container in get_path(pod, "spec.containers", []) or []:
            proc = self.process_of(pod["metadata"]["namespace"], pod["metadata"]["name"], container["name"])
            if proc is None:
                continue
            reply = proc.http(port, method, path)
            if reply is not None:
                return reply
            if port in proc.ports:
                return HttpReply(400, "")  # something listens but does not speak HTTP (e.g. DNS)
        return Refused()

    def tcp_open(self, ip: str, port: int) -> bool:
        outcome = self.connect(ip, port)
        return isinstance(outcome, HttpReply)

    def ping(self, ip: str) -> bool:
        """ICMP: pods answer, ClusterIPs never do (they exist only in iptables rules)."""
        return self.pod_by_ip(ip) is not None or ip.startswith("172.18.0.")


def _is_ip(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) < 256 for p in parts)
