"""The fault types. Each is a small class: which kinds it targets, its parameters (a ``Params``
dataclass: the defaults are written there and nowhere else) and the field changes it makes;
injection, journaling and revert live in :mod:`chaoskit.faults.base`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from chaoskit.cluster import Kube
from chaoskit.errors import ConfigError
from chaoskit.faults import pointer
from chaoskit.faults.base import Fault, Obj, register, resolve
from chaoskit.faults.journal import Journal, Record
from chaoskit.i18n import _
from chaoskit.scenario.variants import typo

WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet")


def _pod_spec_path(obj: Obj) -> str:
    return "/spec" if obj["kind"] == "Pod" else "/spec/template/spec"


def _container(obj: Obj, name: str | None) -> tuple[str, dict[str, Any]]:
    """The pointer to a container (by name, else the first) and the container itself."""
    base = _pod_spec_path(obj)
    containers = pointer.read(obj, f"{base}/containers")
    if containers == pointer.ABSENT or not containers:
        raise ConfigError(_("{kind} {name} has no containers").format(kind=obj["kind"], name=obj["metadata"]["name"]))
    for i, c in enumerate(containers):
        if name is None or c.get("name") == name:
            return f"{base}/containers/{i}", c
    raise ConfigError(_("{kind} {name} has no container named {container}").format(
        kind=obj["kind"], name=obj["metadata"]["name"], container=name))


def _http_probe(path: str, port: Any) -> dict[str, Any]:
    """A probe written with the API server's defaults, so what we write is what is stored (and what
    revert later compares against)."""
    return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "periodSeconds": 5, "failureThreshold": 3,
            "timeoutSeconds": 1, "successThreshold": 1}


def _image_parts(image: str) -> tuple[str, str]:
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        return image.rsplit(":", 1)[0], image.rsplit(":", 1)[1]
    return image, "latest"


@register
class MemoryLimit(Fault):
    type = "memory-limit"
    summary = "memory limit below the container's working set (OOMKilled)"
    kinds = WORKLOADS

    @dataclass(frozen=True)
    class Params:
        limit: str = field(default="16Mi", metadata={"doc": "the memory limit (and request) set"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, _ = _container(obj, self.target.container)
        limit = self.params.limit
        return [(f"{path}/resources/limits/memory", limit), (f"{path}/resources/requests/memory", limit)]


@register
class BadImage(Fault):
    type = "bad-image"
    summary = "a new revision whose image cannot be pulled"
    kinds = WORKLOADS

    @dataclass(frozen=True)
    class Params:
        variant: Literal["tag", "repository", "registry"] = field(
            default="tag", metadata={"doc": "what is wrong: a tag that does not exist, a misspelt repository, "
                                            "an unreachable registry"})
        image: str | None = field(default=None, metadata={"doc": "this exact image instead"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, c = _container(obj, self.target.container)
        if self.params.image is not None:
            return [(f"{path}/image", self.params.image)]
        repo, tag = _image_parts(c["image"])
        variant = self.params.variant
        if variant == "tag":
            bad = f"{repo}:{tag}.99" if tag[:1].isdigit() else f"{repo}:{tag}-v2"
        elif variant == "repository":
            head, _, name = repo.rpartition("/")
            typo = name[:1] + name[2:3] + name[1:2] + name[3:] if len(name) > 3 else name + "x"
            bad = f"{head + '/' if head else ''}{typo}:{tag}"
        else:
            bad = f"registry.internal.example:5000/{repo.rsplit('/', 1)[-1]}:{tag}"
        return [(f"{path}/image", bad)]


@register
class ProbeBreak(Fault):
    type = "probe-break"
    summary = "a liveness or readiness probe that can never pass"
    kinds = WORKLOADS

    @dataclass(frozen=True)
    class Params:
        probe: Literal["liveness", "readiness"] = "liveness"
        how: Literal["path", "port", "timing"] = field(default="path", metadata={
            "name": "break", "doc": "a path that 404s, a port nothing listens on, or no time to start"})
        port: int | None = field(default=None, metadata={"doc": "the wrong port (default: the right one + 1)"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, c = _container(obj, self.target.container)
        key = f"{self.params.probe}Probe"
        probe = c.get(key)
        how = self.params.how
        if how == "timing" and probe:
            # No time to start: probed at once, every second, one failure is fatal.
            return [(f"{path}/{key}/initialDelaySeconds", 0), (f"{path}/{key}/periodSeconds", 1),
                    (f"{path}/{key}/failureThreshold", 1), (f"{path}/{key}/timeoutSeconds", 1)]
        if not probe:
            port = (c.get("ports") or [{}])[0].get("containerPort", 80)
            return [(f"{path}/{key}", _http_probe("/healthz" if how == "path" else "/",
                                                  port if how == "path" else port + 1))]
        if "httpGet" in probe:
            if how == "path":
                return [(f"{path}/{key}/httpGet/path", (probe["httpGet"].get("path") or "/") + "z")]
            port = probe["httpGet"].get("port")
            new_port = self.params.port or (port + 1 if isinstance(port, int) else 8081)
            return [(f"{path}/{key}/httpGet/port", new_port)]
        if "tcpSocket" in probe:
            port = probe["tcpSocket"].get("port")
            return [(f"{path}/{key}/tcpSocket/port", self.params.port or (port + 1 if isinstance(port, int)
                                                                          else 8081))]
        return [(f"{path}/{key}/exec/command", ["cat", "/tmp/does-not-exist"])]


class _CommandFault(Fault):
    """Replace the container's command (and drop its args), as a bad deploy does."""

    kinds = WORKLOADS
    default_command: ClassVar[tuple[str, ...]] = ()

    @dataclass(frozen=True)
    class Params:
        command: tuple[str, ...] = field(default=(), metadata={"doc": "the command (default: the fault type's)"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, _ = _container(obj, self.target.container)
        return [(f"{path}/command", list(self.params.command or self.default_command)),
                (f"{path}/args", pointer.ABSENT)]


@register
class CrashCommand(_CommandFault):
    type = "crash-command"
    summary = "a command that exits with an error at start (CrashLoopBackOff)"
    default_command: ClassVar[tuple[str, ...]] = ("sh", "-c", "echo 'FATAL: cannot open /config/app.yaml'; exit 1")


@register
class OneShot(_CommandFault):
    type = "one-shot"
    summary = "a batch program that finishes, run under restartPolicy Always (Completed, CrashLoopBackOff)"
    default_command: ClassVar[tuple[str, ...]] = ("sh", "-c", "echo 'report generated'")


@register
class HugeRequests(Fault):
    type = "huge-requests"
    summary = "resource requests larger than any node (Pending, Insufficient memory)"
    kinds = WORKLOADS

    @dataclass(frozen=True)
    class Params:
        memory: str = field(default="64Gi", metadata={"doc": "the memory request (and limit, if one is set)"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, c = _container(obj, self.target.container)
        memory = self.params.memory
        out: list[tuple[str, Any]] = [(f"{path}/resources/requests/memory", memory)]
        if (c.get("resources") or {}).get("limits", {}).get("memory"):
            out.append((f"{path}/resources/limits/memory", memory))
        return out


@register
class MissingConfig(Fault):
    type = "missing-config"
    summary = "an env reference to a ConfigMap or Secret (or a key) that does not exist"
    kinds = WORKLOADS

    @dataclass(frozen=True)
    class Params:
        source: Literal["configMap", "secret"] = "configMap"
        name: str | None = field(default=None, metadata={"doc": "the missing object (default: NAME-config or "
                                                                "NAME-creds after the workload)"})
        key: str = "mode"
        env: str = "APP_MODE"

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, c = _container(obj, self.target.container)
        source = self.params.source
        ref = "configMapKeyRef" if source == "configMap" else "secretKeyRef"
        name = self.params.name or f"{obj['metadata']['name']}-{'config' if source == 'configMap' else 'creds'}"
        entry = {"name": self.params.env, "valueFrom": {ref: {"name": name, "key": self.params.key}}}
        env = list(c.get("env") or [])
        return [(f"{path}/env", [*env, entry])]


@register
class ScaleZero(Fault):
    type = "scale-zero"
    summary = "replicas set to 0"

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        return [("/spec/replicas", 0)]


@register
class BadRollout(Fault):
    type = "bad-rollout"
    summary = "a new version that never becomes ready"
    kinds = WORKLOADS

    @dataclass(frozen=True)
    class Params:
        image: str | None = field(default=None, metadata={"doc": "the new version's image"})
        path: str = field(default="/ready-v2", metadata={"doc": "the readiness path the new version never serves"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        path, c = _container(obj, self.target.container)
        port = (c.get("ports") or [{}])[0].get("containerPort", 80)
        out: list[tuple[str, Any]] = [(f"{path}/readinessProbe", _http_probe(self.params.path, port))]
        if self.params.image is not None:
            out.append((f"{path}/image", self.params.image))
        return out


@register
class ServiceSelector(Fault):
    type = "service-selector"
    summary = "a Service selector that matches no pod"
    kinds = ("Service",)

    @dataclass(frozen=True)
    class Params:
        label: str | None = field(default=None, metadata={"doc": "the selector's label (default: its first)"})
        value: str | None = field(default=None, metadata={"doc": "the wrong value (default: a typo)"})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        selector = (obj.get("spec") or {}).get("selector") or {}
        if not selector:
            raise ConfigError(_("Service {name} has no selector to break").format(name=obj["metadata"]["name"]))
        label = self.params.label or sorted(selector)[0]
        value = self.params.value or typo(str(selector.get(label, "app")))
        return [(f"/spec/selector/{pointer.escape(label)}", value)]


@register
class ServiceTargetPort(Fault):
    type = "service-target-port"
    summary = "a Service targetPort nothing listens on"
    kinds = ("Service",)

    @dataclass(frozen=True)
    class Params:
        port: int = field(default=8080, metadata={"doc": "the targetPort nothing listens on"})
        index: int = field(default=0, metadata={"doc": "which of the Service's ports", "schema": {"minimum": 0}})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        return [(f"/spec/ports/{self.params.index}/targetPort", self.params.port)]


@register
class Cordon(Fault):
    type = "cordon"
    summary = "nodes marked unschedulable"
    kinds = ("Node",)

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        return [("/spec/unschedulable", True)]


@register
class NodeTaint(Fault):
    type = "node-taint"
    summary = "a taint on nodes that workloads do not tolerate"
    kinds = ("Node",)

    @dataclass(frozen=True)
    class Params:
        key: str = "maintenance"
        value: str = field(default="true", metadata={"doc": "the taint's value ('' for none)"})
        effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"

    def taint(self) -> dict[str, str]:
        taint = {"key": self.params.key, "effect": self.params.effect}
        if self.params.value:
            taint["value"] = self.params.value
        return taint

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        return [("/spec/taints", [*((obj.get("spec") or {}).get("taints") or []), self.taint()])]

    def _apply_fields(self, kube: Kube, obj: Obj, journal: Journal) -> list[Record]:
        # Taints are a list others edit too: undo removes exactly this taint, nothing else.
        taint = self.taint()
        if taint in ((obj.get("spec") or {}).get("taints") or []):
            return []
        record = journal.add({"fault": self.type, "op": "taint", "kind": "Node", "name": obj["metadata"]["name"],
                              "taint": taint})
        kube.merge_patch("Node", None, obj["metadata"]["name"],
                         {"spec": {"taints": [*((obj.get("spec") or {}).get("taints") or []), taint]}})
        journal.mark(record, "injected")
        return [record]


@register
class PodDelete(Fault):
    type = "pod-delete"
    summary = "pods deleted (a bare pod is gone for good; a managed one comes back under a new name)"
    kinds = ("Pod",)

    @dataclass(frozen=True)
    class Params:
        grace: int | None = field(default=None, metadata={"doc": "the deletion's grace period in seconds",
                                                          "schema": {"minimum": 0}})

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        return []

    def plan(self, kube: Kube, namespace: str | None) -> list[str]:
        return [f"Pod {o['metadata'].get('namespace')}/{o['metadata']['name']}: delete"
                for o in resolve(self.target, kube, namespace, self.rng)]

    def _apply_fields(self, kube: Kube, obj: Obj, journal: Journal) -> list[Record]:
        md = obj["metadata"]
        manifest = None
        if not md.get("ownerReferences"):  # nothing recreates a bare pod: keep what revert needs
            manifest = {"apiVersion": "v1", "kind": "Pod",
                        "metadata": {k: v for k, v in md.items() if k in ("name", "namespace", "labels",
                                                                          "annotations")},
                        "spec": {k: v for k, v in obj["spec"].items() if k != "nodeName"}}
        record = journal.add({"fault": self.type, "op": "delete" if manifest else "note", "kind": "Pod",
                              "namespace": md.get("namespace"), "name": md["name"], "manifest": manifest})
        kube.delete("Pod", md.get("namespace"), md["name"], grace=self.params.grace)
        journal.mark(record, "injected" if manifest else "reverted", "" if manifest else
                     "a controller recreates this pod; nothing to revert")
        return [record]


@register
class NodeNotReady(Fault):
    type = "node-not-ready"
    summary = "a node's kubelet stops posting status (NotReady, then evictions after 300 s)"
    kinds = ("Node",)

    def changes(self, obj: Obj) -> list[tuple[str, Any]]:
        return []

    def plan(self, kube: Kube, namespace: str | None) -> list[str]:
        return [f"Node {o['metadata']['name']}: stop the kubelet" for o in resolve(self.target, kube, None, self.rng)]

    def _apply_fields(self, kube: Kube, obj: Obj, journal: Journal) -> list[Record]:
        record = journal.add({"fault": self.type, "op": "kubelet", "kind": "Node", "name": obj["metadata"]["name"]})
        kube.set_kubelet(obj["metadata"]["name"], False)
        journal.mark(record, "injected")
        return [record]


