"""The pod sandbox (RunPodSandbox and CNI): the pod's IP from the node's pod CIDR, and the files
kubelet writes into every container (resolv.conf per the cluster's DNS policy, hosts, the
service account token)."""

from __future__ import annotations

from chaoskit.sim.kubelet.network import DNS_IP


class Addresses:
    """host-local IPAM over the node's /24 (``10.244.INDEX.0/24``): .2 to .254, then around again."""

    def __init__(self, index: int, host_ip: str) -> None:
        self.index = index
        self.host_ip = host_ip
        self.next_ip = 2

    def allocate(self, host_network: bool) -> str:
        """A hostNetwork pod shares the node's address and takes none from the range."""
        if host_network:
            return self.host_ip
        ip = f"10.244.{self.index}.{self.next_ip}"
        self.next_ip = self.next_ip + 1 if self.next_ip < 254 else 2
        return ip


def pod_files(namespace: str, name: str, ip: str) -> dict[str, str]:
    """The files kubelet writes into every container: resolv.conf, hosts, hostname, the SA token."""
    return {
        "/etc/resolv.conf": f"search {namespace}.svc.cluster.local svc.cluster.local cluster.local\n"
                            f"nameserver {DNS_IP}\noptions ndots:5\n",
        "/etc/hosts": "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                      "ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\n"
                      f"fe00::2\tip6-allrouters\n{ip}\t{name}\n",
        "/etc/hostname": f"{name}\n",
        "/var/run/secrets/kubernetes.io/serviceaccount/namespace": namespace,
        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt": "-----BEGIN CERTIFICATE-----\n(chaoskit)\n"
                                                                "-----END CERTIFICATE-----\n",
        "/var/run/secrets/kubernetes.io/serviceaccount/token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImNoYW9za2l0In0.e30.sig",
    }
