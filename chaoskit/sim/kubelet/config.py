"""Container configuration the kubelet resolves before it can create a container:
environment from ConfigMaps/Secrets/the downward API, and volumes."""

from __future__ import annotations

import base64
from typing import Any

from chaoskit.sim.objects import Obj, get_path
from chaoskit.sim.store import Store


class ContainerConfigError(Exception):
    """CreateContainerConfigError, with the kubelet's message."""


class MountError(Exception):
    """A volume could not be set up (FailedMount); the pod stays ContainerCreating."""


def _source(store: Store, kind: str, ns: str, name: str) -> Obj | None:
    return store.try_get(kind, ns, name)


def _value(obj: Obj, key: str, secret: bool) -> str | None:
    if secret:
        raw = (obj.get("data") or {}).get(key)
        return base64.b64decode(raw).decode(errors="replace") if raw is not None else None
    data = obj.get("data") or {}
    return data.get(key)


def container_env(store: Store, pod: Obj, container: dict[str, Any], service_env: dict[str, str]) -> dict[str, str]:
    """The process environment, in Kubernetes' precedence order; raises ContainerConfigError."""
    ns = pod["metadata"]["namespace"]
    env: dict[str, str] = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "HOSTNAME": pod["metadata"]["name"]}
    env.update(service_env)
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix", "")
        for kind, field, secret in (("ConfigMap", "configMapRef", False), ("Secret", "secretRef", True)):
            ref = src.get(field)
            if ref is None:
                continue
            obj = _source(store, kind, ns, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ContainerConfigError(f'{kind.lower()} "{ref.get("name")}" not found')
            for key in (obj.get("data") or {}):
                env[prefix + key] = _value(obj, key, secret) or ""
    for item in container.get("env") or []:
        name = item.get("name", "")
        if "value" in item or "valueFrom" not in item:
            env[name] = str(item.get("value", ""))
            continue
        vf = item["valueFrom"]
        for kind, field, secret in (("ConfigMap", "configMapKeyRef", False), ("Secret", "secretKeyRef", True)):
            ref = vf.get(field)
            if ref is None:
                continue
            obj = _source(store, kind, ns, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    break
                raise ContainerConfigError(f'{kind.lower()} "{ref.get("name")}" not found')
            val = _value(obj, ref.get("key", ""), secret)
            if val is None:
                if ref.get("optional"):
                    break
                raise ContainerConfigError(f"couldn't find key {ref.get('key')} in {kind} {ns}/{ref.get('name')}")
            env[name] = val
        if "fieldRef" in vf:
            env[name] = _field_ref(pod, vf["fieldRef"].get("fieldPath", ""))
    return env


def _field_ref(pod: Obj, path: str) -> str:
    simple = {"metadata.name": get_path(pod, "metadata.name"),
              "metadata.namespace": get_path(pod, "metadata.namespace"),
              "metadata.uid": get_path(pod, "metadata.uid"), "spec.nodeName": get_path(pod, "spec.nodeName"),
              "spec.serviceAccountName": get_path(pod, "spec.serviceAccountName"),
              "status.hostIP": get_path(pod, "status.hostIP"), "status.podIP": get_path(pod, "status.podIP")}
    if path in simple:
        return str(simple[path] or "")
    if path.startswith("metadata.labels['"):
        return str((pod["metadata"].get("labels") or {}).get(path[17:-2], ""))
    return ""


def volume_files(store: Store, pod: Obj, container: dict[str, Any]) -> dict[str, str]:
    """Files the container sees from ConfigMap/Secret volumes; raises MountError."""
    ns = pod["metadata"]["namespace"]
    volumes = {v["name"]: v for v in get_path(pod, "spec.volumes", []) or []}
    files: dict[str, str] = {}
    for mount in container.get("volumeMounts") or []:
        vol = volumes.get(mount.get("name"))
        if vol is None:
            continue
        for kind, field, secret in (("ConfigMap", "configMap", False), ("Secret", "secret", True)):
            src = vol.get(field)
            if src is None:
                continue
            name = src.get("name") if kind == "ConfigMap" else src.get("secretName")
            obj = _source(store, kind, ns, name or "")
            if obj is None:
                if src.get("optional"):
                    continue
                raise MountError(f'MountVolume.SetUp failed for volume "{vol["name"]}" : '
                                 f'{kind.lower()} "{name}" not found')
            items = src.get("items")
            keys = [(i["key"], i["path"]) for i in items] if items else [(k, k) for k in obj.get("data") or {}]
            for key, path in keys:
                val = _value(obj, key, secret)
                if val is None:
                    raise MountError(f'MountVolume.SetUp failed for volume "{vol["name"]}" : configmap references '
                                     f"non-existent config key: {key}")
                files[f"{mount['mountPath'].rstrip('/')}/{path}"] = val
    return files


def service_env(store: Store, ns: str) -> dict[str, str]:
    """The docker-links-style variables for every Service in the namespace (enableServiceLinks)."""
    env: dict[str, str] = {}
    for svc in store.list("Service", ns):
        ip = get_path(svc, "spec.clusterIP")
        ports = get_path(svc, "spec.ports") or []
        if not ip or ip == "None" or not ports:
            continue
        prefix = svc["metadata"]["name"].upper().replace("-", "_")
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
        for p in ports:
            if p.get("name"):
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
        first = ports[0]
        proto = first.get("protocol", "TCP")
        env[f"{prefix}_PORT"] = f"{proto.lower()}://{ip}:{first['port']}"
        for p in ports:
            base = f"{prefix}_PORT_{p['port']}_{p.get('protocol', 'TCP')}"
            env[base] = f"{p.get('protocol', 'TCP').lower()}://{ip}:{p['port']}"
            env[f"{base}_PROTO"] = p.get("protocol", "TCP").lower()
            env[f"{base}_PORT"] = str(p["port"])
            env[f"{base}_ADDR"] = ip
    return env
