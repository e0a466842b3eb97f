"""The scenario catalogue with everything that checks it: schema and semantics (fault types and their
parameters, causes, runbooks, templates), every problem with its YAML path and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from chaoskit.errors import ConfigError
from chaoskit.faults import REGISTRY
from chaoskit.i18n import _
from chaoskit.runbook import Runbook, load_runbooks
from chaoskit.runbook.model import runbook_dirs
from chaoskit.scenario import Problem, Scenario, ScenarioError, load_file
from chaoskit.scenario.causes import taxonomy
from chaoskit.scenario.loader import by_id, scenario_dirs, user_scenario_dirs
from chaoskit.scenario.render import render_manifests

SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def semantic_problems(path: Path, data: Any, lines: dict[str, int], runbooks: set[str]) -> list[Problem]:
    """What the schema cannot see (fault types and their parameters, causes, the runbook, sources,
    solutions, templates), read from the raw data so that it is reported together with the schema's
    problems in one run; parts whose shape is wrong are left to the schema's messages."""
    problems: list[Problem] = []
    doc = data if isinstance(data, dict) else {}

    def add(where: str, message: str) -> None:
        probe, line = where, 0
        while probe and not line:
            line = lines.get(probe, 0)
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        problems.append(Problem(path, where, line or 1, message))

    declared = [(f"faults[{i}]", f) for i, f in enumerate(_items(doc.get("faults")))]
    declared += [(f"escalations[{i}].fault", e.get("fault")) for i, e in enumerate(_items(doc.get("escalations")))]
    for where, spec in declared:
        if not isinstance(spec, dict):
            continue
        ftype, target = spec.get("type"), spec.get("target")
        cls = REGISTRY.get(str(ftype))
        if cls is None:
            add(f"{where}.type", _("unknown fault type {type!r}; known: {known}").format(
                type=ftype, known=", ".join(sorted(REGISTRY))))
            continue
        if isinstance(target, dict) and target.get("kind") not in cls.kinds:
            add(f"{where}.target.kind", _("fault {type} applies to {kinds}").format(
                type=ftype, kinds=", ".join(cls.kinds)))
        params = spec.get("params") or {}
        for err in Draft202012Validator(cls.params_schema()).iter_errors(params):
            add(f"{where}.params" + "".join(f".{p}" for p in err.absolute_path), err.message)
    diagnosis: dict[str, Any] = doc["diagnosis"] if isinstance(doc.get("diagnosis"), dict) else {}
    for i, cause in enumerate(_items(diagnosis.get("causes"))):
        if isinstance(cause, str) and cause not in taxonomy():
            add(f"diagnosis.causes[{i}]", _("unknown cause {cause!r}").format(cause=cause))
    if isinstance(doc.get("runbook"), str) and doc["runbook"] not in runbooks:
        add("runbook", _("no runbook with id {id!r}").format(id=doc["runbook"]))
    for i, source in enumerate(_items(doc.get("sources"))):
        if isinstance(source, str) and not SEED_NAME.match(source):
            add(f"sources[{i}]", _("{source!r} is not a seed document file name").format(source=source))
    solutions = [("solution", doc.get("solution"))] + \
        [(f"{part}[{i}]", s) for part in ("alternatives", "wrong") for i, s in enumerate(_items(doc.get(part)))]
    for where, solution in solutions:
        for j, command in enumerate(_items(solution.get("commands") if isinstance(solution, dict) else None)):
            if isinstance(command, str) and not command.startswith("kubectl "):
                add(f"{where}.commands[{j}]", _("solutions are kubectl commands: {command!r}").format(command=command))
    variables: dict[str, Any] = doc["variables"] if isinstance(doc.get("variables"), dict) else {}
    for i, manifest in enumerate(_items(doc.get("manifests"))):
        if not isinstance(manifest, dict) or not isinstance(manifest.get("template"), str):
            continue
        try:
            for obj in render_manifests([manifest], variables, path.parent, "validate"):
                if obj.get("metadata", {}).get("namespace") not in (None, "validate"):
                    add(f"manifests[{i}]", _("templates must not hard-code a namespace"))
        except ConfigError as exc:
            add(f"manifests[{i}].template", str(exc))
    return problems


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def runbooks(extra: tuple[Path, ...] = ()) -> dict[str, Runbook]:
    """The runbooks that go with the catalogue of ``extra`` (and CHAOSKIT_SCENARIOS): the built-in
    ones, replaced by id by those beside the user scenario folders (see ``runbook_dirs``)."""
    return load_runbooks(runbook_dirs(user_scenario_dirs(extra)))


def validate_paths(paths: list[Path]) -> tuple[list[Scenario], list[Problem]]:
    """Check scenario files and folders; runbooks are the built-in ones and those beside ``paths``."""
    folders = [path if path.is_dir() else path.parent for path in paths]
    books = set(load_runbooks(runbook_dirs(folders)))
    scenarios, problems = [], []
    for path in paths:
        if not path.exists():
            problems.append(Problem(path, "", 0, _("not a directory")))
            continue
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            scenario, data, lines, found = load_file(file)
            more = semantic_problems(file, data, lines, books) if data is not None else []
            problems += sorted(found + more, key=lambda p: (p.line, p.path))
            if scenario is not None and not more:
                scenarios.append(scenario)
    return scenarios, problems


def catalogue(extra: tuple[Path, ...] = ()) -> dict[str, Scenario]:
    """Every valid scenario, a user folder's replacing the built-in one with its id; any problem
    anywhere is a ScenarioError listing all of them."""
    scenarios, problems = validate_paths(scenario_dirs(extra))
    found, clashes = by_id(scenarios)
    if problems or clashes:
        raise ScenarioError(problems + clashes)
    return found
