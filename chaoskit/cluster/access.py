"""Which cluster a session runs on, and whether chaoskit may touch it at all.

The guard is deliberately conservative and explainable. Without ``--allow-context NAME`` a
context is accepted only when it is

* named ``kind-*``, its server is a loopback address and every node's providerID starts with
  ``kind://`` (a kind cluster on this machine), or
* named ``chaoskit``, its server is a loopback address and the server identifies itself as a
  chaoskit simulator.

Everything else is refused with a message that names the context and says how to allow it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes import config

from chaoskit.cluster.kube import KUBECONFIG_ERRORS, Kube, connect, kubeconfig_error
from chaoskit.cluster.nodes import KindNodes, NoNodes, SimulatorNodes
from chaoskit.cluster.scope import Scope
from chaoskit.errors import ConfigError, KubeError, SafetyError
from chaoskit.i18n import _
from chaoskit.kube.identity import IDENTITY_KIND, IDENTITY_PATH

BACKENDS = ("sim", "kind", "kube")


@dataclass(frozen=True)
class Access:
    """A cluster chaoskit has been allowed to use: stored with the session, so ``reset`` can
    reach it again after the session process died or the machine rebooted."""

    backend: str
    context: str
    server: str
    kubeconfig: str | None = None   # None: $KUBECONFIG or ~/.kube/config
    simulator: bool = False         # the server identifies itself as a chaoskit simulator
    kind: bool = False              # nodes are kind containers (node faults via docker)
    allow_node_faults: bool = False

    @property
    def node_faults(self) -> bool:
        """Node-level faults: always on a simulator, on other clusters only when asked for."""
        return self.simulator or self.allow_node_faults

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Access:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def client(self, namespaces: frozenset[str] = frozenset()) -> Kube:
        """A client for this cluster whose writes are held to the session's namespaces (and to
        nodes when node faults are allowed)."""
        kube = connect(Path(self.kubeconfig) if self.kubeconfig else None, None, self.context)
        kube = kube.scoped(Scope(namespaces, nodes=self.node_faults))
        if self.simulator:
            kube.nodes = SimulatorNodes(kube, system=False)
        elif self.kind:
            kube.nodes = KindNodes()
        else:
            kube.nodes = NoNodes(_("context {context} is neither a kind cluster nor a chaoskit simulator: "
                                   "chaoskit cannot stop its nodes").format(context=self.context))
        return kube


def is_loopback(server: str) -> bool:
    host = urlsplit(server).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(context: str, server: str, simulator: bool, provider_ids: list[str], allow: str | None) -> str:
    """Why the guard refuses this context ('' when it accepts), from facts already gathered."""
    if allow is not None and allow == context:
        return ""
    if context.startswith("kind-"):
        if not is_loopback(server):
            why = _("its server {server} is not a loopback address").format(server=server)
        elif not provider_ids or not all(p.startswith("kind://") for p in provider_ids):
            why = _("its nodes' providerID does not start with kind://")
        else:
            return ""
    elif context == "chaoskit":
        if not is_loopback(server):
            why = _("its server {server} is not a loopback address").format(server=server)
        elif not simulator:
            why = _("its server does not identify itself as a chaoskit simulator")
        else:
            return ""
    else:
        why = _("it is neither a kind cluster (kind-*) nor the chaoskit simulator (chaoskit)")
    return _('refusing to run chaos on context "{context}": {why}. If this cluster is meant for chaos, '
             "pass --allow-context {context}").format(context=context, why=why)


def _contexts(kubeconfig: Path | None) -> tuple[list[str], str]:
    try:
        found, current = config.list_kube_config_contexts(str(kubeconfig) if kubeconfig else None)
    except KUBECONFIG_ERRORS as exc:
        raise kubeconfig_error(kubeconfig, exc) from exc
    return [str(c["name"]) for c in found], str((current or {}).get("name", ""))


def simulator_identity(kube: Kube) -> dict[str, Any] | None:
    """The simulator's answer to its identity path; None from anything else."""
    try:
        found = kube.request("GET", IDENTITY_PATH)
    except (KubeError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("kind") == IDENTITY_KIND else None


def resolve(backend: str, context: str | None = None, kubeconfig: Path | None = None,
            allow_context: str | None = None, kind_name: str = "chaoskit",
            allow_node_faults: bool = False) -> Access:
    """Pick the context for ``backend`` and run the guard on it (reads only)."""
    if backend not in ("kind", "kube"):
        raise ConfigError(_("backend {backend!r} is not one of kind, kube (sim needs no cluster)").format(
            backend=backend))
    if backend == "kind":
        wanted = f"kind-{kind_name}"
        if context and context != wanted:
            raise ConfigError(_("--backend kind uses context {context}; for another context use --backend kube")
                              .format(context=wanted))
        context = wanted
    contexts, current = _contexts(kubeconfig)
    context = context or current
    if not context or context not in contexts:
        found = _('context "{context}" not found in kubeconfig {path}').format(
            context=context or _("(none)"), path=kubeconfig or _("(default: $KUBECONFIG or ~/.kube/config)"))
        if backend == "kind":
            found = _("{problem} (create it with 'chaoskit cluster up')").format(problem=found)
        raise ConfigError(found)
    kube = connect(kubeconfig, None, context)
    server = str(kube.api.configuration.host)
    early = refusal(context, server, True, ["kind://"], allow_context)  # by name and address alone:
    if early:                                                            # refused before any request
        raise SafetyError(early)
    identity = simulator_identity(kube) if is_loopback(server) else None
    try:
        providers = [str((n.get("spec") or {}).get("providerID", "")) for n in kube.items("Node")]
    except KubeError as err:
        if allow_context != context:
            raise SafetyError(_('refusing context "{context}": cannot list its nodes to check it ({error})').format(
                context=context, error=err)) from err
        providers = []
    why = refusal(context, server, identity is not None, providers, allow_context)
    if why:
        raise SafetyError(why)
    kind = bool(providers) and all(p.startswith("kind://") for p in providers) and identity is None
    return Access(backend, context, server, str(kubeconfig.resolve()) if kubeconfig else None,
                  simulator=identity is not None, kind=kind, allow_node_faults=allow_node_faults)
