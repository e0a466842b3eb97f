"""What kubectl shows for each kind: the server-side Table columns and cells of
pkg/printers/internalversion/printers.go, and kubectl's tabwriter layout for humans.

The API server serves :func:`table`; :func:`render` is the same table laid out as
``kubectl get`` prints it (used by the demo and by tests that compare exact output).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chaoskit.kube.times import parse_iso
from chaoskit.sim.objects import Obj, get_path
from chaoskit.sim.selectors import format_selector


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    priority: int = 0
    format: str = ""
    description: str = ""


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m" if rem == 0 else f"{minutes}m{rem}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h" if rem == 0 else f"{hours}h{rem}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d" if rem == 0 else f"{hours // 24}d{rem}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: str | None, now: float) -> str:
    if not timestamp:
        return "<unknown>"
    return human_duration(now - parse_iso(timestamp))


def _age(obj: Obj, now: float) -> str:
    return since(obj["metadata"].get("creationTimestamp"), now)


# ---------------------------------------------------------------------------- pods


def pod_cells(pod: Obj, now: float) -> list[Any]:
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    restarts = 0
    last_restart = 0.0
    total = len(spec.get("containers") or [])
    ready = 0
    reason = status.get("reason") or status.get("phase") or ""

    def note_restart(cs: dict[str, Any]) -> None:
        nonlocal last_restart
        finished = get_path(cs, "lastState.terminated.finishedAt")
        if finished:
            last_restart = max(last_restart, parse_iso(finished))

    initializing = False
    inits = status.get("initContainerStatuses") or []
    for i, cs in enumerate(inits):
        restarts += int(cs.get("restartCount", 0))
        note_restart(cs)
        term = get_path(cs, "state.terminated")
        waiting = get_path(cs, "state.waiting")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or (f"Signal:{term['signal']}" if term.get("signal")
                                                        else f"ExitCode:{term.get('exitCode')}"))
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in status.get("conditions") or [])
    if not initializing or initialized:
        restarts = 0
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount", 0))
            note_restart(cs)
            waiting = get_path(cs, "state.waiting")
            term = get_path(cs, "state.terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif cs.get("ready") and get_path(cs, "state.running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            has_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                            for c in status.get("conditions") or [])
            reason = "Running" if has_ready else "NotReady"
    if "deletionTimestamp" in pod["metadata"]:
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restart_text = str(restarts)
    if last_restart:
        restart_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        true_types = {c["type"] for c in status.get("conditions") or [] if c.get("status") == "True"}
        gates_text = f"{sum(1 for g in gates if g.get('conditionType') in true_types)}/{len(gates)}"
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, restart_text, _age(pod, now),
            status.get("podIP") or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_text]


# ---------------------------------------------------------------------------- workloads


def _containers(obj: Obj) -> tuple[str, str]:
    cs = get_path(obj, "spec.template.spec.containers", []) or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def deployment_cells(d: Obj, now: float) -> list[Any]:
    st = d.get("status") or {}
    names, images = _containers(d)
    return [d["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{get_path(d, 'spec.replicas', 0)}",
            int(st.get("updatedReplicas", 0)), int(st.get("availableReplicas", 0)), _age(d, now),
            names, images, format_selector(get_path(d, "spec.selector"))]


def replicaset_cells(rs: Obj, now: float) -> list[Any]:
    st = rs.get("status") or {}
    names, images = _containers(rs)
    return [rs["metadata"]["name"], int(get_path(rs, "spec.replicas", 0)), int(st.get("replicas", 0)),
            int(st.get("readyReplicas", 0)), _age(rs, now), names, images,
            format_selector(get_path(rs, "spec.selector"))]


def daemonset_cells(ds: Obj, now: float) -> list[Any]:
    st = ds.get("status") or {}
    names, images = _containers(ds)
    selector = get_path(ds, "spec.template.spec.nodeSelector") or {}
    node_sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"
    return [ds["metadata"]["name"], int(st.get("desiredNumberScheduled", 0)),
            int(st.get("currentNumberScheduled", 0)), int(st.get("numberReady", 0)),
            int(st.get("updatedNumberScheduled", 0)), int(st.get("numberAvailable", 0)), node_sel, _age(ds, now),
            names, images, format_selector(get_path(ds, "spec.selector"))]


def job_status_text(job: Obj) -> str:
    conds = {c.get("type"): c for c in get_path(job, "status.conditions", []) or [] if c.get("status") == "True"}
    for ctype in ("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet", "Suspended"):
        if ctype in conds:
            return ctype
    if "deletionTimestamp" in job["metadata"]:
        return "Terminating"
    return "Running"


def job_cells(job: Obj, now: float) -> list[Any]:
    st = job.get("status") or {}
    completions = get_path(job, "spec.completions")
    succeeded = int(st.get("succeeded", 0))
    if completions is not None:
        comp = f"{succeeded}/{completions}"
    else:
        parallelism = int(get_path(job, "spec.parallelism", 1) or 1)
        comp = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    duration = ""
    if st.get("startTime"):
        end = parse_iso(st["completionTime"]) if st.get("completionTime") else now
        duration = human_duration(end - parse_iso(st["startTime"]))
    names, images = _containers(job)
    return [job["metadata"]["name"], job_status_text(job), comp, duration, _age(job, now), names, images,
            format_selector(get_path(job, "spec.selector"))]


# ---------------------------------------------------------------------------- networking


def service_cells(svc: Obj, now: float) -> list[Any]:
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    external = "<none>"
    if stype == "LoadBalancer":
        ingress = get_path(svc, "status.loadBalancer.ingress") or []
        external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or "<pending>"
    elif stype == "ExternalName":
        external = spec.get("externalName", "<none>")
    elif spec.get("externalIPs"):
        external = ",".join(spec["externalIPs"])
    ports = []
    for p in spec.get("ports") or []:
        text = f"{p['port']}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort") else \
            f"{p['port']}/{p.get('protocol', 'TCP')}"
        ports.append(text)
    selector = spec.get("selector") or {}
    sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"
    return [svc["metadata"]["name"], stype, spec.get("clusterIP") or "<none>", external,
            ",".join(ports) or "<none>", _age(svc, now), sel]


def _more(items: list[str], limit: int = 3) -> str:
    if len(items) > limit:
        return ",".join(items[:limit]) + f" + {len(items) - limit} more..."
    return ",".join(items)


def endpoints_cells(ep: Obj, now: float) -> list[Any]:
    items = []
    for subset in ep.get("subsets") or []:
        ports = subset.get("ports") or []
        for addr in subset.get("addresses") or []:
            if ports:
                items += [f"{addr['ip']}:{p['port']}" for p in ports]
            else:
                items.append(addr["ip"])
    return [ep["metadata"]["name"], _more(items) or "<none>", _age(ep, now)]


def endpointslice_cells(es: Obj, now: float) -> list[Any]:
    ports = ",".join(str(p.get("port")) for p in es.get("ports") or []) or "<unset>"
    addrs = [a for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    return [es["metadata"]["name"], es.get("addressType", ""), ports, _more(addrs) or "<unset>", _age(es, now)]


# ---------------------------------------------------------------------------- cluster and config


def node_status_text(node: Obj) -> str:
    ready = next((c for c in get_path(node, "status.conditions", []) or [] if c.get("type") == "Ready"), None)
    parts = ["Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"]
    if get_path(node, "spec.unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def node_roles(node: Obj) -> str:
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(r for r in roles if r)) or "<none>"


def node_cells(node: Obj, now: float) -> list[Any]:
    info = get_path(node, "status.nodeInfo") or {}
    addresses = get_path(node, "status.addresses") or []
    internal = next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "<none>")
    external = next((a["address"] for a in addresses if a.get("type") == "ExternalIP"), "<none>")
    return [node["metadata"]["name"], node_status_text(node), node_roles(node), _age(node, now),
            info.get("kubeletVersion", ""), internal, external, info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion", "<unknown>")]


def event_cells(ev: Obj, now: float) -> list[Any]:
    inv = ev.get("involvedObject") or {}
    source = ev.get("source") or {}
    src = source.get("component", "")
    if source.get("host"):
        src = f"{src}, {source['host']}"
    last = ev.get("lastTimestamp") or ev.get("eventTime")
    first = ev.get("firstTimestamp") or ev.get("eventTime")
    return [since(last, now), ev.get("type", ""), ev.get("reason", ""),
            f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}", inv.get("fieldPath", ""), src,
            str(ev.get("message", "")).strip(), since(first, now), int(ev.get("count", 1) or 1),
            ev["metadata"]["name"]]


def ingress_cells(ing: Obj, now: float) -> list[Any]:
    rules = get_path(ing, "spec.rules", []) or []
    hosts = ",".join(r.get("host", "") for r in rules if r.get("host")) or "*"
    lb = get_path(ing, "status.loadBalancer.ingress", []) or []
    address = ",".join(i.get("ip") or i.get("hostname", "") for i in lb)
    ports = "80, 443" if get_path(ing, "spec.tls") else "80"
    return [ing["metadata"]["name"], get_path(ing, "spec.ingressClassName") or "<none>", hosts, address, ports,
            _age(ing, now)]


def cronjob_cells(cj: Obj, now: float) -> list[Any]:
    active = len(get_path(cj, "status.active", []) or [])
    last = get_path(cj, "status.lastScheduleTime")
    names, images = (",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)) if (
        cs := get_path(cj, "spec.jobTemplate.spec.template.spec.containers", []) or []) else ("", "")
    return [cj["metadata"]["name"], get_path(cj, "spec.schedule", ""), get_path(cj, "spec.timeZone") or "<none>",
            "True" if get_path(cj, "spec.suspend") else "False", active, since(last, now) if last else "<none>",
            _age(cj, now), names, images, format_selector(get_path(cj, "spec.jobTemplate.spec.selector"))]


CellFn = Callable[[Obj, float], list[Any]]

_NAME = Column("Name", format="name", description="Name must be unique within a namespace.")
_AGE = Column("Age", description="CreationTimestamp is a timestamp representing the server time when this object "
                                 "was created.")
_WORKLOAD_WIDE = [Column("Containers", priority=1), Column("Images", priority=1), Column("Selector", priority=1)]

TABLES: dict[str, tuple[list[Column], CellFn]] = {
    "Pod": ([_NAME, Column("Ready"), Column("Status"), Column("Restarts", "string"), _AGE,
             Column("IP", priority=1), Column("Node", priority=1), Column("Nominated Node", priority=1),
             Column("Readiness Gates", priority=1)], pod_cells),
    "Deployment": ([_NAME, Column("Ready"), Column("Up-to-date", "integer"), Column("Available", "integer"), _AGE,
                    *_WORKLOAD_WIDE], deployment_cells),
    "ReplicaSet": ([_NAME, Column("Desired", "integer"), Column("Current", "integer"), Column("Ready", "integer"),
                    _AGE, *_WORKLOAD_WIDE], replicaset_cells),
    "DaemonSet": ([_NAME, Column("Desired", "integer"), Column("Current", "integer"), Column("Ready", "integer"),
                   Column("Up-to-date", "integer"), Column("Available", "integer"), Column("Node Selector"), _AGE,
                   *_WORKLOAD_WIDE], daemonset_cells),
    "Job": ([_NAME, Column("Status"), Column("Completions"), Column("Duration"), _AGE, *_WORKLOAD_WIDE], job_cells),
    "CronJob": ([_NAME, Column("Schedule"), Column("Timezone"), Column("Suspend"), Column("Active", "integer"),
                 Column("Last Schedule"), _AGE, *_WORKLOAD_WIDE], cronjob_cells),
    "Service": ([_NAME, Column("Type"), Column("Cluster-IP"), Column("External-IP"), Column("Port(s)"), _AGE,
                 Column("Selector", priority=1)], service_cells),
    "Endpoints": ([_NAME, Column("Endpoints"), _AGE], endpoints_cells),
    "EndpointSlice": ([_NAME, Column("AddressType"), Column("Ports"), Column("Endpoints"), _AGE],
                      endpointslice_cells),
    "Node": ([_NAME, Column("Status"), Column("Roles"), _AGE, Column("Version"), Column("Internal-IP", priority=1),
              Column("External-IP", priority=1), Column("OS-Image", priority=1),
              Column("Kernel-Version", priority=1), Column("Container-Runtime", priority=1)], node_cells),
    "Namespace": ([_NAME, Column("Status"), _AGE],
                  lambda o, now: [o["metadata"]["name"], get_path(o, "status.phase", ""), _age(o, now)]),
    "Event": ([Column("Last Seen"), Column("Type"), Column("Reason"), Column("Object"),
               Column("Subobject", priority=1), Column("Source", priority=1), Column("Message"),
               Column("First Seen", priority=1), Column("Count", "integer", priority=1),
               Column("Name", priority=1)], event_cells),
    "ConfigMap": ([_NAME, Column("Data", "integer"), _AGE],
                  lambda o, now: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                                  _age(o, now)]),
    "Secret": ([_NAME, Column("Type"), Column("Data", "integer"), _AGE],
               lambda o, now: [o["metadata"]["name"], o.get("type", ""), len(o.get("data") or {}), _age(o, now)]),
    "ServiceAccount": ([_NAME, Column("Secrets", "integer"), _AGE],
                       lambda o, now: [o["metadata"]["name"], len(o.get("secrets") or []), _age(o, now)]),
    "Ingress": ([_NAME, Column("Class"), Column("Hosts"), Column("Address"), Column("Ports"), _AGE],
                ingress_cells),
    "IngressClass": ([_NAME, Column("Controller"), Column("Parameters"), _AGE],
                     lambda o, now: [o["metadata"]["name"], get_path(o, "spec.controller", ""),
                                     "<none>", _age(o, now)]),
    "Lease": ([_NAME, Column("Holder"), _AGE],
              lambda o, now: [o["metadata"]["name"], get_path(o, "spec.holderIdentity", ""), _age(o, now)]),
}


def table(kind: str, objs: Sequence[Obj], now: float, resource_version: str = "",
          include: str = "Metadata") -> dict[str, Any]:
    """A meta.k8s.io/v1 Table, as the API server answers ``Accept: ...;as=Table``."""
    columns, cells = TABLES[kind]
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": cells(obj, now)}
        if include == "Object":
            row["object"] = obj
        elif include == "Metadata":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [{"name": c.name, "type": c.type, "format": c.format, "description": c.description,
                               "priority": c.priority} for c in columns],
        "rows": rows,
    }


def render(kind: str, objs: Sequence[Obj], now: float, wide: bool = False, namespace_column: bool = False) -> str:
    """The table laid out as ``kubectl get`` prints it (tabwriter: min width 6, padding 3)."""
    columns, cells = TABLES[kind]
    keep = [i for i, c in enumerate(columns) if wide or c.priority == 0]
    header = [columns[i].name.upper() for i in keep]
    rows = [[str(cells(o, now)[i]) for i in keep] for o in objs]
    if namespace_column:
        header.insert(0, "NAMESPACE")
        for row, obj in zip(rows, objs, strict=True):
            row.insert(0, obj["metadata"].get("namespace", ""))
    if not rows:
        return "No resources found\n"
    grid = [header, *rows]
    widths = [max(6, max(len(r[i]) for r in grid) + 3) for i in range(len(header))]
    lines = []
    for r in grid:
        parts = [cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])]
        lines.append("".join(parts) + r[-1])
    return "\n".join(lines) + "\n"
