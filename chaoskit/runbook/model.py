"""A runbook: front matter (id, title, symptoms, causes, steps, remediations, verification, sources)
and Markdown prose. A step is recognised in the API audit log by the reads its own commands make
(:mod:`chaoskit.runbook.commands`), so grading can tell which investigation steps a trainee took."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from chaoskit.errors import ConfigError
from chaoskit.i18n import _
from chaoskit.runbook.commands import Request, requests_of

REQUIRED = ("id", "title", "symptoms", "causes", "steps", "remediations", "verification", "sources")


class RunbookError(ConfigError):
    """A runbook file that cannot be read as a runbook."""


@dataclass(frozen=True)
class Step:
    title: str
    commands: tuple[str, ...]
    look_for: str
    reads: tuple[Request, ...]   # what the step's commands request; any of them takes the step


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    symptoms: tuple[str, ...]
    causes: tuple[str, ...]
    steps: tuple[Step, ...]
    remediations: tuple[str, ...]
    verification: tuple[str, ...]
    sources: tuple[str, ...]
    body: str
    path: Path


def parse(path: Path) -> Runbook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunbookError(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror or exc)) \
            from exc
    except UnicodeDecodeError as exc:
        raise RunbookError(_("{path}: not UTF-8 text (byte offset {offset})").format(path=path, offset=exc.start)) \
            from exc
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise RunbookError(_("{path}:1: a runbook starts with YAML front matter between '---' lines").format(
            path=path))
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise RunbookError(_("{path}: front matter is not valid YAML: {error}").format(path=path, error=exc)) \
            from exc
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise RunbookError(_("{path}: front matter lacks {keys}").format(path=path, keys=", ".join(missing)))
    steps = []
    for i, step in enumerate(meta["steps"]):
        if not isinstance(step, dict) or not step.get("commands"):
            raise RunbookError(_("{path}: steps[{i}] needs commands").format(path=path, i=i))
        reads = tuple(r for command in step["commands"] for r in requests_of(str(command)))
        if not reads:
            raise RunbookError(_("{path}: steps[{i}]: none of its commands is a read chaoskit recognises "
                                 "(kubectl get, describe, logs, top, events, rollout status/history)").format(
                                     path=path, i=i))
        steps.append(Step(step.get("title", ""), tuple(step["commands"]), step.get("look_for", ""), reads))
    return Runbook(meta["id"], meta["title"], tuple(meta["symptoms"]), tuple(meta["causes"]), tuple(steps),
                   tuple(meta["remediations"]), tuple(meta["verification"]), tuple(meta["sources"]),
                   body.strip(), path)


def builtin_dir() -> Path:
    """The runbooks that ship inside the package."""
    return Path(str(resources.files("chaoskit.runbook") / "builtin"))


def runbook_dirs(scenario_dirs: Iterable[Path] = ()) -> list[Path]:
    """The runbook folders that go with user scenario folders, each once, in order.

    A team keeps its runbooks next to its scenarios, so for each scenario folder ``D`` chaoskit reads
    ``D/runbooks/`` and the sibling ``D/../runbooks/`` when they exist (a repository's top-level
    ``scenarios/`` and ``runbooks/``); then every folder of ``CHAOSKIT_RUNBOOKS`` (os.pathsep-separated),
    which must exist. The built-in folder is never listed: :func:`load_runbooks` reads it first anyway.
    """
    found: list[Path] = []
    seen = {builtin_dir().resolve()}

    def add(path: Path) -> None:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            found.append(path)

    for folder in scenario_dirs:
        for candidate in (folder / "runbooks", folder.parent / "runbooks"):
            if candidate.is_dir():
                add(candidate)
    for entry in os.environ.get("CHAOSKIT_RUNBOOKS", "").split(os.pathsep):
        if entry:
            if not Path(entry).is_dir():
                raise RunbookError(_("CHAOSKIT_RUNBOOKS: {path} is not a directory").format(path=entry))
            add(Path(entry))
    return found


def load_runbooks(directories: Iterable[Path] = ()) -> dict[str, Runbook]:
    """The built-in runbooks, then those of ``directories`` (see :func:`runbook_dirs`).

    A runbook in one of ``directories`` replaces the built-in one with its id, so a team can adapt a
    shipped runbook without forking the package; the same id twice among the built-ins, or twice
    among ``directories``, is an error (which one would grading follow?). ``README.md`` in a folder
    is its documentation, not a runbook.
    """
    builtin = _read([builtin_dir()])
    return {**builtin, **_read(directories)}


def _read(directories: Iterable[Path]) -> dict[str, Runbook]:
    books: dict[str, Runbook] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            book = parse(path)
            if book.id in books:
                raise RunbookError(_("{path}: duplicate runbook id {id!r} (also in {other})").format(
                    path=path, id=book.id, other=books[book.id].path))
            books[book.id] = book
    return books
