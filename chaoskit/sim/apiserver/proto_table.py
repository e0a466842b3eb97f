"""Field tables for the protobuf messages ``kubectl create <kind>`` sends.

Data, not code: each message maps field numbers to (JSON name, type, flags), as declared in the
published Kubernetes API definitions (k8s.io/api and k8s.io/apimachinery ``generated.proto``,
release-1.37); flags come from the Go types: ``p`` the Go field is a pointer (its zero value is
sent and kept), ``r`` repeated. ``tools/proto_table.py`` regenerates the numbers, names and types
from a checkout of those files; the pointer flags are listed there. Only the messages reachable
from the objects kubectl create builds are included; an unknown field that carries a value is
reported, never dropped silently.

Types: string, bool, int32, int64, bytes (base64 in JSON), map:K:V, and message names, including
the apimachinery specials Time, Quantity and IntOrString.
"""

from __future__ import annotations

Field = tuple[int, str, str, str]

MESSAGES: dict[str, list[Field]] = {
    # k8s.io/apimachinery/pkg/runtime/generated.proto
    "Unknown": [(1, "typeMeta", "TypeMeta", ""), (2, "raw", "raw", ""), (3, "contentEncoding", "string", ""),
                (4, "contentType", "string", "")],
    "TypeMeta": [(1, "apiVersion", "string", ""), (2, "kind", "string", "")],
    # k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
    "ObjectMeta": [(1, "name", "string", ""), (2, "generateName", "string", ""), (3, "namespace", "string", ""),
                   (4, "selfLink", "string", ""), (5, "uid", "string", ""), (6, "resourceVersion", "string", ""),
                   (7, "generation", "int64", ""), (8, "creationTimestamp", "Time", ""),
                   (9, "deletionTimestamp", "Time", "p"), (10, "deletionGracePeriodSeconds", "int64", "p"),
                   (11, "labels", "map:string:string", ""), (12, "annotations", "map:string:string", ""),
                   (13, "ownerReferences", "OwnerReference", "r"), (14, "finalizers", "string", "r")],
    "OwnerReference": [(1, "kind", "string", ""), (3, "name", "string", ""), (4, "uid", "string", ""),
                       (5, "apiVersion", "string", ""), (6, "controller", "bool", "p"),
                       (7, "blockOwnerDeletion", "bool", "p")],
    "LabelSelector": [(1, "matchLabels", "map:string:string", ""),
                      (2, "matchExpressions", "LabelSelectorRequirement", "r")],
    "LabelSelectorRequirement": [(1, "key", "string", ""), (2, "operator", "string", ""),
                                 (3, "values", "string", "r")],
    # k8s.io/api/core/v1/generated.proto
    "Namespace": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "NamespaceSpec", ""),
                  (3, "status", "NamespaceStatus", "")],
    "NamespaceSpec": [(1, "finalizers", "string", "r")],
    "NamespaceStatus": [(1, "phase", "string", "")],
    "ConfigMap": [(1, "metadata", "ObjectMeta", ""), (2, "data", "map:string:string", ""),
                  (3, "binaryData", "map:string:bytes", ""), (4, "immutable", "bool", "p")],
    "Secret": [(1, "metadata", "ObjectMeta", ""), (2, "data", "map:string:bytes", ""), (3, "type", "string", ""),
               (4, "stringData", "map:string:string", ""), (5, "immutable", "bool", "p")],
    "ServiceAccount": [(1, "metadata", "ObjectMeta", ""), (2, "secrets", "ObjectReference", "r"),
                       (3, "imagePullSecrets", "LocalObjectReference", "r"),
                       (4, "automountServiceAccountToken", "bool", "p")],
    "ObjectReference": [(1, "kind", "string", ""), (2, "namespace", "string", ""), (3, "name", "string", ""),
                        (4, "uid", "string", ""), (5, "apiVersion", "string", ""),
                        (6, "resourceVersion", "string", ""), (7, "fieldPath", "string", "")],
    "LocalObjectReference": [(1, "name", "string", "")],
    "Service": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "ServiceSpec", ""), (3, "status", "ServiceStatus", "")],
    "ServiceSpec": [(1, "ports", "ServicePort", "r"), (2, "selector", "map:string:string", ""),
                    (3, "clusterIP", "string", ""), (4, "type", "string", ""), (5, "externalIPs", "string", "r"),
                    (7, "sessionAffinity", "string", ""), (8, "loadBalancerIP", "string", ""),
                    (9, "loadBalancerSourceRanges", "string", "r"), (10, "externalName", "string", ""),
                    (11, "externalTrafficPolicy", "string", ""), (12, "healthCheckNodePort", "int32", ""),
                    (13, "publishNotReadyAddresses", "bool", ""), (17, "ipFamilyPolicy", "string", "p"),
                    (18, "clusterIPs", "string", "r"), (19, "ipFamilies", "string", "r"),
                    (20, "allocateLoadBalancerNodePorts", "bool", "p"), (21, "loadBalancerClass", "string", "p"),
                    (22, "internalTrafficPolicy", "string", "p"), (23, "trafficDistribution", "string", "p")],
    "ServicePort": [(1, "name", "string", ""), (2, "protocol", "string", ""), (3, "port", "int32", ""),
                    (4, "targetPort", "IntOrString", ""), (5, "nodePort", "int32", ""),
                    (6, "appProtocol", "string", "p")],
    "ServiceStatus": [(1, "loadBalancer", "LoadBalancerStatus", "")],
    "LoadBalancerStatus": [],
    "PodTemplateSpec": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "PodSpec", "")],
    "PodSpec": [(1, "volumes", "Volume", "r"), (2, "containers", "Container", "r"), (3, "restartPolicy", "string", ""),
                (4, "terminationGracePeriodSeconds", "int64", "p"), (5, "activeDeadlineSeconds", "int64", "p"),
                (6, "dnsPolicy", "string", ""), (7, "nodeSelector", "map:string:string", ""),
                (8, "serviceAccountName", "string", ""), (9, "serviceAccount", "string", ""),
                (10, "nodeName", "string", ""), (11, "hostNetwork", "bool", ""), (12, "hostPID", "bool", ""),
                (13, "hostIPC", "bool", ""), (16, "hostname", "string", ""), (17, "subdomain", "string", ""),
                (19, "schedulerName", "string", ""), (20, "initContainers", "Container", "r"),
                (21, "automountServiceAccountToken", "bool", "p"), (24, "priorityClassName", "string", ""),
                (25, "priority", "int32", "p"), (30, "enableServiceLinks", "bool", "p"),
                (31, "preemptionPolicy", "string", "p")],
    "Container": [(1, "name", "string", ""), (2, "image", "string", ""), (3, "command", "string", "r"),
                  (4, "args", "string", "r"), (5, "workingDir", "string", ""), (6, "ports", "ContainerPort", "r"),
                  (7, "env", "EnvVar", "r"), (8, "resources", "ResourceRequirements", ""),
                  (13, "terminationMessagePath", "string", ""), (14, "imagePullPolicy", "string", ""),
                  (16, "stdin", "bool", ""), (17, "stdinOnce", "bool", ""), (18, "tty", "bool", ""),
                  (20, "terminationMessagePolicy", "string", "")],
    "ContainerPort": [(1, "name", "string", ""), (2, "hostPort", "int32", ""), (3, "containerPort", "int32", ""),
                      (4, "protocol", "string", ""), (5, "hostIP", "string", "")],
    "EnvVar": [(1, "name", "string", ""), (2, "value", "string", "")],
    "ResourceRequirements": [(1, "limits", "map:string:Quantity", ""), (2, "requests", "map:string:Quantity", "")],
    "Volume": [(1, "name", "string", "")],
    # k8s.io/api/apps/v1/generated.proto
    "Deployment": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "DeploymentSpec", ""),
                   (3, "status", "DeploymentStatus", "")],
    "DeploymentSpec": [(1, "replicas", "int32", "p"), (2, "selector", "LabelSelector", "p"),
                       (3, "template", "PodTemplateSpec", ""), (4, "strategy", "DeploymentStrategy", ""),
                       (5, "minReadySeconds", "int32", ""), (6, "revisionHistoryLimit", "int32", "p"),
                       (7, "paused", "bool", ""), (9, "progressDeadlineSeconds", "int32", "p")],
    "DeploymentStrategy": [(1, "type", "string", "")],
    "DeploymentStatus": [],
    # k8s.io/api/batch/v1/generated.proto
    "Job": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "JobSpec", ""), (3, "status", "JobStatus", "")],
    "JobSpec": [(1, "parallelism", "int32", "p"), (2, "completions", "int32", "p"),
                (3, "activeDeadlineSeconds", "int64", "p"), (4, "selector", "LabelSelector", "p"),
                (5, "manualSelector", "bool", "p"), (6, "template", "PodTemplateSpec", ""),
                (7, "backoffLimit", "int32", "p"), (8, "ttlSecondsAfterFinished", "int32", "p"),
                (9, "completionMode", "string", "p"), (10, "suspend", "bool", "p")],
    "JobStatus": [],
    "CronJob": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "CronJobSpec", ""),
                (3, "status", "CronJobStatus", "")],
    "CronJobSpec": [(1, "schedule", "string", ""), (2, "startingDeadlineSeconds", "int64", "p"),
                    (3, "concurrencyPolicy", "string", ""), (4, "suspend", "bool", "p"),
                    (5, "jobTemplate", "JobTemplateSpec", ""), (6, "successfulJobsHistoryLimit", "int32", "p"),
                    (7, "failedJobsHistoryLimit", "int32", "p"), (8, "timeZone", "string", "p")],
    "JobTemplateSpec": [(1, "metadata", "ObjectMeta", ""), (2, "spec", "JobSpec", "")],
    "CronJobStatus": [],
}

# The message each top-level kind decodes as.
TOP_LEVEL = {"Namespace", "ConfigMap", "Secret", "ServiceAccount", "Service", "Deployment", "Job", "CronJob"}
