"""A runbook: front matter (id, title, symptoms, causes, steps with audit evidence, remediations,
verification, sources) and Markdown prose. Steps carry an ``evidence`` pattern matched against the
API audit log, so grading can tell which investigation steps a trainee took."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chaoskit.errors import ConfigError
from chaoskit.i18n import _

REQUIRED = ("id", "title", "symptoms", "causes", "steps", "remediations", "verification", "sources")


class RunbookError(ConfigError):
    """A runbook file that cannot be read as a runbook."""


@dataclass(frozen=True)
class Step:
    title: str
    commands: tuple[str, ...]
    look_for: str
    evidence: dict[str, Any]


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
        if not isinstance(step, dict) or not step.get("commands") or not step.get("evidence"):
            raise RunbookError(_("{path}: steps[{i}] needs commands and evidence").format(path=path, i=i))
        steps.append(Step(step.get("title", ""), tuple(step["commands"]), step.get("look_for", ""),
                          dict(step["evidence"])))
    return Runbook(meta["id"], meta["title"], tuple(meta["symptoms"]), tuple(meta["causes"]), tuple(steps),
                   tuple(meta["remediations"]), tuple(meta["verification"]), tuple(meta["sources"]),
                   body.strip(), path)


def builtin_dir() -> Path:
    """The runbooks that ship inside the package."""
    return Path(str(resources.files("chaoskit.runbook") / "builtin"))


def load_runbooks(directory: Path | None = None) -> dict[str, Runbook]:
    books = {}
    for path in sorted((directory or builtin_dir()).glob("*.md")):
        book = parse(path)
        if book.id in books:
            raise RunbookError(_("{path}: duplicate runbook id {id!r}").format(path=path, id=book.id))
        books[book.id] = book
    return books
