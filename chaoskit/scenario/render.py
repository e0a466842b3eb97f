"""A scenario's manifests: Jinja templates (the scenario folder's own ``templates/`` first, then the
built-in ones) rendered for one namespace, every object carrying chaoskit's labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

from chaoskit.errors import ConfigError
from chaoskit.i18n import _
from chaoskit.scenario.loader import builtin_dir
from chaoskit.scenario.model import Scenario

CLUSTER_SCOPED = {"Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "PriorityClass", "IngressClass", "CustomResourceDefinition"}


def render_manifests(manifests: list[dict[str, Any]] | tuple[dict[str, Any], ...], variables: dict[str, Any],
                     folder: Path, namespace: str, labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The objects ``manifests`` make for ``namespace`` (templates never name one themselves)."""
    loader = jinja2.FileSystemLoader([str(folder / "templates"), str(builtin_dir() / "templates")])
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    objects: list[dict[str, Any]] = []
    for manifest in manifests:
        values = {**variables, **(manifest.get("vars") or {}), "namespace": namespace}
        try:
            text = env.get_template(manifest["template"]).render(**values)
            docs = [d for d in yaml.safe_load_all(text) if d]
        except (jinja2.TemplateError, yaml.YAMLError) as exc:
            raise ConfigError(_("template {template}: {error}").format(template=manifest["template"], error=exc)) \
                from exc
        for doc in docs:
            if not isinstance(doc, dict):
                raise ConfigError(_("template {template}: a document is not a Kubernetes object").format(
                    template=manifest["template"]))
            if doc.get("kind") not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = namespace
            if labels:
                doc.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
            objects.append(doc)
    return objects


def render(scenario: Scenario, namespace: str, labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The scenario's objects for ``namespace``, each carrying ``labels`` besides its own (chaoskit
    marks what it creates with its name and the session id)."""
    return render_manifests(scenario.manifests, scenario.variables, scenario.path.parent, namespace, labels)
