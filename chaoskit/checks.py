"""Remediation, baseline and cause checks: predicates over cluster state, read through the API.

A check with ``hold`` must pass at every look over that window (simulator time), so a pod that
is briefly Running between crashes does not count as fixed. *Cause checks* look at the spec the
fault broke rather than at the symptom (the memory limit covers what the application needs; the
Service selects the labels the Deployment's *template* gives its pods, not labels stuck on today's
pods), so a fix that makes the symptom go away without touching the cause does not pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaoskit.cluster import Kube, KubeError
from chaoskit.kube.quantity import parse as parse_quantity
from chaoskit.scenario.model import Check


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


@dataclass
class Memory:
    """What a check remembers between looks within one hold window (restart counts)."""

    restarts: dict[str, int] = field(default_factory=dict)


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


def evaluate(kube: Kube, namespace: str, check: Check, memory: Memory | None = None) -> CheckResult:
    args = check.args
    try:
        return _CHECKS[check.check](kube, namespace, args, memory or Memory())
    except KubeError as err:
        return CheckResult(False, f"{check.check}: {err}")


def _deployment_available(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    want = int(dep["spec"].get("replicas", 1))
    st = dep.get("status") or {}
    minimum = int(args.get("count", want))
    ok = want >= max(1, minimum) and int(st.get("availableReplicas", 0)) >= want and \
        int(st.get("updatedReplicas", 0)) == want and int(st.get("replicas", 0)) == want
    return CheckResult(ok, f"deployment {args['name']}: {st.get('availableReplicas', 0)}/{want} available, "
                           f"{st.get('updatedReplicas', 0)} updated")


def _pods_ready(kube: Kube, ns: str, args: dict[str, Any], memory: Memory) -> CheckResult:
    pods = [p for p in kube.items("Pod", ns, args.get("selector")) if "deletionTimestamp" not in p["metadata"]]
    ready = [p for p in pods if _ready(p)]
    count = int(args.get("count", 1))
    return CheckResult(len(ready) >= count, f"{len(ready)}/{len(pods)} pods ready ({args.get('selector')}), "
                                            f"want {count}")


def _no_restarts(kube: Kube, ns: str, args: dict[str, Any], memory: Memory) -> CheckResult:
    pods = [p for p in kube.items("Pod", ns, args.get("selector")) if "deletionTimestamp" not in p["metadata"]]
    moved = []
    for p in pods:
        for cs in p.get("status", {}).get("containerStatuses") or []:
            key = f"{p['metadata']['name']}/{cs['name']}"
            seen = memory.restarts.setdefault(key, int(cs.get("restartCount", 0)))
            if int(cs.get("restartCount", 0)) != seen or (cs.get("state", {}).get("waiting") or {}).get("reason"):
                moved.append(key)
    return CheckResult(bool(pods) and not moved, "containers restarting: " + ", ".join(moved) if moved
                       else f"{len(pods)} pods without restarts")


def _service_endpoints(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    ep = kube.try_get("Endpoints", ns, args["service"])
    ready = [a for s in (ep or {}).get("subsets") or [] for a in s.get("addresses") or []]
    count = int(args.get("count", 1))
    return CheckResult(len(ready) >= count, f"service {args['service']}: {len(ready)} ready endpoints, want {count}")


def _http(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    status, _body = kube.proxy_get(ns, args["service"], int(args.get("port", 80)), args.get("path", "/"))
    want = int(args.get("status", 200))
    return CheckResult(status == want, f"GET {args['service']}:{args.get('port', 80)}{args.get('path', '/')} "
                                       f"-> {status}, want {want}")


def _workers(kube: Kube) -> list[dict[str, Any]]:
    return [n for n in kube.items("Node")
            if "node-role.kubernetes.io/control-plane" not in (n["metadata"].get("labels") or {})]


def _node_ready(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    nodes = [kube.get("Node", None, args["name"])] if args.get("name") else kube.items("Node")
    bad = [n["metadata"]["name"] for n in nodes if not any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in n.get("status", {}).get("conditions") or [])]
    return CheckResult(not bad, "not ready: " + ", ".join(bad) if bad else "all nodes ready")


def _node_schedulable(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    good = [n["metadata"]["name"] for n in _workers(kube) if not n["spec"].get("unschedulable") and not any(
        t.get("effect") in ("NoSchedule", "NoExecute") for t in n["spec"].get("taints") or [])]
    count = int(args.get("count", 1))
    return CheckResult(len(good) >= count, f"{len(good)} schedulable workers, want {count}")


def _containers(dep: dict[str, Any]) -> list[dict[str, Any]]:
    return list(((dep.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [])


def _memory_at_least(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """Every (or the named) container of the Deployment's template has a memory limit, if any, of at
    least ``min`` (no limit at all is enough too: the working set then fits)."""
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    need = parse_quantity(str(args["min"]))
    short = []
    for c in _containers(dep):
        if args.get("container") and c.get("name") != args["container"]:
            continue
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        if limit is not None and parse_quantity(str(limit)) < need:
            short.append(f"{c.get('name')} limit {limit}")
    return CheckResult(not short, f"below {args['min']}: {', '.join(short)}" if short
                       else f"memory limits cover {args['min']}")


def _selector_matches_template(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """The Service's selector is a subset of the labels the Deployment's pod template gives every
    pod it will ever make (relabelling today's pods does not pass)."""
    svc = kube.try_get("Service", ns, args["service"])
    dep = kube.try_get("Deployment", ns, args["name"])
    if svc is None or dep is None:
        return CheckResult(False, f"service {args['service']} or deployment {args['name']} does not exist")
    selector = (svc.get("spec") or {}).get("selector") or {}
    labels = (((dep.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    wrong = sorted(k for k, v in selector.items() if labels.get(k) != v)
    ok = bool(selector) and not wrong
    return CheckResult(ok, f"selector keys not in the template: {', '.join(wrong)}" if wrong
                       else "selector matches the template" if ok else "the service selects nothing")


def _target_port_served(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """Every port of the Service targets a port some container of the Deployment's template
    declares (by number or by name)."""
    svc = kube.try_get("Service", ns, args["service"])
    dep = kube.try_get("Deployment", ns, args["name"])
    if svc is None or dep is None:
        return CheckResult(False, f"service {args['service']} or deployment {args['name']} does not exist")
    declared = {p.get(k) for c in _containers(dep) for p in c.get("ports") or [] for k in ("containerPort", "name")}
    missing = [str(p.get("targetPort", p.get("port"))) for p in (svc.get("spec") or {}).get("ports") or []
               if p.get("targetPort", p.get("port")) not in declared]
    return CheckResult(not missing, f"targetPort not declared by the pods: {', '.join(missing)}" if missing
                       else "every targetPort is a container port")


def _image_pulls(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """The pods of the Deployment's current template have pulled their image (none is stuck in an
    image error), so the image reference exists."""
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    images = {c.get("image") for c in _containers(dep)}
    pods = [p for p in kube.items("Pod", ns, args.get("selector"))
            if "deletionTimestamp" not in p["metadata"]
            and {c.get("image") for c in p["spec"].get("containers") or []} == images]
    stuck = [p["metadata"]["name"] for p in pods for cs in p.get("status", {}).get("containerStatuses") or []
             if ((cs.get("state") or {}).get("waiting") or {}).get("reason") in IMAGE_ERRORS]
    pulled = [p for p in pods if any(cs.get("imageID") for cs in p.get("status", {}).get("containerStatuses") or [])]
    ok = bool(pulled) and not stuck
    return CheckResult(ok, f"image errors: {', '.join(stuck)}" if stuck else
                       f"{len(pulled)} pod(s) pulled {', '.join(sorted(str(i) for i in images))}" if ok
                       else "no pod of the current template has pulled its image yet")


def _probe_is(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """The (named) container's probe checks what the application serves: ``path`` and ``port``."""
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    key = f"{args.get('probe', 'liveness')}Probe"
    wrong = []
    for c in _containers(dep):
        if args.get("container") and c.get("name") != args["container"]:
            continue
        probe = c.get(key)
        if probe is None:
            wrong.append(f"{c.get('name')}: the {args.get('probe', 'liveness')} probe was removed")
            continue
        get = probe.get("httpGet") or {}
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
        port = ports.get(get.get("port"), get.get("port"))
        if get.get("path") != args.get("path", get.get("path")) or port != args.get("port", port):
            wrong.append(f"{c.get('name')}: {get.get('path')} on {get.get('port')}")
        if probe.get("failureThreshold", 3) * probe.get("periodSeconds", 10) + probe.get("initialDelaySeconds", 0) \
                < args.get("grace", 0):
            wrong.append(f"{c.get('name')}: fails in less than {args['grace']}s")
    return CheckResult(not wrong, "; ".join(wrong) if wrong else f"{key} checks the right endpoint")


def _references_exist(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """Every ConfigMap and Secret the Deployment's template refers to (env, envFrom, volumes) exists
    with the keys it names, unless the reference is optional."""
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    refs: list[tuple[str, str, str | None]] = []
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for env in c.get("env") or []:
            source = (env.get("valueFrom") or {})
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = source.get(key)
                if ref and not ref.get("optional"):
                    refs.append((kind, str(ref.get("name")), str(ref.get("key"))))
        for env_from in c.get("envFrom") or []:
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = env_from.get(key)
                if ref and not ref.get("optional"):
                    refs.append((kind, str(ref.get("name")), None))
    for volume in spec.get("volumes") or []:
        for key, kind, name_key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")):
            ref = volume.get(key)
            if ref and not ref.get("optional"):
                refs.append((kind, str(ref.get(name_key)), None))
    missing = []
    for kind, name, wanted in refs:
        obj = kube.try_get(kind, ns, name)
        data = {**((obj or {}).get("data") or {}), **((obj or {}).get("stringData") or {}),
                **((obj or {}).get("binaryData") or {})}
        if obj is None:
            missing.append(f"{kind.lower()} {name}")
        elif wanted is not None and wanted not in data:
            missing.append(f"key {wanted} in {kind.lower()} {name}")
    return CheckResult(not missing, f"missing: {', '.join(missing)}" if missing
                       else f"{len(refs)} reference(s) resolve")


def _no_blanket_toleration(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """The Deployment's pods tolerate named taints only: a toleration with ``operator: Exists`` and
    no key tolerates every taint there is (the control plane's, a node being drained...)."""
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    blanket = [t for t in spec.get("tolerations") or [] if t.get("operator") == "Exists" and not t.get("key")]
    return CheckResult(not blanket, "tolerates every taint (operator Exists without a key)" if blanket
                       else "tolerations name their taints")


def tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    """corev1 Toleration.ToleratesTaint: an empty effect matches every effect, an empty key with
    Exists matches every key, Equal compares the value."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    if toleration.get("key", "") != taint.get("key", "") and not (
            not toleration.get("key") and toleration.get("operator") == "Exists"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return True
    return str(toleration.get("value", "")) == str(taint.get("value", ""))


def _workers_accept(kube: Kube, ns: str, args: dict[str, Any], _: Memory) -> CheckResult:
    """Some schedulable worker carries no NoSchedule/NoExecute taint the Deployment's pods do not
    tolerate (by name: a toleration of every taint does not count)."""
    dep = kube.try_get("Deployment", ns, args["name"])
    if dep is None:
        return CheckResult(False, f"deployment {args['name']} does not exist")
    spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    named = [t for t in spec.get("tolerations") or [] if t.get("key")]
    open_nodes = [n["metadata"]["name"] for n in _workers(kube) if not n["spec"].get("unschedulable") and all(
        any(tolerates(t, taint) for t in named) for taint in n["spec"].get("taints") or []
        if taint.get("effect") in ("NoSchedule", "NoExecute"))]
    return CheckResult(bool(open_nodes), f"workers that accept the pods: {', '.join(open_nodes)}" if open_nodes
                       else "every worker has a taint the pods do not tolerate")


_CHECKS = {
    "deployment-available": _deployment_available, "pods-ready": _pods_ready, "no-restarts": _no_restarts,
    "service-endpoints": _service_endpoints, "http": _http, "node-ready": _node_ready,
    "node-schedulable": _node_schedulable,
    "memory-limit-at-least": _memory_at_least, "selector-matches-template": _selector_matches_template,
    "target-port-served": _target_port_served, "image-pulls": _image_pulls, "probe-is": _probe_is,
    "references-exist": _references_exist, "no-blanket-toleration": _no_blanket_toleration,
    "workers-accept": _workers_accept,
}
IMAGE_ERRORS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
CHECK_TYPES = frozenset(_CHECKS)
