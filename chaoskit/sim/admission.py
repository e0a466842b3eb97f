"""Defaulting and validation, as the real API server's registry strategies and admission do.

Defaults are the ones ``kubectl get -o yaml`` shows on a real cluster; validation errors use
apimachinery's field-error wording (``spec.replicas: Invalid value: -1: must be greater than
or equal to 0``) so kubectl prints what a user would see from a real API server.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from chaoskit.kube import quantity
from chaoskit.kube.status import invalid
from chaoskit.sim import sizes
from chaoskit.sim.kinds import KindInfo
from chaoskit.sim.objects import Obj, get_path

Cause = tuple[str, str, str]  # (reason, field, message)

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
               "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
               "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


def go_value(value: Any) -> str:
    """How field errors print a value: quoted strings, bare numbers, Go-ish maps."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    if value is None:
        return "null"
    return str(value)


def invalid_value(fld: str, value: Any, detail: str) -> Cause:
    return ("FieldValueInvalid", fld, f"Invalid value: {go_value(value)}: {detail}")


def required(fld: str, detail: str = "") -> Cause:
    return ("FieldValueRequired", fld, "Required value" + (f": {detail}" if detail else ""))


def unsupported(fld: str, value: Any, supported: list[str]) -> Cause:
    vals = ", ".join(json.dumps(s) for s in supported)
    return ("FieldValueNotSupported", fld, f"Unsupported value: {go_value(value)}: supported values: {vals}")


def forbidden(fld: str, detail: str) -> Cause:
    return ("FieldValueForbidden", fld, f"Forbidden: {detail}")


def immutable(fld: str, value: Any) -> Cause:
    return ("FieldValueInvalid", fld, f"Invalid value: {go_value(value)}: field is immutable")


# --------------------------------------------------------------------------- defaults


def image_pull_policy(image: str) -> str:
    """Always for :latest or no tag, IfNotPresent otherwise (digests included)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.rsplit(":", 1)[1] == "latest":
        return "Always"
    return "IfNotPresent"


def _default_probe(probe: dict[str, Any] | None) -> None:
    if not probe:
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if "httpGet" in probe:
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe["httpGet"].setdefault("path", "/")


def _default_container(c: dict[str, Any]) -> None:
    if c.get("image"):
        c.setdefault("imagePullPolicy", image_pull_policy(str(c["image"])))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    res = c.setdefault("resources", {})
    limits = res.get("limits") or {}
    if limits:
        requests = res.setdefault("requests", {})
        for key, val in limits.items():
            requests.setdefault(key, val)
    for port in c.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(key))
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef")
        if ref is not None:
            ref.setdefault("apiVersion", "v1")


def default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(c, dict):
            _default_container(c)
    for vol in spec.get("volumes") or []:
        for key in ("configMap", "secret"):
            if key in vol and isinstance(vol[key], dict):
                vol[key].setdefault("defaultMode", 420)


def default_pod(pod: Obj, api_access_suffix: str) -> None:
    """Pod defaults plus the admission plugins a kind cluster runs
    (ServiceAccount, DefaultTolerationSeconds, Priority)."""
    spec = pod.setdefault("spec", {})
    default_pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    sa = spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec["serviceAccount"] = sa
    tolerations = spec.setdefault("tolerations", [])
    for key in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if not any((t.get("key") == key and t.get("effect") in ("NoExecute", None, "")) or
                   (not t.get("key") and t.get("operator") == "Exists") for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    if spec.get("automountServiceAccountToken", True) is not False:
        vols = spec.setdefault("volumes", [])
        if not any(v.get("name", "").startswith("kube-api-access-") for v in vols):
            name = f"kube-api-access-{api_access_suffix}"
            vols.append({"name": name, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            ]}})
            for c in spec.get("containers") or []:
                if isinstance(c, dict):
                    c.setdefault("volumeMounts", []).append({
                        "name": name, "readOnly": True,
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
    pod.setdefault("status", {"phase": "Pending", "qosClass": qos_class(spec)})


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed when every container has equal cpu and memory requests and limits."""
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                  if isinstance(c, dict)]
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for key in ("cpu", "memory"):
            if key not in lim or key not in req or quantity.parse(req[key]) != quantity.parse(lim[key]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _default_template(obj: Obj) -> None:
    tmpl = obj.setdefault("spec", {}).setdefault("template", {})
    tmpl.setdefault("metadata", {})
    default_pod_spec(tmpl.setdefault("spec", {}))


def default_deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_template(obj)


def default_replicaset(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _default_template(obj)


def default_daemonset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type") == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
    spec.setdefault("revisionHistoryLimit", 10)
    _default_template(obj)


def default_job(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    uid = obj["metadata"]["uid"]
    name = obj["metadata"]["name"]
    if not spec.get("manualSelector"):
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                       "controller-uid": uid, "job-name": name})
    _default_template(obj)


def default_service(obj: Obj, allocate_ip: Callable[[], str], allocate_node_port: Callable[[], int]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = allocate_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if spec["type"] in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            port["nodePort"] = allocate_node_port()
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    obj.setdefault("status", {"loadBalancer": {}})


def default_cronjob(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    template = spec.setdefault("jobTemplate", {}).setdefault("spec", {}).setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))
    obj.setdefault("status", {})


def _validate_cronjob(obj: Obj) -> list[Cause]:
    from croniter import croniter

    causes: list[Cause] = []
    schedule = get_path(obj, "spec.schedule")
    if not schedule:
        causes.append(required("spec.schedule"))
    elif "TZ" in str(schedule):
        causes.append(invalid_value("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone "
                                    "field instead"))
    elif not croniter.is_valid(str(schedule)):
        causes.append(invalid_value("spec.schedule", schedule, f"unparseable schedule: {schedule}"))
    policy = get_path(obj, "spec.concurrencyPolicy")
    if policy not in ("Allow", "Forbid", "Replace"):
        causes.append(unsupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
    causes += validate_pod_spec(get_path(obj, "spec.jobTemplate.spec.template.spec"),
                                "spec.jobTemplate.spec.template.spec", ("OnFailure", "Never"))
    return causes


def default_namespace(obj: Obj) -> None:
    name = obj["metadata"]["name"]
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


def default_secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, val in string_data.items():
            data[key] = base64.b64encode(str(val).encode()).decode()


# --------------------------------------------------------------------------- validation


def _validate_name(obj: Obj, info: KindInfo) -> list[Cause]:
    name = get_path(obj, "metadata.name")
    if not name:
        return [required("metadata.name", "name or generateName is required")]
    if info.kind in ("Service", "Namespace"):
        pattern, msg = (DNS1035_LABEL, DNS1035_MSG) if info.kind == "Service" else (DNS1123_LABEL, LABEL_MSG)
    else:
        pattern, msg = DNS1123_SUBDOMAIN, SUBDOMAIN_MSG
    if not pattern.match(name) or len(name) > 253:
        return [invalid_value("metadata.name", name, msg)]
    return []


QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _key_causes(field: str, key: str) -> list[Cause]:
    """Label and annotation keys: an optional DNS-subdomain prefix and a qualified name."""
    prefix, _, name = key.rpartition("/")
    causes = []
    if "/" in key and (not prefix or not DNS1123_SUBDOMAIN.match(prefix) or len(prefix) > 253):
        causes.append(invalid_value(field, key, f"prefix part {SUBDOMAIN_MSG}"))
    if not QUALIFIED_NAME.match(name) or len(name) > 63:
        causes.append(invalid_value(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', "
                                    "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                                    "'my.name',  or '123-abc', regex used for validation is "
                                    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"))
    return causes


def _validate_labels(obj: Obj, prefix: str = "metadata.labels") -> list[Cause]:
    causes: list[Cause] = []
    for key in (get_path(obj, "metadata.annotations") or {}):
        causes += _key_causes("metadata.annotations", str(key))
    for key in (get_path(obj, "metadata.labels") or {}):
        causes += _key_causes(prefix, str(key))
    for key, val in (get_path(obj, "metadata.labels") or {}).items():
        if not isinstance(val, str) or (val and not re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", val)) \
                or len(str(val)) > 63:
            causes.append(invalid_value(prefix, val, "a valid label must be an empty string or consist of "
                                        "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                                        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
                                        "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"))
        del key
    return causes


def _validate_resources(c: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    res = c.get("resources") or {}
    for section in ("limits", "requests"):
        for key, val in (res.get(section) or {}).items():
            if not quantity.is_valid(val):
                causes.append(invalid_value(f"{path}.resources.{section}[{key}]", val,
                                            "quantities must match the regular expression "
                                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
            elif quantity.parse(val) < 0:
                causes.append(invalid_value(f"{path}.resources.{section}.{key}", val,
                                            "must be greater than or equal to 0"))
    if causes:
        return causes
    for key, req in (res.get("requests") or {}).items():
        lim = (res.get("limits") or {}).get(key)
        if lim is not None and quantity.parse(req) > quantity.parse(lim):
            causes.append(invalid_value(f"{path}.resources.requests", req,
                                        f"must be less than or equal to {key} limit of {lim}"))
    return causes


def validate_pod_spec(spec: Any, path: str, restart_policies: tuple[str, ...] | None = None) -> list[Cause]:
    if not isinstance(spec, dict):
        return [required(path)]
    causes: list[Cause] = []
    volume_names: set[str] = set()
    for i, vol in enumerate(spec.get("volumes") or []):
        name = vol.get("name") if isinstance(vol, dict) else None
        if not name:
            causes.append(required(f"{path}.volumes[{i}].name"))
        elif name in volume_names:
            causes.append(("FieldValueDuplicate", f"{path}.volumes[{i}].name", f"Duplicate value: {go_value(name)}"))
        volume_names.add(str(name))
    containers = spec.get("containers")
    if not containers:
        causes.append(required(f"{path}.containers"))
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            cpath = f"{path}.{group}[{i}]"
            if not isinstance(c, dict):
                causes.append(required(cpath))
                continue
            name = c.get("name")
            if not name:
                causes.append(required(f"{cpath}.name"))
            elif not DNS1123_LABEL.match(str(name)):
                causes.append(invalid_value(f"{cpath}.name", name, LABEL_MSG))
            elif name in seen:
                causes.append(("FieldValueDuplicate", f"{cpath}.name", f"Duplicate value: {go_value(name)}"))
            seen.add(str(name))
            if not c.get("image"):
                causes.append(required(f"{cpath}.image"))
            causes += _container_refs(c, cpath, volume_names)
            policy = c.get("imagePullPolicy")
            if policy not in (None, "Always", "IfNotPresent", "Never"):
                causes.append(unsupported(f"{cpath}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"]))
            for j, port in enumerate(c.get("ports") or []):
                cp = port.get("containerPort")
                if not isinstance(cp, int) or not 0 < cp < 65536:
                    causes.append(invalid_value(f"{cpath}.ports[{j}].containerPort", cp,
                                                "must be between 1 and 65535, inclusive"))
            causes += _validate_resources(c, cpath)
            for key in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = c.get(key)
                if probe and not any(h in probe for h in ("httpGet", "tcpSocket", "exec", "grpc")):
                    causes.append(required(f"{cpath}.{key}", "must specify a handler type"))
                if probe and key in ("livenessProbe", "startupProbe") and probe.get("successThreshold", 1) != 1:
                    causes.append(invalid_value(f"{cpath}.{key}.successThreshold", probe["successThreshold"],
                                                "must be 1"))
    allowed = restart_policies or ("Always", "OnFailure", "Never")
    policy = spec.get("restartPolicy")
    if policy not in allowed:
        causes.append(unsupported(f"{path}.restartPolicy", policy, list(allowed)))
    for i, tol in enumerate(spec.get("tolerations") or []):
        op = tol.get("operator", "Equal")
        if op not in ("Equal", "Exists"):
            causes.append(unsupported(f"{path}.tolerations[{i}].operator", op, ["Equal", "Exists"]))
        if op == "Exists" and tol.get("value"):
            causes.append(invalid_value(f"{path}.tolerations[{i}].operator", op,
                                        "value must be empty when `operator` is 'Exists'"))
        if tol.get("effect") not in (None, "", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            causes.append(unsupported(f"{path}.tolerations[{i}].effect", tol.get("effect"),
                                      ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
    return causes


def _container_refs(c: dict[str, Any], cpath: str, volumes: set[str]) -> list[Cause]:
    """Names a container refers by: env vars need names, mounts a name of a pod volume and a path."""
    causes: list[Cause] = []
    for j, env in enumerate(c.get("env") or []):
        if not (env or {}).get("name"):
            causes.append(required(f"{cpath}.env[{j}].name"))
    for j, mount in enumerate(c.get("volumeMounts") or []):
        name = (mount or {}).get("name")
        if not name:
            causes.append(required(f"{cpath}.volumeMounts[{j}].name"))
        elif name not in volumes:
            causes.append(("FieldValueNotFound", f"{cpath}.volumeMounts[{j}].name", f"Not found: {go_value(name)}"))
        if not (mount or {}).get("mountPath"):
            causes.append(required(f"{cpath}.volumeMounts[{j}].mountPath"))
    return causes


def _validate_workload(obj: Obj, restart_policies: tuple[str, ...]) -> list[Cause]:
    from chaoskit.sim.selectors import from_label_selector

    causes: list[Cause] = []
    spec = obj.get("spec") or {}
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        causes.append(invalid_value("spec.replicas", replicas, "must be greater than or equal to 0"))
    selector = spec.get("selector")
    labels = get_path(spec, "template.metadata.labels") or {}
    if not selector:
        causes.append(required("spec.selector"))
    elif not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(invalid_value("spec.selector", selector, "empty selector is invalid for deployment"))
    elif not from_label_selector(selector).matches(labels):
        causes.append(invalid_value("spec.template.metadata.labels", labels,
                                    "`selector` does not match template `labels`"))
    causes += validate_pod_spec(spec.get("template", {}).get("spec"), "spec.template.spec", restart_policies)
    return causes


def _validate_deployment(obj: Obj) -> list[Cause]:
    causes = _validate_workload(obj, ("Always",))
    strategy = get_path(obj, "spec.strategy") or {}
    if strategy.get("type") not in ("RollingUpdate", "Recreate"):
        causes.append(unsupported("spec.strategy.type", strategy.get("type"), ["Recreate", "RollingUpdate"]))
    elif strategy["type"] == "Recreate" and strategy.get("rollingUpdate"):
        causes.append(forbidden("spec.strategy.rollingUpdate",
                                "may not be specified when strategy `type` is 'Recreate'"))
    ru = strategy.get("rollingUpdate") or {}
    for key in ("maxSurge", "maxUnavailable"):
        val = ru.get(key)
        if isinstance(val, str) and not re.match(r"^\d+%$", val):
            causes.append(invalid_value(f"spec.strategy.rollingUpdate.{key}", val,
                                        "a valid percent string must be a numeric string followed by an ending '%' "
                                        "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"))
    if ru and _intstr_zero(ru.get("maxSurge")) and _intstr_zero(ru.get("maxUnavailable")):
        causes.append(invalid_value("spec.strategy.rollingUpdate.maxUnavailable", ru.get("maxUnavailable"),
                                    "may not be 0 when `maxSurge` is 0"))
    return causes


def _intstr_zero(value: Any) -> bool:
    return value in (0, "0", "0%")


def _validate_service(obj: Obj) -> list[Cause]:
    causes: list[Cause] = []
    spec = obj.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(unsupported("spec.type", stype, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    ports = spec.get("ports") or []
    if not ports and stype != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(required("spec.ports"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        p = port.get("port")
        if not isinstance(p, int) or not 0 < p < 65536:
            causes.append(invalid_value(f"spec.ports[{i}].port", p, "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and not port.get("name"):
            causes.append(required(f"spec.ports[{i}].name"))
        if port.get("name") in names:
            causes.append(("FieldValueDuplicate", f"spec.ports[{i}].name",
                           f"Duplicate value: {go_value(port['name'])}"))
        names.add(port.get("name", ""))
        tp = port.get("targetPort")
        if isinstance(tp, int) and not 0 < tp < 65536:
            causes.append(invalid_value(f"spec.ports[{i}].targetPort", tp, "must be between 1 and 65535, inclusive"))
        if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
            causes.append(unsupported(f"spec.ports[{i}].protocol", port.get("protocol"), ["SCTP", "TCP", "UDP"]))
    return causes


def validate(obj: Obj, info: KindInfo, old: Obj | None = None) -> None:
    """Raise a 422 ``Invalid`` listing every cause, as the API server does."""
    causes = _validate_name(obj, info) + _validate_labels(obj) + sizes.causes(obj, info.kind)
    spec_checks: dict[str, Callable[[Obj], list[Cause]]] = {
        "Pod": lambda o: validate_pod_spec(o.get("spec"), "spec"),
        "Deployment": _validate_deployment,
        "ReplicaSet": lambda o: _validate_workload(o, ("Always",)),
        "DaemonSet": lambda o: _validate_workload(o, ("Always",)),
        "Job": lambda o: validate_pod_spec(get_path(o, "spec.template.spec"), "spec.template.spec",
                                           ("OnFailure", "Never")),
        "Service": _validate_service,
        "CronJob": _validate_cronjob,
    }
    check = spec_checks.get(info.kind)
    if check is not None:
        causes += check(obj)
    if old is not None:
        causes += _validate_update(obj, old, info)
    if causes:
        raise invalid(info.kind, str(get_path(obj, "metadata.name", "")), causes, info.group)


_POD_MUTABLE_MSG = ("pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                    "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                    "previously negative)")


def _validate_update(new: Obj, old: Obj, info: KindInfo) -> list[Cause]:
    causes: list[Cause] = []
    workload = info.kind in ("Deployment", "ReplicaSet", "DaemonSet", "Job")
    if workload and get_path(new, "spec.selector") != get_path(old, "spec.selector"):
        causes.append(immutable("spec.selector", get_path(new, "spec.selector")))
    if info.kind == "Job" and get_path(new, "spec.template") != get_path(old, "spec.template"):
        causes.append(immutable("spec.template", get_path(new, "spec.template")))
    if info.kind == "Service":
        old_ip, new_ip = get_path(old, "spec.clusterIP"), get_path(new, "spec.clusterIP")
        if old_ip and new_ip != old_ip:
            causes.append(immutable("spec.clusterIPs[0]", new_ip))
    if info.kind == "Pod":
        causes += _validate_pod_update(new, old)
    return causes


def _validate_pod_update(new: Obj, old: Obj) -> list[Cause]:
    a, b = dict(new.get("spec") or {}), dict(old.get("spec") or {})
    for spec in (a, b):
        for key in ("activeDeadlineSeconds", "terminationGracePeriodSeconds", "tolerations", "nodeName"):
            spec.pop(key, None)
        for group in ("containers", "initContainers"):
            spec[group] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(group) or []]
    if a != b:
        return [forbidden("spec", _POD_MUTABLE_MSG)]
    old_tols = get_path(old, "spec.tolerations") or []
    new_tols = get_path(new, "spec.tolerations") or []
    if any(t not in new_tols for t in old_tols):
        return [forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds")]
    return []
