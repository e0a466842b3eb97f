"""Read scenario files, reporting every problem with its YAML path and line.

YAML is composed into nodes first (which keep their line numbers), then converted; schema errors
from jsonschema are mapped back to the line of the value they name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from chaoskit.errors import ConfigError
from chaoskit.i18n import _
from chaoskit.scenario.model import Scenario
from chaoskit.scenario.schema import SCHEMA


@dataclass(frozen=True)
class Problem:
    file: Path
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path or '(top)'}: {self.message}"


class ScenarioError(ConfigError):
    """A scenario file (or several) is broken; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, f"{path}[{i}]", out)


def _yaml_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse(path: Path) -> tuple[Any, dict[str, int], list[Problem]]:
    """(data, path -> line, problems) for one file; YAML syntax errors are problems too."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, {}, [Problem(path, "", 0, f"cannot read: {exc.strerror}")]
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return None, {}, [Problem(path, "", line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    lines: dict[str, int] = {}
    if node is not None:
        _lines(node, "", lines)
    return data, lines, []


def schema_problems(path: Path, data: Any, lines: dict[str, int]) -> list[Problem]:
    problems = []
    for err in sorted(Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = _yaml_path(err.absolute_path)
        line = lines.get(where, 0)
        probe = where
        while not line and probe:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
            line = lines.get(probe, 0)
        problems.append(Problem(path, where, line or 1, err.message))
    return problems


def load_file(path: Path) -> tuple[Scenario | None, dict[str, int], list[Problem]]:
    data, lines, problems = parse(path)
    if problems:
        return None, lines, problems
    problems = schema_problems(path, data, lines)
    if problems:
        return None, lines, problems
    return Scenario.from_dict(data, path), lines, []


def builtin_dir() -> Path:
    """The scenarios that ship inside the package (a real folder: chaoskit is installed unzipped)."""
    return Path(str(resources.files("chaoskit.scenario") / "builtin"))


def user_scenario_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """A team's own scenario folders: CHAOSKIT_SCENARIOS (os.pathsep-separated), then ``--scenarios``.

    Each folder counts once (the same folder named by the variable and by the option is not two
    folders whose scenarios clash), and the built-in folder is never a user folder.
    """
    env = [Path(p) for p in os.environ.get("CHAOSKIT_SCENARIOS", "").split(os.pathsep) if p]
    seen = {builtin_dir().resolve()}
    dirs: list[Path] = []
    for path in [*env, *extra]:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            dirs.append(path)
    return dirs


def scenario_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """Built-in scenarios first, then the user folders (:func:`user_scenario_dirs`)."""
    return [builtin_dir(), *user_scenario_dirs(extra)]


def by_id(scenarios: Iterable[Scenario], id_lines: Mapping[Path, int] | None = None) -> tuple[dict[str, Scenario],
                                                                                              list[Problem]]:
    """Scenarios by id. A user folder's scenario replaces the built-in one with its id, so a team can
    adapt a shipped exercise without forking the package; the same id twice among the built-ins, or
    twice among user folders, is a problem (which one would ``chaoskit start`` run?)."""
    builtin: dict[str, Scenario] = {}
    mine: dict[str, Scenario] = {}
    problems: list[Problem] = []
    home = builtin_dir().resolve()
    for scenario in scenarios:
        found = builtin if scenario.path.parent.resolve() == home else mine
        if scenario.id in found:
            line = (id_lines or {}).get(scenario.path, 1)
            problems.append(Problem(scenario.path, "id", line, _("duplicate scenario id {id!r} (also in {other})")
                                    .format(id=scenario.id, other=found[scenario.id].path)))
            continue
        found[scenario.id] = scenario
    return {**builtin, **mine}, problems


def load_scenarios(extra: tuple[Path, ...] = ()) -> dict[str, Scenario]:
    """Every scenario in the scenario directories (schema only: ``chaoskit.catalog`` checks the
    semantics too); any broken file is a ScenarioError listing all problems."""
    scenarios: list[Scenario] = []
    id_lines: dict[Path, int] = {}
    problems: list[Problem] = []
    for directory in scenario_dirs(extra):
        if not directory.is_dir():
            problems.append(Problem(directory, "", 0, "not a directory"))
            continue
        for path in sorted(directory.glob("*.yaml")):
            scenario, lines, file_problems = load_file(path)
            problems += file_problems
            if scenario is not None:
                scenarios.append(scenario)
                id_lines[path] = lines.get("id", 1)
    found, clashes = by_id(scenarios, id_lines)
    problems += clashes
    if problems:
        raise ScenarioError(problems)
    return found
