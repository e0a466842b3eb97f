"""The ``chaoskit`` command line. Every ChaoskitError becomes one line on stderr and exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from chaoskit import __version__
from chaoskit.cli_backend import Where, backend_options
from chaoskit.errors import ChaoskitError, ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Turn chaoskit's own errors into a one-line message and a non-zero exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ChaoskitError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(__version__, prog_name="chaoskit")
def main() -> None:
    """chaoskit: Kubernetes chaos and SRE troubleshooting trainer."""


@main.command()
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids (same seed, same run).")
@click.option("--speed", default=30.0, show_default=True, help="Simulator seconds per wall second.")
@friendly
def demo(seed: int, speed: float) -> None:
    """A whole session played by a scripted trainee: oom-killed, investigated, fixed, graded."""
    from chaoskit.demo import run_demo

    run_demo(speed=speed, seed=seed, out=click.echo)


@main.group()
def sim() -> None:
    """The bundled cluster simulator."""


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the trainee's kubeconfig [default: STATE_DIR/kubeconfig].")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".chaoskit-sim"),
              show_default=True, help="Certificates, system kubeconfig, audit log and snapshot.")
@click.option("--speed", default=1.0, show_default=True, help="Simulator seconds per wall second.")
@click.option("--workers", default=2, show_default=True, help="Worker nodes (a new cluster only).")
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids (a new cluster only).")
@click.option("--auth", type=click.Choice(["token", "client-cert"]), default="token", show_default=True,
              help="What the kubeconfigs carry: bearer tokens, or client certificates as kind's do.")
@friendly
def sim_serve(host: str, port: int, kubeconfig: Path | None, state_dir: Path, speed: float, workers: int,
              seed: int, auth: str) -> None:
    """Serve the Kubernetes API of a simulated cluster for kubectl and client libraries."""
    import asyncio

    from chaoskit.sim.apiserver.serve import ServeOptions, serve

    options = ServeOptions(host, port, kubeconfig, state_dir, speed, workers, seed, auth)
    asyncio.run(serve(options, announce=lambda line: click.echo(line, nl=True)))


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------------------- scenarios and runbooks

SCENARIOS_OPTION = click.option("--scenarios", "scenario_dirs", multiple=True,
                                type=click.Path(file_okay=False, path_type=Path),
                                help="Another scenario folder (repeatable; CHAOSKIT_SCENARIOS works too).")


def _emit_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2))


@main.command("list")
@SCENARIOS_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@friendly
def list_scenarios(scenario_dirs: tuple[Path, ...], as_json: bool) -> None:
    """The scenario catalogue."""
    from chaoskit.catalog import catalogue

    rows: list[dict[str, Any]] = [
        {"id": s.id, "title": s.title, "difficulty": s.difficulty, "tags": list(s.tags), "minutes": s.minutes}
        for s in sorted(catalogue(scenario_dirs).values(), key=lambda s: (s.difficulty, s.id))]
    if as_json:
        _emit_json(rows)
        return
    width = max((len(r["id"]) for r in rows), default=2)
    click.echo(f"{'ID':<{width}}  LEVEL  MIN  TITLE")
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['difficulty']:>5}  {r['minutes']:>3}  {r['title']}")


@main.command()
@click.argument("scenario_id")
@SCENARIOS_OPTION
@friendly
def show(scenario_id: str, scenario_dirs: tuple[Path, ...]) -> None:
    """A scenario's briefing (symptoms only: no answers)."""
    from chaoskit.catalog import catalogue

    scenarios = catalogue(scenario_dirs)
    if scenario_id not in scenarios:
        raise ConfigError(f"no scenario {scenario_id!r}; see chaoskit list")
    s = scenarios[scenario_id]
    click.echo(f"{s.title}\n\n{s.briefing}\n\nDifficulty {s.difficulty}/5, about {s.minutes} minutes "
               f"(time limit {int(s.time_limit // 60)} min). Tags: {', '.join(s.tags)}.")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@friendly
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


@main.command()
@click.argument("scenario_id")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to write ID.yaml.")
@friendly
def new(scenario_id: str, directory: Path) -> None:
    """Write a commented scenario skeleton that validates as it is."""
    import re

    from chaoskit.skeleton import skeleton

    if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", scenario_id):
        raise ConfigError(f"scenario ids are lowercase words joined by '-': {scenario_id!r}")
    path = directory / f"{scenario_id}.yaml"
    if path.exists():
        raise ConfigError(f"{path} exists; pick another id or remove it")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(skeleton(scenario_id), encoding="utf-8")
    click.echo(f"wrote {path}; check it with: chaoskit validate {path}")


@main.command()
@friendly
def schema() -> None:
    """The scenario JSON Schema (for editor completion)."""
    from chaoskit.scenario.schema import SCHEMA

    _emit_json(SCHEMA)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@friendly
def causes(as_json: bool) -> None:
    """The cause taxonomy a diagnosis names."""
    from chaoskit.scenario.causes import taxonomy

    rows = [{"id": c.id, "title": c.title, "synonyms": list(c.synonyms)} for c in taxonomy().values()]
    if as_json:
        _emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:<32} {r['title']}")


@main.command()
@click.argument("runbook_id")
@friendly
def runbook(runbook_id: str) -> None:
    """Render a runbook in the terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    from chaoskit.runbook import load_runbooks

    books = load_runbooks()
    if runbook_id not in books:
        raise ConfigError(f"no runbook {runbook_id!r}; known: {', '.join(sorted(books))}")
    book = books[runbook_id]
    steps = "\n".join(f"{i}. **{s.title}**: `{'`, `'.join(s.commands)}` (look for: {s.look_for})"
                      for i, s in enumerate(book.steps, 1))
    text = (f"# {book.title}\n\n**Symptoms**: {'; '.join(book.symptoms)}\n\n## Investigate\n\n{steps}\n\n"
            f"## Remediate\n\n" + "\n".join(f"- {r}" for r in book.remediations) +
            "\n\n## Verify\n\n" + "\n".join(f"- `{v}`" for v in book.verification) +
            f"\n\n{book.body}\n\n*Sources: {', '.join(book.sources)}*")
    Console().print(Markdown(text))


@main.command("selftest")
@click.argument("scenario_ids", nargs=-1)
@SCENARIOS_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON array, an object per scenario.")
@click.option("--speed", default=100.0, show_default=True, help="Simulator seconds per wall second (sim backend).")
@backend_options
@friendly
def selftest_command(scenario_ids: tuple[str, ...], scenario_dirs: tuple[Path, ...], as_json: bool,
                     speed: float, where: Where) -> None:
    """Prove scenarios honest: fault shows, reference fix holds, wrong fix fails, revert restores.

    On the simulator each path gets a fresh cluster; on --backend kind/kube a fresh namespace,
    deleted afterwards."""
    from chaoskit.catalog import catalogue
    from chaoskit.selftest import selftest

    scenarios = catalogue(scenario_dirs)
    unknown = [i for i in scenario_ids if i not in scenarios]
    if unknown:
        raise ConfigError(f"no scenario {', '.join(unknown)}; see chaoskit list")
    results = []
    access = where.access()
    for sid in scenario_ids or tuple(sorted(scenarios)):
        result = selftest(scenarios[sid], speed=speed, access=access)
        results.append(result)
        if not as_json:
            mark = "PASS" if result.passed else "FAIL"
            click.echo(f"{mark} {sid} ({result.seconds:.1f}s)")
            for step in result.steps:
                if not step.ok or not result.passed:
                    click.echo(f"  {'ok ' if step.ok else 'BAD'} {step.name}: {step.detail}")
    if as_json:
        _emit_json([r.as_dict() for r in results])
    if not all(r.passed for r in results):
        sys.exit(1)


def _register_sessions() -> None:
    from chaoskit import cli_cluster, cli_session

    cli_session.register(main, SCENARIOS_OPTION, friendly)
    cli_cluster.register(main, friendly)


_register_sessions()
