"""The kinds the simulator serves, as data: adding a kind is one :class:`KindInfo` entry.

Discovery (names, short names, categories), field selectors and status/generation handling
all read this table, so the store, the API server and the printers stay in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chaoskit.kube.status import NotFound

_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class KindInfo:
    kind: str
    plural: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_status: bool = True
    has_generation: bool = False
    # Field selectors beyond metadata.name / metadata.namespace.
    fields: frozenset[str] = field(default_factory=frozenset)
    verbs: tuple[str, ...] = _VERBS
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """``deployments.apps`` as error messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


_POD_FIELDS = frozenset({
    "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
    "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
})
_EVENT_FIELDS = frozenset({
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
    "reason", "reportingComponent", "source", "type",
})

KINDS: tuple[KindInfo, ...] = (
    KindInfo("Namespace", "namespaces", namespaced=False, short_names=("ns",), fields=frozenset({"status.phase"}),
             subresources=("status", "finalize")),
    KindInfo("Node", "nodes", namespaced=False, short_names=("no",), fields=frozenset({"spec.unschedulable"}),
             subresources=("status", "proxy")),
    KindInfo("Pod", "pods", short_names=("po",), categories=("all",), has_generation=True, fields=_POD_FIELDS,
             subresources=("status", "log", "eviction", "binding", "proxy", "exec", "attach", "portforward",
                           "ephemeralcontainers", "resize")),
    KindInfo("Service", "services", short_names=("svc",), categories=("all",), subresources=("status", "proxy")),
    KindInfo("Endpoints", "endpoints", short_names=("ep",), has_status=False),
    KindInfo("Event", "events", short_names=("ev",), has_status=False, fields=_EVENT_FIELDS),
    KindInfo("ConfigMap", "configmaps", short_names=("cm",), has_status=False),
    KindInfo("Secret", "secrets", has_status=False, fields=frozenset({"type"})),
    KindInfo("ServiceAccount", "serviceaccounts", short_names=("sa",), has_status=False),
    KindInfo("Deployment", "deployments", group="apps", short_names=("deploy",), categories=("all",),
             has_generation=True, subresources=("status", "scale")),
    KindInfo("ReplicaSet", "replicasets", group="apps", short_names=("rs",), categories=("all",),
             has_generation=True, subresources=("status", "scale")),
    KindInfo("DaemonSet", "daemonsets", group="apps", short_names=("ds",), categories=("all",),
             has_generation=True, subresources=("status",)),
    KindInfo("Job", "jobs", group="batch", categories=("all",), has_generation=True, subresources=("status",)),
    KindInfo("CronJob", "cronjobs", group="batch", short_names=("cj",), categories=("all",), has_generation=True,
             subresources=("status",)),
    KindInfo("EndpointSlice", "endpointslices", group="discovery.k8s.io", has_status=False,
             fields=frozenset({"addressType"})),
    KindInfo("Lease", "leases", group="coordination.k8s.io", has_status=False),
    KindInfo("Ingress", "ingresses", group="networking.k8s.io", short_names=("ing",), subresources=("status",)),
    KindInfo("IngressClass", "ingressclasses", group="networking.k8s.io", namespaced=False, has_status=False),
    # Served from the kubelets' live numbers, never stored (metrics-server's API).
    KindInfo("NodeMetrics", "nodes", group="metrics.k8s.io", version="v1beta1", namespaced=False, has_status=False,
             verbs=("get", "list")),
    KindInfo("PodMetrics", "pods", group="metrics.k8s.io", version="v1beta1", has_status=False,
             verbs=("get", "list")),
)
STORED = tuple(k for k in KINDS if k.group != "metrics.k8s.io")

BY_KIND: dict[str, KindInfo] = {k.kind: k for k in KINDS}


def info(kind: str) -> KindInfo:
    try:
        return BY_KIND[kind]
    except KeyError:
        raise NotFound(f"the server could not find the requested resource (kind {kind})") from None


def resolve(name: str) -> KindInfo:
    """Find a kind by plural, singular, short name or Kind, as kubectl users type them."""
    lowered = name.lower()
    for k in STORED:
        if lowered in (k.plural, k.singular, k.kind.lower(), k.qualified) or lowered in k.short_names:
            return k
    raise NotFound(f'the server doesn\'t have a resource type "{name}"')


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares against (absent fields compare as "")."""
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)
