"""Facts read from the cluster when a session is graded, for the guardrails that judge the end state
(:mod:`chaoskit.grading.guardrails`): what the trainee's fix left behind, compared with what the
scenario deployed before any fault (its rendered manifests, the *baseline*).

Gathering is the only part of grading that reads the cluster; the judges stay pure functions over
the mapping this returns, so they are unit-tested without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chaoskit.cluster import Kube
from chaoskit.errors import KubeError

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def _template(obj: dict[str, Any]) -> dict[str, Any]:
    return ((obj.get("spec") or {}).get("template") or {})


def _containers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("name")): c for c in (_template(obj).get("spec") or {}).get("containers") or []}


def judge_end(deployments: Sequence[dict[str, Any]], pods: Sequence[dict[str, Any]],
              replicasets: Sequence[dict[str, Any]], nodes: Sequence[dict[str, Any]],
              baseline: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The facts the guardrails judge, from objects already read (pure: tested without a cluster)."""
    before = {o["metadata"]["name"]: o for o in baseline if o.get("kind") == "Deployment"}
    facts: dict[str, Any] = {"deployment_replicas": {}, "control_plane_untainted": [], "blanket_tolerations": [],
                             "relabelled_pods": [], "command_changed": [], "image_changed": []}
    for dep in deployments:
        name = dep["metadata"]["name"]
        facts["deployment_replicas"][name] = (dep.get("spec") or {}).get("replicas", 1)
        tolerations = (_template(dep).get("spec") or {}).get("tolerations") or []
        was = before.get(name)
        had = (_template(was).get("spec") or {}).get("tolerations") or [] if was else []
        if any(t.get("operator") == "Exists" and not t.get("key") for t in tolerations) and not any(
                t.get("operator") == "Exists" and not t.get("key") for t in had):
            facts["blanket_tolerations"].append(f"deployment/{name}")
        if was is None:
            continue
        old = _containers(was)
        for cname, c in _containers(dep).items():
            if cname not in old:
                continue
            if (c.get("command"), c.get("args")) != (old[cname].get("command"), old[cname].get("args")):
                facts["command_changed"].append(f"deployment/{name} container {cname}")
            if c.get("image") != old[cname].get("image"):
                facts["image_changed"].append(f"deployment/{name} container {cname}")
    templates = {rs["metadata"]["name"]: ((_template(rs).get("metadata") or {}).get("labels") or {})
                 for rs in replicasets}
    for pod in pods:
        meta = pod["metadata"]
        labels = meta.get("labels") or {}
        if "pod-template-hash" not in labels or "deletionTimestamp" in meta:
            continue  # not made from a ReplicaSet's template, or on its way out
        owner = next((o.get("name") for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
        template = templates.get(str(owner)) if owner else None
        if owner is None or (template is not None and any(labels.get(k) != v for k, v in template.items())):
            facts["relabelled_pods"].append(f"pod/{meta['name']}")
    for node in nodes:
        labels = node["metadata"].get("labels") or {}
        taints = (node.get("spec") or {}).get("taints") or []
        if CONTROL_PLANE in labels and not any(t.get("key") == CONTROL_PLANE for t in taints):
            facts["control_plane_untainted"].append(node["metadata"]["name"])
    return facts


def gather(kube: Kube | None, ns: str, baseline: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The end-state facts of namespace ``ns``; empty facts when the cluster is gone (a time-up after
    a crash is judged from the audit log alone)."""
    if kube is None:
        return judge_end([], [], [], [], baseline)
    try:
        return judge_end(kube.items("Deployment", ns), kube.items("Pod", ns), kube.items("ReplicaSet", ns),
                         kube.items("Node"), baseline)
    except KubeError:
        return judge_end([], [], [], [], baseline)
