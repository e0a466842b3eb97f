"""kubectl-style resource names (``deploy/web``, ``svc/web``, ``no/NAME``) in one canonical form,
so a diagnosis is compared by meaning, not spelling."""

from __future__ import annotations

from chaoskit.errors import ConfigError
from chaoskit.i18n import _

_KINDS: dict[str, tuple[str, ...]] = {
    "deployment": ("deploy", "deployment", "deployments", "deployment.apps", "deployments.apps"),
    "replicaset": ("rs", "replicaset", "replicasets", "replicaset.apps"),
    "daemonset": ("ds", "daemonset", "daemonsets", "daemonset.apps"),
    "statefulset": ("sts", "statefulset", "statefulsets", "statefulset.apps"),
    "job": ("job", "jobs", "job.batch"),
    "cronjob": ("cj", "cronjob", "cronjobs", "cronjob.batch"),
    "pod": ("po", "pod", "pods"),
    "service": ("svc", "service", "services"),
    "endpoints": ("ep", "endpoints"),
    "node": ("no", "node", "nodes"),
    "configmap": ("cm", "configmap", "configmaps"),
    "secret": ("secret", "secrets"),
    "namespace": ("ns", "namespace", "namespaces"),
    "persistentvolumeclaim": ("pvc", "persistentvolumeclaim", "persistentvolumeclaims"),
}
_ALIAS = {alias: kind for kind, aliases in _KINDS.items() for alias in aliases}


def canonical(ref: str) -> tuple[str, str]:
    """``'deploy/web'`` -> ``('deployment', 'web')``; raises ConfigError naming the accepted form."""
    kind, sep, name = ref.strip().partition("/")
    if not sep or not name or "/" in name:
        raise ConfigError(_("resource {ref!r} must be KIND/NAME, for example deploy/checkout or svc/checkout")
                          .format(ref=ref))
    found = _ALIAS.get(kind.lower())
    if found is None:
        raise ConfigError(_("resource type {kind!r} is not known; use one of: {kinds}").format(
            kind=kind, kinds=", ".join(sorted(_KINDS))))
    return found, name


def same_resource(given: str, expected: str) -> bool:
    """A pod named after its owner (``checkout-7d9f-abcde``) counts for ``pod/checkout``."""
    gkind, gname = canonical(given)
    ekind, ename = canonical(expected)
    if gkind != ekind:
        return False
    return gname == ename or (ekind == "pod" and gname.startswith(ename + "-"))
