"""Generate chaoskit/sim/apiserver/schema.json: the Go field types of the kinds the simulator serves.

The simulator decodes request bodies the way kube-apiserver decodes them into Go structs, so
``metadata.labels: [1]`` gets ``json: cannot unmarshal array into Go struct field
ObjectMeta.metadata.labels of type map[string]string`` and unknown fields are dropped. The types
come from the Kubernetes v1.37 OpenAPI definitions that the ``kubernetes-validate`` package ships
(``v1.37.0-local/_definitions.json``); this tool keeps only the definitions reachable from the
served kinds and only their field types, so the simulator loads a small file at startup.

    .venv/bin/python tools/gen_sim_schema.py            # rewrite the file
    .venv/bin/python tools/gen_sim_schema.py --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

VERSION = "v1.37.0-local"
OUT = Path(__file__).resolve().parent.parent / "chaoskit" / "sim" / "apiserver" / "schema.json"
KINDS = {
    "Namespace": "io.k8s.api.core.v1.Namespace", "Node": "io.k8s.api.core.v1.Node",
    "Pod": "io.k8s.api.core.v1.Pod", "Service": "io.k8s.api.core.v1.Service",
    "Endpoints": "io.k8s.api.core.v1.Endpoints", "Event": "io.k8s.api.core.v1.Event",
    "ConfigMap": "io.k8s.api.core.v1.ConfigMap", "Secret": "io.k8s.api.core.v1.Secret",
    "ServiceAccount": "io.k8s.api.core.v1.ServiceAccount", "Deployment": "io.k8s.api.apps.v1.Deployment",
    "ReplicaSet": "io.k8s.api.apps.v1.ReplicaSet", "DaemonSet": "io.k8s.api.apps.v1.DaemonSet",
    "Job": "io.k8s.api.batch.v1.Job", "CronJob": "io.k8s.api.batch.v1.CronJob",
    "EndpointSlice": "io.k8s.api.discovery.v1.EndpointSlice", "Lease": "io.k8s.api.coordination.v1.Lease",
    "Ingress": "io.k8s.api.networking.v1.Ingress", "IngressClass": "io.k8s.api.networking.v1.IngressClass",
}
# Types with their own JSON decoding in Go (custom UnmarshalJSON), named as the decoder treats them.
SPECIAL = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "MicroTime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "any",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "any",
}


def definitions() -> dict[str, Any]:
    path = resources.files("kubernetes_validate") / "kubernetes-json-schema" / VERSION / "_definitions.json"
    return dict(json.loads(path.read_text())["$defs"])


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return {t for t in kind if t != "null"}
    return {kind} if isinstance(kind, str) else set()


def type_of(schema: dict[str, Any], defs: dict[str, Any], todo: list[str]) -> str:
    """The compact type of one field: scalar names, ``[]T``, ``map[string]T`` or ``@definition``."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in SPECIAL:
            return SPECIAL[name]
        target = defs[name]
        if "properties" not in target and _types(target) <= {"object"} and "additionalProperties" not in target:
            return "any"
        if "properties" not in target:
            return type_of(target, defs, todo)
        todo.append(name)
        return "@" + name
    kinds = _types(schema)
    if "array" in kinds:
        return "[]" + type_of(schema.get("items") or {}, defs, todo)
    if "object" in kinds:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return "map[string]" + type_of(extra, defs, todo)
        return "any"
    if kinds == {"string"}:
        return "byte" if schema.get("format") == "byte" else "string"
    if kinds == {"integer"}:
        return "int32" if schema.get("format") == "int32" else "int64"
    if kinds == {"number"}:
        return "float64"
    if kinds == {"boolean"}:
        return "bool"
    return "any"


def build() -> dict[str, Any]:
    defs = definitions()
    types: dict[str, dict[str, str]] = {}
    todo = list(KINDS.values())
    while todo:
        name = todo.pop()
        if name in types:
            continue
        props = defs[name].get("properties") or {}
        types[name] = {field: type_of(sub, defs, todo) for field, sub in sorted(props.items())}
    return {"source": f"kubernetes-validate {VERSION}/_definitions.json (Kubernetes OpenAPI, Apache-2.0)",
            "kinds": KINDS, "types": dict(sorted(types.items()))}


def render() -> str:
    return json.dumps(build(), indent=0, sort_keys=False, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale: run tools/gen_sim_schema.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text)} bytes, {text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
