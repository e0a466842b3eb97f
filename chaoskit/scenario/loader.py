"""Read scenario files, reporting every problem with its YAML path and line.

YAML is composed into nodes first (which keep their line numbers), then converted; schema errors
from jsonschema are mapped back to the line of the value they name.
"""

from __future__ import annotations

import os
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
        return None, {}, [Problem(path, "", 0, _("cannot read: {reason}").format(reason=exc.strerror or exc))]
    except UnicodeDecodeError as exc:
        return None, {}, [Problem(path, "", 1 + exc.object[:exc.start].count(b"\n"), _(
            "not UTF-8 text: byte {byte} at offset {offset} cannot be decoded").format(
                byte=f"0x{exc.object[exc.start]:02x}", offset=exc.start))]
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return None, {}, [Problem(path, "", line, _("not valid YAML: {problem}").format(
            problem=getattr(exc, "problem", None) or exc))]
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


def scenario_dirs(extra: tuple[Path, ...] = ()) -> list[Path]:
    """Built-in scenarios, then CHAOSKIT_SCENARIOS (os.pathsep-separated), then --scenarios DIRs."""
    dirs = [builtin_dir()]
    env = os.environ.get("CHAOSKIT_SCENARIOS", "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    return dirs + list(extra)


def load_scenarios(extra: tuple[Path, ...] = ()) -> dict[str, Scenario]:
    """Every scenario in the scenario directories; any broken file is a ScenarioError listing all problems."""
    found: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for directory in scenario_dirs(extra):
        if not directory.is_dir():
            problems.append(Problem(directory, "", 0, _("not a directory")))
            continue
        for path in sorted(directory.glob("*.yaml")):
            scenario, lines, file_problems = load_file(path)
            problems += file_problems
            if scenario is not None:
                if scenario.id in found:
                    other = found[scenario.id].path
                    problems.append(Problem(path, "id", lines.get("id", 1), _(
                        "duplicate scenario id {id!r} (also in {other})").format(id=scenario.id, other=other)))
                found[scenario.id] = scenario
    if problems:
        raise ScenarioError(problems)
    return found
