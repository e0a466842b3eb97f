"""Request paths to resources: ``/api/v1/namespaces/ns/pods/name/log`` and friends."""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.kube.status import NotFound
from chaoskit.sim.kinds import KINDS, KindInfo

NOT_FOUND = "the server could not find the requested resource"


@dataclass(frozen=True)
class Target:
    kind: KindInfo
    namespace: str | None       # None: across namespaces (or a cluster-scoped kind)
    name: str | None
    subresource: str | None = None
    rest: str = ""              # what follows a proxy subresource
    legacy_watch: bool = False  # /api/v1/watch/... paths


_BY_GV: dict[tuple[str, str], dict[str, KindInfo]] = {}
for _k in KINDS:
    _BY_GV.setdefault((_k.group, _k.version), {})[_k.plural] = _k


def group_versions() -> list[tuple[str, str]]:
    return sorted(_BY_GV)


def kinds_of(group: str, version: str) -> list[KindInfo]:
    return list(_BY_GV.get((group, version), {}).values())


def parse(path: str) -> Target:
    """Resolve a resource path; raises the API server's 404 when it names nothing served."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise NotFound(NOT_FOUND)
    resources = _BY_GV.get((group, version))
    if resources is None or not rest:
        raise NotFound(NOT_FOUND)
    legacy_watch = False
    if rest[0] == "watch":
        legacy_watch, rest = True, rest[1:]
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] in resources and resources[rest[2]].namespaced:
        namespace, rest = rest[1], rest[2:]
    kind = resources.get(rest[0])
    if kind is None:
        raise NotFound(NOT_FOUND)
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in kind.subresources:
        raise NotFound(NOT_FOUND)
    tail = "/".join(rest[3:])
    if sub != "proxy" and tail:
        raise NotFound(NOT_FOUND)
    if kind.namespaced is False and namespace is not None:
        raise NotFound(NOT_FOUND)
    return Target(kind, namespace, name, sub, tail, legacy_watch)
