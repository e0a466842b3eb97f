"""The default cluster: what a fresh ``kind create cluster`` with two workers looks like.

A control plane with its NoSchedule taint and static pods (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler), kube-proxy and kindnet DaemonSets, CoreDNS with the
kube-dns Service at 10.96.0.10, the local-path provisioner, and the ``kubernetes`` Service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaoskit.sim.kubelet import KUBELET_VERSION
from chaoskit.sim.objects import Obj

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
KUBE_IMAGE = f"registry.k8s.io/{{}}:{KUBELET_VERSION}"
SYSTEM_IMAGES = (
    "registry.k8s.io/etcd:3.6.4-0", KUBE_IMAGE.format("kube-apiserver"),
    KUBE_IMAGE.format("kube-controller-manager"), KUBE_IMAGE.format("kube-scheduler"),
    KUBE_IMAGE.format("kube-proxy"), "registry.k8s.io/coredns/coredns:v1.12.1",
    "docker.io/kindest/kindnetd:v20250512-df8de77b", "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a",
    "registry.k8s.io/pause:3.10.1",
)


@dataclass(frozen=True)
class NodeShape:
    cpu: str = "4"
    memory: str = "8148296Ki"
    pods: int = 110
    ephemeral_storage: str = "102626232Ki"


@dataclass(frozen=True)
class Topology:
    name: str = "chaoskit"
    workers: int = 2
    control_plane: bool = True
    system_pods: bool = True
    shape: NodeShape = NodeShape()

    def node_names(self) -> list[str]:
        names = [f"{self.name}-control-plane"] if self.control_plane else []
        return names + [f"{self.name}-worker" + (str(i + 1) if i else "") for i in range(self.workers)]


def node_object(topo: Topology, name: str, index: int, uid_hex: str) -> tuple[Obj, str]:
    control = name.endswith("-control-plane")
    host_ip = f"172.18.{(index + 2) // 256}.{(index + 2) % 256}"
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
    }
    if control:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    shape = topo.shape
    resources = {"cpu": shape.cpu, "ephemeral-storage": shape.ephemeral_storage, "hugepages-1Gi": "0",
                 "hugepages-2Mi": "0", "memory": shape.memory, "pods": str(shape.pods)}
    node: Obj = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"],
                 "providerID": f"kind://docker/{topo.name}/{name}"},
        "status": {
            "capacity": dict(resources), "allocatable": dict(resources),
            "addresses": [{"type": "InternalIP", "address": host_ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": uid_hex[:32], "systemUUID": f"{uid_hex[:8]}-{uid_hex[8:12]}-{uid_hex[12:16]}-"
                                                       f"{uid_hex[16:20]}-{uid_hex[20:32]}",
                "bootID": f"{uid_hex[32:40]}-{uid_hex[40:44]}-{uid_hex[44:48]}-{uid_hex[48:52]}-{uid_hex[52:64]}",
                "kernelVersion": "6.8.0-58-generic", "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://2.1.4", "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64",
            },
            "conditions": [],
        },
    }
    if control:
        node["spec"]["taints"] = [dict(CONTROL_PLANE_TAINT)]
    return node, host_ip


def _container(name: str, image: str, command: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if command:
        c["command"] = command
    c.update(extra)
    return c


def static_pods(cp: str, cp_ip: str, node_uid: str) -> list[Obj]:
    pods = []
    for component, port, cpu in (("etcd", 2381, "100m"), ("kube-apiserver", 6443, "250m"),
                                 ("kube-controller-manager", 10257, "200m"), ("kube-scheduler", 10259, "100m")):
        image = "registry.k8s.io/etcd:3.6.4-0" if component == "etcd" else KUBE_IMAGE.format(component)
        probe_path = "/livez" if component == "kube-apiserver" else "/health" if component == "etcd" else "/healthz"
        probe = {"httpGet": {"host": cp_ip if component == "kube-apiserver" else "127.0.0.1", "path": probe_path,
                             "port": port, "scheme": "HTTP" if component == "etcd" else "HTTPS"},
                 "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 15, "failureThreshold": 8}
        pods.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{component}-{cp}", "namespace": "kube-system",
                         "labels": {"component": component, "tier": "control-plane"},
                         "annotations": {"kubernetes.io/config.source": "file", "kubernetes.io/config.seen":
                                         "2026-01-01T00:00:00.000000000Z"},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": cp, "uid": node_uid,
                                              "controller": True}]},
            "spec": {"nodeName": cp, "hostNetwork": True, "priorityClassName": "system-node-critical",
                     "priority": 2000001000, "automountServiceAccountToken": False,
                     "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
                     "containers": [_container(component, image, [component if component != "etcd" else "etcd"],
                                               resources={"requests": {"cpu": cpu}}, livenessProbe=probe)]},
        })
    return pods


def system_workloads() -> list[Obj]:
    tolerate_all = [{"operator": "Exists"}]
    proxy = _ds("kube-proxy", "kube-system", {"k8s-app": "kube-proxy"},
                _container("kube-proxy", KUBE_IMAGE.format("kube-proxy"),
                           ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"]),
                tolerate_all)
    proxy["spec"]["template"]["spec"]["containers"][0]["command"] = ["kube-proxy"]
    kindnet = _ds("kindnet", "kube-system", {"app": "kindnet", "k8s-app": "kindnet", "tier": "node"},
                  _container("kindnet-cni", "docker.io/kindest/kindnetd:v20250512-df8de77b",
                             resources={"limits": {"cpu": "100m", "memory": "50Mi"},
                                        "requests": {"cpu": "100m", "memory": "50Mi"}}),
                  tolerate_all)
    coredns = _deployment("coredns", "kube-system", {"k8s-app": "kube-dns"}, 2, _container(
        "coredns", "registry.k8s.io/coredns/coredns:v1.12.1", args=["-conf", "/etc/coredns/Corefile"],
        ports=[{"containerPort": 53, "name": "dns", "protocol": "UDP"},
               {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
               {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
        resources={"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        livenessProbe={"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 60,
                       "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 5},
        readinessProbe={"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}}),
        [{"key": "CriticalAddonsOnly", "operator": "Exists"},
         {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    coredns["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}
    kube_dns = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kube-dns", "namespace": "kube-system",
                             "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                        "kubernetes.io/name": "CoreDNS"},
                             "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
                "spec": {"selector": {"k8s-app": "kube-dns"}, "clusterIP": "10.96.0.10",
                         "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                                   {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                                   {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}}
    provisioner = _deployment("local-path-provisioner", "local-path-storage", {"app": "local-path-provisioner"}, 1,
                              _container("local-path-provisioner",
                                         "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a",
                                         ["local-path-provisioner", "--debug", "start", "--helper-image",
                                          "docker.io/kindest/local-path-helper:v20241212-8ac705d0",
                                          "--config", "/etc/config/config.json"]),
                              [{"key": "node-role.kubernetes.io/control-plane", "operator": "Equal",
                                "effect": "NoSchedule"}])
    return [proxy, kindnet, coredns, kube_dns, provisioner]


def _ds(name: str, ns: str, labels: dict[str, str], container: dict[str, Any],
        tolerations: list[dict[str, Any]]) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"hostNetwork": True, "containers": [container],
                                           "tolerations": tolerations, "priorityClassName": "system-node-critical",
                                           "serviceAccountName": name}}}}


def _deployment(name: str, ns: str, labels: dict[str, str], replicas: int, container: dict[str, Any],
                tolerations: list[dict[str, Any]]) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [container], "tolerations": tolerations,
                                           "priorityClassName": "system-cluster-critical",
                                           "nodeSelector": {"kubernetes.io/os": "linux"}}}}}


def kubernetes_service(cp_ip: str) -> list[Obj]:
    return [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"component": "apiserver", "provider": "kubernetes"}},
         "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                                      "targetPort": 6443}]}},
        {"apiVersion": "v1", "kind": "Endpoints",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
         "subsets": [{"addresses": [{"ip": cp_ip}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]},
    ]
