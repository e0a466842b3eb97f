"""Commands about the catalogue: list, show, validate, new, schema, causes, runbook."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from chaoskit.cli.options import JSON_OPTION, SCENARIOS_OPTION
from chaoskit.cli.output import emit_json
from chaoskit.errors import ConfigError


@click.command("list")
@SCENARIOS_OPTION
@JSON_OPTION
def list_scenarios(scenario_dirs: tuple[Path, ...], as_json: bool) -> None:
    """The scenario catalogue."""
    from chaoskit.catalog import catalogue

    rows: list[dict[str, Any]] = [
        {"id": s.id, "title": s.title, "difficulty": s.difficulty, "tags": list(s.tags), "minutes": s.minutes}
        for s in sorted(catalogue(scenario_dirs).values(), key=lambda s: (s.difficulty, s.id))]
    if as_json:
        emit_json(rows)
        return
    width = max((len(r["id"]) for r in rows), default=2)
    click.echo(f"{'ID':<{width}}  LEVEL  MIN  TITLE")
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['difficulty']:>5}  {r['minutes']:>3}  {r['title']}")


@click.command()
@click.argument("scenario_id")
@SCENARIOS_OPTION
def show(scenario_id: str, scenario_dirs: tuple[Path, ...]) -> None:
    """A scenario's briefing (symptoms only: no answers)."""
    from chaoskit.catalog import catalogue

    scenarios = catalogue(scenario_dirs)
    if scenario_id not in scenarios:
        raise ConfigError(f"no scenario {scenario_id!r}; see chaoskit list")
    s = scenarios[scenario_id]
    click.echo(f"{s.title}\n\n{s.briefing}\n\nDifficulty {s.difficulty}/5, about {s.minutes} minutes "
               f"(time limit {int(s.time_limit // 60)} min). Tags: {', '.join(s.tags)}.")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check scenario files: schema and semantics, every problem with its YAML path and line."""
    from chaoskit.catalog import validate_paths

    scenarios, problems = validate_paths(list(paths))
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"{len(scenarios)} scenario(s) valid")


@click.command()
@click.argument("scenario_id")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to write ID.yaml.")
def new(scenario_id: str, directory: Path) -> None:
    """Write a commented scenario skeleton that validates as it is."""
    from chaoskit.skeleton import skeleton

    if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", scenario_id):
        raise ConfigError(f"scenario ids are lowercase words joined by '-': {scenario_id!r}")
    path = directory / f"{scenario_id}.yaml"
    if path.exists():
        raise ConfigError(f"{path} exists; pick another id or remove it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(skeleton(scenario_id), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    click.echo(f"wrote {path}; check it with: chaoskit validate {path}")


@click.command()
def schema() -> None:
    """The scenario JSON Schema (for editor completion)."""
    from chaoskit.scenario.schema import SCHEMA

    emit_json(SCHEMA)


@click.command()
@JSON_OPTION
def causes(as_json: bool) -> None:
    """The cause taxonomy a diagnosis names."""
    from chaoskit.scenario.causes import taxonomy

    rows = [{"id": c.id, "title": c.title, "synonyms": list(c.synonyms)} for c in taxonomy().values()]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:<32} {r['title']}")


@click.command()
@click.argument("runbook_id")
@SCENARIOS_OPTION
def runbook(runbook_id: str, scenario_dirs: tuple[Path, ...]) -> None:
    """Render a runbook in the terminal (a scenario folder's runbooks/ and sibling runbooks/ count too)."""
    from rich.console import Console
    from rich.markdown import Markdown

    from chaoskit.catalog import runbooks
    from chaoskit.runbook.sources import describe

    books = runbooks(scenario_dirs)
    if runbook_id not in books:
        raise ConfigError(f"no runbook {runbook_id!r}; known: {', '.join(sorted(books))}")
    book = books[runbook_id]
    steps = "\n".join(f"{i}. **{s.title}**: `{'`, `'.join(s.commands)}` (look for: {s.look_for})"
                      for i, s in enumerate(book.steps, 1))
    text = (f"# {book.title}\n\n**Symptoms**: {'; '.join(book.symptoms)}\n\n## Investigate\n\n{steps}\n\n"
            f"## Remediate\n\n" + "\n".join(f"- {r}" for r in book.remediations) +
            "\n\n## Verify\n\n" + "\n".join(f"- `{v}`" for v in book.verification) +
            f"\n\n{book.body}\n\n*Sources: {'; '.join(describe(s) for s in book.sources)}*")
    Console().print(Markdown(text))
