"""A thin, typed door to a Kubernetes API through the official client.

Objects travel as plain JSON dicts (what the API serves); ``ApiException`` is converted to
:class:`KubeError` here, at the boundary, so nothing above sees third-party errors.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from chaoskit.cluster.nodes import NodeControl, SimulatorNodes
from chaoskit.cluster.scope import Scope
from chaoskit.errors import ConfigError, KubeError, NotFoundError, SafetyError, UnreachableError
from chaoskit.i18n import _
from chaoskit.kube.requestinfo import canonical

Obj = dict[str, Any]

# kind -> (API path prefix, plural, namespaced)
RESOURCES: dict[str, tuple[str, str, bool]] = {
    "Pod": ("/api/v1", "pods", True), "Service": ("/api/v1", "services", True),
    "ConfigMap": ("/api/v1", "configmaps", True), "Secret": ("/api/v1", "secrets", True),
    "Endpoints": ("/api/v1", "endpoints", True), "Event": ("/api/v1", "events", True),
    "Namespace": ("/api/v1", "namespaces", False), "Node": ("/api/v1", "nodes", False),
    "Deployment": ("/apis/apps/v1", "deployments", True), "ReplicaSet": ("/apis/apps/v1", "replicasets", True),
    "DaemonSet": ("/apis/apps/v1", "daemonsets", True), "Job": ("/apis/batch/v1", "jobs", True),
    "CronJob": ("/apis/batch/v1", "cronjobs", True),
}


@dataclass
class Kube:
    """``scope``, when set, refuses every write outside it before it leaves this process."""

    api: client.ApiClient
    system: client.ApiClient | None = None
    scope: Scope | None = None
    nodes: NodeControl | None = field(default=None, repr=False)

    def scoped(self, scope: Scope) -> Kube:
        return Kube(self.api, self.system, scope, self.nodes)

    def path(self, kind: str, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        try:
            prefix, plural, namespaced = RESOURCES[kind]
        except KeyError:
            raise ConfigError(_("chaoskit cannot address kind {kind!r}").format(kind=kind)) from None
        parts = [prefix]
        if namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(plural)
        if name:
            parts.append(name)
        if sub:
            parts.append(sub)
        return "/".join(parts)

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
                query: dict[str, str] | None = None, api: client.ApiClient | None = None) -> Any:
        use = api or self.api
        if self.scope is not None:
            body_name = (body.get("metadata") or {}).get("name", "") if isinstance(body, dict) else ""
            why = self.scope.refusal(canonical(method, urllib.parse.quote(path) + (
                "?" + urllib.parse.urlencode(query) if query else "")), body_name)
            if why:
                raise SafetyError(_("chaoskit refused {method} {path}: {why}").format(
                    method=method, path=path, why=why))
        try:
            method_, url, headers, data, post = use.param_serialize(
                method, path, query_params=list((query or {}).items()),
                header_params={"Content-Type": content_type, "Accept": "application/json"}, body=body,
                auth_settings=["BearerToken"])
            response = use.call_api(method_, url, header_params=headers, body=data, post_params=post)
            response.read()
            if not 200 <= response.status < 300:
                raise ApiException(http_resp=response)
        except ApiException as exc:
            raise _convert(exc) from None
        except urllib3.exceptions.HTTPError as exc:
            raise UnreachableError(_("cannot reach the API server at {host}: {reason}").format(
                host=use.configuration.host, reason=_reason(exc)), "Unreachable") from None
        raw = response.data
        return json.loads(raw) if raw else None

    # ------------------------------------------------------------------ verbs

    def get(self, kind: str, namespace: str | None, name: str) -> Obj:
        return self.request("GET", self.path(kind, namespace, name))

    def try_get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        try:
            return self.get(kind, namespace, name)
        except NotFoundError:
            return None

    def items(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[Obj]:
        query = {"labelSelector": selector} if selector else None
        body = self.request("GET", self.path(kind, namespace), query=query)
        items: list[Obj] = body.get("items") or []
        for item in items:
            item.setdefault("kind", kind)
        return items

    def create(self, obj: Obj) -> Obj:
        ns = obj.get("metadata", {}).get("namespace")
        return self.request("POST", self.path(obj["kind"], ns), obj)

    def json_patch(self, kind: str, namespace: str | None, name: str, ops: list[Obj]) -> Obj:
        return self.request("PATCH", self.path(kind, namespace, name), ops,
                            "application/json-patch+json")

    def merge_patch(self, kind: str, namespace: str | None, name: str, patch: Obj) -> Obj:
        return self.request("PATCH", self.path(kind, namespace, name), patch,
                            "application/merge-patch+json")

    def delete(self, kind: str, namespace: str | None, name: str, grace: int | None = None) -> None:
        body: Obj = {"propagationPolicy": "Background"}
        if grace is not None:
            body["gracePeriodSeconds"] = grace
        with contextlib.suppress(NotFoundError):  # already gone: what a delete wants
            self.request("DELETE", self.path(kind, namespace, name), body)

    def proxy_get(self, namespace: str, service: str, port: int, path: str = "/") -> tuple[int, str]:
        """GET through the API server's service proxy: (status, body); 503 when nothing answers."""
        url = f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/{path.lstrip('/')}"
        try:
            method_, full, headers, data, post = self.api.param_serialize(
                "GET", url, header_params={"Accept": "*/*"}, auth_settings=["BearerToken"])
            response = self.api.call_api(method_, full, header_params=headers, body=data, post_params=post)
            response.read()
        except ApiException as exc:
            return int(exc.status or 0), str(exc.body or "")
        body = response.data.decode(errors="replace") if isinstance(response.data, bytes) else str(response.data)
        return int(response.status), body

    # ------------------------------------------------------------------ node control

    def node_control(self) -> NodeControl:
        return self.nodes if self.nodes is not None else SimulatorNodes(self)

    def set_kubelet(self, node: str, running: bool) -> None:
        """Stop or start a node (the simulator's kubelet switch, a kind node's container)."""
        if self.scope is not None and not self.scope.nodes:
            message = _("chaoskit refused to start node {node}: node-level changes are not allowed in this session") \
                if running else _("chaoskit refused to stop node {node}: node-level changes are not allowed in this "
                                  "session")
            raise SafetyError(message.format(node=node))
        self.node_control().set_running(node, running)

    def kubelet_running(self, node: str) -> bool:
        return self.node_control().running(node)


def _reason(exc: Exception) -> str:
    inner = getattr(exc, "reason", None)
    return str(inner or exc).split(": ", 1)[-1][:200]


def _convert(exc: ApiException) -> KubeError:
    try:
        status = json.loads(exc.body or "{}")
    except ValueError:
        status = {}
    return KubeError.of(int(exc.status or 0), str(status.get("reason", exc.reason or "")),
                        str(status.get("message", exc.reason or "request failed")))


# What the official client's kubeconfig loader raises for a file that is missing, unreadable, not
# YAML, or YAML of another shape (it indexes the document without checking it: TypeError,
# AttributeError, KeyError). All of them mean one thing to a trainee: that file is not a kubeconfig.
KUBECONFIG_ERRORS = (config.ConfigException, OSError, yaml.YAMLError, UnicodeDecodeError, TypeError,
                     AttributeError, KeyError)


def kubeconfig_error(kubeconfig: Path | str | None, exc: BaseException, context: str | None = None) -> ConfigError:
    """One sentence for a kubeconfig the client could not load (``None``: $KUBECONFIG or ~/.kube/config)."""
    where = str(kubeconfig) if kubeconfig else _("(default: $KUBECONFIG or ~/.kube/config)")
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        why = _("not valid YAML ({problem}, line {line})").format(
            problem=getattr(exc, "problem", None) or exc, line=mark.line + 1 if mark else "?")
    elif isinstance(exc, UnicodeDecodeError):
        why = _("not UTF-8 text")
    elif isinstance(exc, OSError):
        why = str(exc.strerror or exc)
    elif isinstance(exc, config.ConfigException):
        why = " ".join(str(exc).split())
    else:
        why = _("not a kubeconfig (a YAML mapping with clusters, contexts and users lists)")
    if context:
        return ConfigError(_("cannot load context {context} from kubeconfig {path}: {why}").format(
            context=context, path=where, why=why))
    return ConfigError(_("cannot read kubeconfig {path}: {why}").format(path=where, why=why))


def connect(kubeconfig: Path | None, system_kubeconfig: Path | None = None, context: str | None = None) -> Kube:
    """Clients for a kubeconfig (None: $KUBECONFIG or ~/.kube/config) and context, plus, on the
    simulator, chaoskit's system identity."""
    try:
        api = config.new_client_from_config(config_file=str(kubeconfig) if kubeconfig else None, context=context)
        system = config.new_client_from_config(config_file=str(system_kubeconfig)) \
            if system_kubeconfig and system_kubeconfig.exists() else None
    except KUBECONFIG_ERRORS as exc:
        raise kubeconfig_error(kubeconfig, exc, context) from exc
    return Kube(api, system)
