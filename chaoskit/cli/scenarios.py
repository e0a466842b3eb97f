"""Commands about the catalogue: list, show, validate, new, schema, causes, runbook.

A scenario's own texts (title, briefing, tags) and a runbook's are data written in their files,
shown as written; only the words chaoskit puts around them go through the catalogue."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from chaoskit.cli.localized import PathType, argument, command, option
from chaoskit.cli.options import JSON_OPTION, SCENARIOS_OPTION
from chaoskit.cli.output import emit_json
from chaoskit.errors import ConfigError
from chaoskit.i18n import N_, _


@command("list", help=N_("The scenario catalogue."))
@SCENARIOS_OPTION
@JSON_OPTION
def list_scenarios(scenario_dirs: tuple[Path, ...], as_json: bool) -> None:
    from chaoskit.catalog import catalogue

    rows: list[dict[str, Any]] = [
        {"id": s.id, "title": s.title, "difficulty": s.difficulty, "tags": list(s.tags), "minutes": s.minutes}
        for s in sorted(catalogue(scenario_dirs).values(), key=lambda s: (s.difficulty, s.id))]
    if as_json:
        emit_json(rows)
        return
    heads = (_("ID"), _("LEVEL"), _("MIN"), _("TITLE"))
    width = max([len(heads[0]), *(len(r["id"]) for r in rows)])
    level, minutes = max(5, len(heads[1])), max(3, len(heads[2]))
    click.echo(f"{heads[0]:<{width}}  {heads[1]:>{level}}  {heads[2]:>{minutes}}  {heads[3]}")
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['difficulty']:>{level}}  {r['minutes']:>{minutes}}  {r['title']}")


@command(help=N_("A scenario's briefing (symptoms only: no answers)."))
@argument("scenario_id")
@SCENARIOS_OPTION
def show(scenario_id: str, scenario_dirs: tuple[Path, ...]) -> None:
    from chaoskit.catalog import catalogue

    scenarios = catalogue(scenario_dirs)
    if scenario_id not in scenarios:
        raise ConfigError(_("no scenario {id!r}; see chaoskit list").format(id=scenario_id))
    s = scenarios[scenario_id]
    click.echo(f"{s.title}\n\n{s.briefing}\n")
    click.echo(_("Difficulty {difficulty}/5, about {minutes} minutes (time limit {limit} min). Tags: {tags}.")
               .format(difficulty=s.difficulty, minutes=s.minutes, limit=int(s.time_limit // 60),
                       tags=", ".join(s.tags)))


@command(help=N_("Check scenario files: schema and semantics, every problem with its YAML path and line."))
@argument("paths", nargs=-1, required=True, type=PathType(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    from chaoskit.catalog import validate_paths

    scenarios, problems = validate_paths(list(paths))
    for problem in problems:  # the report itself: every problem on its own line, then one error line
        click.echo(str(problem), err=True)
    if problems:
        raise ConfigError(_("{n} problem(s) found").format(n=len(problems)))
    click.echo(_("{n} scenario(s) valid").format(n=len(scenarios)))


@command(help=N_("Write a commented scenario skeleton that validates as it is."))
@argument("scenario_id")
@option("--dir", "directory", type=PathType(file_okay=False, path_type=Path), default=Path("."),
        show_default=True, help=N_("Where to write ID.yaml."))
def new(scenario_id: str, directory: Path) -> None:
    from chaoskit.skeleton import skeleton

    if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", scenario_id):
        raise ConfigError(_("scenario ids are lowercase words joined by '-': {id!r}").format(id=scenario_id))
    path = directory / f"{scenario_id}.yaml"
    try:
        if path.exists():
            raise ConfigError(_("{path} exists; pick another id or remove it").format(path=path))
        directory.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:
            out.write(skeleton(scenario_id))
    except OSError as exc:
        raise ConfigError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)) \
            from exc
    click.echo(_("wrote {path}; check it with: chaoskit validate {path}").format(path=path))


@command(help=N_("The scenario JSON Schema (for editor completion)."))
def schema() -> None:
    from chaoskit.scenario.schema import SCHEMA

    emit_json(SCHEMA)


@command(help=N_("The cause taxonomy a diagnosis names."))
@JSON_OPTION
def causes(as_json: bool) -> None:
    from chaoskit.scenario.causes import taxonomy

    rows = [{"id": c.id, "title": c.title, "synonyms": list(c.synonyms)} for c in taxonomy().values()]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:<32} {r['title']}")


@command(help=N_("Render a runbook in the terminal (a scenario folder's runbooks/ and sibling runbooks/ count "
                 "too)."))
@argument("runbook_id")
@SCENARIOS_OPTION
def runbook(runbook_id: str, scenario_dirs: tuple[Path, ...]) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    from chaoskit.catalog import runbooks
    from chaoskit.runbook.sources import describe

    books = runbooks(scenario_dirs)
    if runbook_id not in books:
        raise ConfigError(_("no runbook {id!r}; known: {known}").format(id=runbook_id, known=", ".join(sorted(books))))
    book = books[runbook_id]
    steps = "\n".join(_("{n}. **{title}**: {commands} (look for: {look_for})").format(
        n=i, title=s.title, commands=", ".join(f"`{c}`" for c in s.commands), look_for=s.look_for)
        for i, s in enumerate(book.steps, 1))
    text = "\n\n".join([
        f"# {book.title}",
        _("**Symptoms**: {symptoms}").format(symptoms="; ".join(book.symptoms)),
        "## " + _("Investigate"), steps,
        "## " + _("Remediate"), "\n".join(f"- {r}" for r in book.remediations),
        "## " + _("Verify"), "\n".join(f"- `{v}`" for v in book.verification),
        book.body,
        "*" + _("Sources: {sources}").format(sources="; ".join(describe(s) for s in book.sources)) + "*"])
    Console().print(Markdown(text))
