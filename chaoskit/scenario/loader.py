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
from chaoskit.scenario.variants import RenderError, render_data


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


MAX_NODES = 50_000  # YAML nodes a file may expand to, aliases included (an alias bomb stops here)


class _Walk:
    """One pass over the composed YAML: the line of every path, duplicate keys, and the size the
    document expands to once aliases are followed (refused past :data:`MAX_NODES`)."""

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int, int]] = []  # (path, line, line of the first)
        self.nodes = 0

    def visit(self, node: yaml.Node, path: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                child = f"{path}.{name}" if path else name
                line = key.start_mark.line + 1
                if name in first:
                    self.duplicates.append((child, line, first[name]))
                    continue
                first[name] = line
                self.lines[child] = line
                self.visit(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.visit(item, f"{path}[{i}]")


def _yaml_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse(path: Path) -> tuple[Any, dict[str, int], list[Problem]]:
    """(data, path -> line, problems) for one file. Unreadable bytes, YAML syntax errors, duplicate
    keys and documents that expand past :data:`MAX_NODES` through aliases are problems too; data is
    None only when nothing further can be checked."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return None, {}, [Problem(path, "", 0, _("cannot read: {reason}").format(reason=exc.strerror or exc))]
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        return None, {}, [Problem(path, "", line, _("not UTF-8 text: byte {byte} at offset {offset}").format(
            byte=f"0x{exc.object[exc.start]:02x}", offset=exc.start))]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        walk = _Walk()
        if node is not None:
            walk.visit(node, "")
        if walk.nodes > MAX_NODES:
            return None, walk.lines, [Problem(path, "", 1, _(
                "the document expands to more than {limit} YAML nodes through its aliases").format(limit=MAX_NODES))]
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return None, {}, [Problem(path, "", line, _("not valid YAML: {problem}").format(
            problem=getattr(exc, "problem", None) or exc))]
    finally:
        loader.dispose()
    problems = [Problem(path, where, line, _("duplicate key (first given at line {line})").format(line=earlier))
                for where, line, earlier in walk.duplicates]
    return data, walk.lines, problems


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


def render_problems(path: Path, raw: Any, lines: dict[str, int]) -> tuple[Any, list[Problem]]:
    """The data rendered with the default variables, and what fails to render with the defaults or
    with any value a variant may take (each tried once, the others left at their defaults)."""
    if not isinstance(raw, dict):
        return raw, []
    defaults: dict[str, Any] = raw["variables"] if isinstance(raw.get("variables"), dict) else {}
    variants: dict[str, Any] = raw["variants"] if isinstance(raw.get("variants"), dict) else {}
    tries = [dict(defaults)] + [{**defaults, name: value} for name, values in variants.items()
                                if isinstance(values, list) for value in values]
    problems: dict[str, Problem] = {}
    rendered: Any = raw
    for i, variables in enumerate(tries):
        errors: list[RenderError] = []
        out = render_data(raw, variables, errors=errors)
        for err in errors:
            problems.setdefault(err.path, Problem(path, err.path, _line(lines, err.path), err.detail))
        if i == 0:
            rendered = out
        else:  # what only a variant's value breaks (the defaults' own problems are reported once, later)
            for problem in schema_problems(path, out, lines):
                if not any(problem.path.startswith(bad) for bad in problems):
                    problems.setdefault(problem.path, problem)
    return rendered, list(problems.values())


def _line(lines: dict[str, int], where: str) -> int:
    probe = where
    while probe:
        if probe in lines:
            return lines[probe]
        probe = probe.rsplit(".", 1)[0] if "." in probe else ""
    return 1


def load_file(path: Path) -> tuple[Scenario | None, Any, dict[str, int], list[Problem]]:
    """(scenario, data, lines, problems): the scenario only when the file has no YAML, rendering or
    schema problem; the data (rendered with the default variables where it renders) whenever it could
    be read, so that further checks can still run on it."""
    raw, lines, problems = parse(path)
    if raw is None:
        return None, None, lines, problems
    data, rendering = render_problems(path, raw, lines)
    problems += rendering
    problems += [p for p in schema_problems(path, data, lines) if p.path not in {q.path for q in problems}]
    if problems:
        return None, data, lines, problems
    return Scenario.from_dict(data, path, raw), data, lines, []


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
