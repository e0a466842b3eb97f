"""Server-side field validation (``fieldValidation=Strict|Warn|Ignore``) for the kinds trainees write.

The known fields are a trimmed copy of the Kubernetes types (free-form parts such as label maps,
probes' handlers and affinity are not descended into), enough to catch the typos that matter:
``replica`` for ``replicas``, ``containerport``, ``initialDelaySecond``.
"""

from __future__ import annotations

from typing import Any

ANY: dict[str, Any] = {}  # free-form below this point
Schema = dict[str, Any]


def _fields(*names: str, **nested: Any) -> Schema:
    schema: Schema = {n: ANY for n in names}
    schema.update(nested)
    return schema


META = _fields("name", "generateName", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation",
               "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
               "finalizers", "managedFields", "selfLink")
PROBE = _fields("exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                "successThreshold", "failureThreshold", "terminationGracePeriodSeconds")
CONTAINER = _fields(
    "name", "image", "command", "args", "workingDir", "envFrom", "resizePolicy", "restartPolicy", "restartPolicyRules",
    "volumeMounts", "volumeDevices", "lifecycle", "terminationMessagePath", "terminationMessagePolicy",
    "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
    ports=[_fields("name", "hostPort", "containerPort", "protocol", "hostIP")],
    env=[_fields("name", "value", "valueFrom")],
    resources=_fields("limits", "requests", "claims"),
    livenessProbe=PROBE, readinessProbe=PROBE, startupProbe=PROBE)
POD_SPEC = _fields(
    "volumes", "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds",
    "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName",
    "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname",
    "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority",
    "dnsConfig", "readinessGates", "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
    "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims",
    "resources", "hostnameOverride",
    containers=[CONTAINER], initContainers=[CONTAINER])
TEMPLATE = _fields(metadata=META, spec=POD_SPEC)
TOP = ("apiVersion", "kind", "status")

KINDS: dict[str, Schema] = {
    "Pod": _fields(*TOP, metadata=META, spec=POD_SPEC),
    "Deployment": _fields(*TOP, metadata=META, spec=_fields(
        "replicas", "selector", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused",
        "progressDeadlineSeconds", template=TEMPLATE)),
    "ReplicaSet": _fields(*TOP, metadata=META, spec=_fields("replicas", "minReadySeconds", "selector",
                                                            template=TEMPLATE)),
    "DaemonSet": _fields(*TOP, metadata=META, spec=_fields("selector", "updateStrategy", "minReadySeconds",
                                                           "revisionHistoryLimit", template=TEMPLATE)),
    "Job": _fields(*TOP, metadata=META, spec=_fields(
        "parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "successPolicy", "backoffLimit",
        "backoffLimitPerIndex", "maxFailedIndexes", "selector", "manualSelector", "ttlSecondsAfterFinished",
        "completionMode", "suspend", "podReplacementPolicy", "managedBy", template=TEMPLATE)),
    "CronJob": _fields(*TOP, metadata=META, spec=_fields(
        "schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy", "suspend",
        "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
        jobTemplate=_fields(metadata=META, spec=_fields(
            "parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "successPolicy",
            "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "selector", "manualSelector",
            "ttlSecondsAfterFinished", "completionMode", "suspend", "podReplacementPolicy", "managedBy",
            template=TEMPLATE)))),
    "Service": _fields(*TOP, metadata=META, spec=_fields(
        "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity", "loadBalancerIP",
        "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy", "healthCheckNodePort",
        "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy", "trafficDistribution",
        ports=[_fields("name", "protocol", "appProtocol", "port", "targetPort", "nodePort")])),
    "ConfigMap": _fields(*TOP, "data", "binaryData", "immutable", metadata=META),
    "Secret": _fields(*TOP, "data", "stringData", "type", "immutable", metadata=META),
}


def unknown_fields(kind: str, obj: Any) -> list[str]:
    """Paths of fields the kind does not have, in document order."""
    schema = KINDS.get(kind)
    if schema is None or not isinstance(obj, dict):
        return []
    found: list[str] = []
    _walk(schema, obj, "", found)
    return found


def _walk(schema: Any, value: Any, path: str, found: list[str]) -> None:
    if schema is ANY:
        return
    if isinstance(schema, list):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk(schema[0], item, f"{path}[{i}]", found)
        return
    if not isinstance(value, dict):
        return
    for key, sub in value.items():
        where = f"{path}.{key}" if path else key
        if key not in schema:
            found.append(where)
        else:
            _walk(schema[key], sub, where, found)


def message(kind: str, version: str, unknown: list[str]) -> str:
    listed = ", ".join(f'unknown field "{f}"' for f in unknown)
    return f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: {listed}'
