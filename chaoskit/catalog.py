"""The scenario catalogue with everything that checks it: schema and semantics (fault types and their
parameters, causes, runbooks, templates), every problem with its YAML path and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jsonschema import Draft202012Validator

from chaoskit.errors import ConfigError
from chaoskit.faults import REGISTRY
from chaoskit.i18n import _
from chaoskit.runbook import load_runbooks
from chaoskit.scenario import Problem, Scenario, ScenarioError, load_file
from chaoskit.scenario.causes import taxonomy
from chaoskit.scenario.loader import builtin_dir, scenario_dirs

SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
CLUSTER_SCOPED = {"Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}


def render(scenario: Scenario, namespace: str, labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The scenario's objects for ``namespace`` (templates never name one themselves), each carrying
    ``labels`` besides its own (chaoskit marks what it creates with its name and the session id)."""
    loader = jinja2.FileSystemLoader([str(scenario.path.parent / "templates"), str(builtin_dir() / "templates")])
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    objects: list[dict[str, Any]] = []
    for manifest in scenario.manifests:
        variables = {**scenario.variables, **(manifest.get("vars") or {}), "namespace": namespace}
        try:
            text = env.get_template(manifest["template"]).render(**variables)
            docs = [d for d in yaml.safe_load_all(text) if d]
        except (jinja2.TemplateError, yaml.YAMLError) as exc:
            raise ConfigError(_("template {template}: {error}").format(template=manifest["template"], error=exc)) \
                from exc
        for doc in docs:
            if doc.get("kind") not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = namespace
            if labels:
                doc.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
            objects.append(doc)
    return objects


def semantic_problems(scenario: Scenario, lines: dict[str, int], runbooks: set[str]) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: str, message: str) -> None:
        line = lines.get(path) or lines.get(path.rsplit(".", 1)[0]) or 1
        problems.append(Problem(scenario.path, path, line, message))

    declared = [(f"faults[{i}]", f.type, f.target, f.params) for i, f in enumerate(scenario.faults)]
    declared += [(f"escalations[{i}].fault", e["fault"].get("type"), e["fault"].get("target") or {},
                  e["fault"].get("params") or {}) for i, e in enumerate(scenario.escalations)]
    for where, ftype, target, params in declared:
        cls = REGISTRY.get(str(ftype))
        if cls is None:
            add(f"{where}.type", _("unknown fault type {type!r}; known: {known}").format(
                type=ftype, known=", ".join(sorted(REGISTRY))))
            continue
        if target.get("kind") not in cls.kinds:
            add(f"{where}.target.kind", _("fault {type} applies to {kinds}").format(
                type=ftype, kinds=", ".join(cls.kinds)))
        for err in Draft202012Validator(cls.params_schema).iter_errors(params):
            add(f"{where}.params", err.message)
    for i, cause in enumerate(scenario.diagnosis["causes"]):
        if cause not in taxonomy():
            add(f"diagnosis.causes[{i}]", _("unknown cause {cause!r}").format(cause=cause))
    if scenario.runbook not in runbooks:
        add("runbook", _("no runbook with id {id!r}").format(id=scenario.runbook))
    for i, source in enumerate(scenario.sources):
        if not SEED_NAME.match(source):
            add(f"sources[{i}]", _("{source!r} is not a seed document file name").format(source=source))
    for i, solution in enumerate((scenario.solution, *scenario.alternatives, *scenario.wrong)):
        for command in solution.commands:
            if not command.startswith("kubectl "):
                add("solution" if i == 0 else "alternatives",
                    _("solutions are kubectl commands: {command!r}").format(command=command))
    for i, manifest in enumerate(scenario.manifests):
        try:
            for obj in render(_with_manifests(scenario, [manifest]), "validate"):
                if obj.get("metadata", {}).get("namespace") not in (None, "validate"):
                    add(f"manifests[{i}]", _("templates must not hard-code a namespace"))
        except ConfigError as exc:
            add(f"manifests[{i}].template", str(exc))
    return problems


def _with_manifests(scenario: Scenario, manifests: list[dict[str, Any]]) -> Scenario:
    from dataclasses import replace

    return replace(scenario, manifests=tuple(manifests))


def validate_paths(paths: list[Path]) -> tuple[list[Scenario], list[Problem]]:
    runbooks = set(load_runbooks())
    scenarios, problems = [], []
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            scenario, lines, found = load_file(file)
            problems += found
            if scenario is not None:
                more = semantic_problems(scenario, lines, runbooks)
                problems += more
                if not more:
                    scenarios.append(scenario)
    return scenarios, problems


def catalogue(extra: tuple[Path, ...] = ()) -> dict[str, Scenario]:
    """Every valid scenario; any problem anywhere is a ScenarioError listing all of them."""
    scenarios, problems = validate_paths(scenario_dirs(extra))
    if problems:
        raise ScenarioError(problems)
    found: dict[str, Scenario] = {}
    for s in scenarios:
        if s.id in found:
            raise ScenarioError([Problem(s.path, "id", 1, _("duplicate scenario id {id!r}").format(id=s.id))])
        found[s.id] = s
    return found
