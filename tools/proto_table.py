"""Regenerate the field numbers, names and types of chaoskit/sim/apiserver/proto_table.py.

Usage: python tools/proto_table.py PATH_TO_K8S_API_CHECKOUT [PATH_TO_APIMACHINERY_CHECKOUT]

Reads the published ``generated.proto`` files of k8s.io/api (core/v1, apps/v1, batch/v1) and
k8s.io/apimachinery (pkg/apis/meta/v1, pkg/runtime) and prints, for every message the table
lists, ``(number, jsonName, type, flags)`` tuples. The ``p`` flag (the Go field is a pointer, so
its zero value is meaningful) is not in the .proto files; it comes from the Go types and is kept
in POINTERS below. Compare the output with proto_table.MESSAGES; the golden tests in
tests/test_protobuf.py check the result against real kubectl.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.sim.apiserver.proto_table import MESSAGES

FILES = ("core/v1/generated.proto", "apps/v1/generated.proto", "batch/v1/generated.proto",
         "pkg/apis/meta/v1/generated.proto", "pkg/runtime/generated.proto")
POINTERS = {  # message -> fields whose Go type is a pointer (from the types.go files)
    "ObjectMeta": {"deletionTimestamp", "deletionGracePeriodSeconds"},
    "OwnerReference": {"controller", "blockOwnerDeletion"},
    "ConfigMap": {"immutable"}, "Secret": {"immutable"}, "ServiceAccount": {"automountServiceAccountToken"},
    "ServiceSpec": {"ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy",
                    "trafficDistribution"},
    "ServicePort": {"appProtocol"},
    "PodSpec": {"terminationGracePeriodSeconds", "activeDeadlineSeconds", "automountServiceAccountToken", "priority",
                "enableServiceLinks", "preemptionPolicy"},
    "DeploymentSpec": {"replicas", "selector", "revisionHistoryLimit", "progressDeadlineSeconds"},
    "JobSpec": {"parallelism", "completions", "activeDeadlineSeconds", "selector", "manualSelector", "backoffLimit",
                "ttlSecondsAfterFinished", "completionMode", "suspend"},
    "CronJobSpec": {"startingDeadlineSeconds", "suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
                    "timeZone"},
}
FIELD = re.compile(r"^\s*(optional|repeated)?\s*(map<\s*(\w+)\s*,\s*([\w.]+)\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)")
SPECIALS = {"k8s.io.apimachinery.pkg.apis.meta.v1.Time": "Time",
            "k8s.io.apimachinery.pkg.api.resource.Quantity": "Quantity",
            "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "IntOrString"}


def parse(text: str) -> dict[str, list[tuple[int, str, str, str]]]:
    messages: dict[str, list[tuple[int, str, str, str]]] = {}
    current: str | None = None
    depth = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        start = re.match(r"^message (\w+) \{", stripped)
        if start and depth == 0:
            current, depth = start.group(1), 1
            messages[current] = []
            continue
        depth += stripped.count("{") - stripped.count("}")
        if depth <= 0:
            current, depth = None, 0
            continue
        match = FIELD.match(line)
        if current and depth == 1 and match:
            label, typ, key, value, name, number = match.groups()
            if key:
                kind = f"map:{key}:{SPECIALS.get(value, value.rsplit('.', 1)[-1])}"
            else:
                kind = SPECIALS.get(typ, typ.rsplit(".", 1)[-1])
            flags = ("r" if label == "repeated" else "") + ("p" if name in POINTERS.get(current, ()) else "")
            messages[current].append((int(number), name, kind, flags))
    return messages


def main() -> None:
    roots = [Path(p) for p in sys.argv[1:]] or [Path(".")]
    found: dict[str, list[tuple[int, str, str, str]]] = {}
    for root in roots:
        for rel in FILES:
            path = root / rel
            if path.exists():
                found.update(parse(path.read_text()))
    for name, fields in MESSAGES.items():
        wanted = {f[0] for f in fields}
        print(f"{name}: {[f for f in found.get(name, []) if f[0] in wanted]}")


if __name__ == "__main__":
    main()
