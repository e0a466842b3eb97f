"""The trainee's session commands: start, play, status, hint, diagnose, check, finish, report,
stop, reset, sessions. Each imports the session layer only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chaoskit.cli.options import (
    JSON_OPTION,
    SCENARIOS_OPTION,
    SESSION_OPTION,
    Where,
    backend_options,
    speed_option,
)
from chaoskit.cli.output import emit_json
from chaoskit.errors import ConfigError


def _dir(session_id: str | None) -> Path:
    from chaoskit.session.home import resolve

    return resolve(session_id)


def start_cmd(scenario_id: str, where: Where, speed: float, seed: int, mode: str, name: str | None,
              scenario_dirs: tuple[Path, ...], as_json: bool, dry_run: bool = False) -> dict[str, Any]:
    from chaoskit.session.control import plan, start

    access = where.access()
    if dry_run:
        info = plan(scenario_id, access, scenario_dirs)
        if as_json:
            emit_json(info)
        else:
            _print_plan(info)
        return info
    info = start(scenario_id, speed=speed, seed=seed, mode=mode, name=name, scenario_dirs=scenario_dirs,
                 access=access)
    if as_json:
        emit_json(info)
    else:
        venue = "simulator" if access is None else f"context {access.context}, through chaoskit's audit proxy"
        click.echo(f"Session {info['session']} started: {scenario_id} in namespace {info['namespace']} "
                   f"({venue}, speed {info['speed']:g}x, {info['time_limit'] / 60:.0f} min).\n")
        click.echo(info["briefing"] + "\n")
        click.echo(f"export KUBECONFIG={info['kubeconfig']}")
    return info


def _print_plan(info: dict[str, Any]) -> None:
    import yaml

    click.echo(f"Dry run: nothing was created. Scenario {info['scenario']} on {info['where']}, "
               f"namespace {info['namespace']} (the suffix is drawn anew at start).")
    click.echo(f"Time limit {info['time_limit']:.0f}s.\nFaults:")
    for fault in info["faults"]:
        every = f", every {fault['every']:g}s" if fault.get("every") else ""
        click.echo(f"  at {fault['at']:g}s{every}: {fault['describe']}"
                   + (" [red herring]" if fault["red_herring"] else ""))
    for step in info["escalations"]:
        click.echo(f"  escalation after {step['after']:g}s unless fixed: {step['describe']}")
    click.echo("Manifests:")
    click.echo(yaml.safe_dump_all(info["manifests"], sort_keys=False).rstrip())


def play_cmd(scenario_id: str, where: Where, speed: float, seed: int, mode: str, name: str | None,
             scenario_dirs: tuple[Path, ...]) -> None:
    import os
    import subprocess

    from chaoskit.cluster.kubectl import kubectl_path
    from chaoskit.report import render
    from chaoskit.session.finish import finish
    from chaoskit.session.home import sessions_dir

    kubectl = kubectl_path()  # no kubectl: say so before a session is started
    info = start_cmd(scenario_id, where, speed, seed, mode, name, scenario_dirs, False)
    shell = os.environ.get("SHELL") or "/bin/sh"
    env = {**os.environ, "KUBECONFIG": info["kubeconfig"], "CHAOSKIT_SESSION": info["session"],
           "PATH": f"{kubectl.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PS1": f"(chaoskit {scenario_id}) $ "}
    click.echo("\nA shell with KUBECONFIG set; 'chaoskit diagnose', 'hint', 'check' act on this session. "
               "Leave it (exit) to finish.\n")
    subprocess.call([shell, "--norc"] if shell.endswith("bash") else [shell], env=env)
    doc = finish(sessions_dir() / info["session"])
    click.echo(render(doc, "text"), nl=False)


def _teardown_report(info: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(info)
        return
    click.echo(f"session {info['session']} stopped: {len(info['restored'])} change(s) reverted")
    for line in info["left"]:
        click.echo(f"  not restored: {line}")
    for line in info["baseline"]:
        click.echo(f"  baseline not back: {line}")
    if not info["left"] and not info["baseline"]:
        click.echo("  baseline healthy" if not info["namespace_deleted"] else "  namespace deleted")


@click.command("start")
@click.argument("scenario_id")
@backend_options
@click.option("--dry-run", is_flag=True, help="Print the plan (namespace, manifests, faults) and touch nothing.")
@speed_option(1.0)
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids.")
@click.option("--mode", type=click.Choice(["practice", "interview"]), default="practice", show_default=True)
@click.option("--name", default=None, help="Session id (default: time, scenario and a random suffix).")
@JSON_OPTION
@SCENARIOS_OPTION
def start(scenario_id: str, where: Where, dry_run: bool, speed: float, seed: int, mode: str, name: str | None,
          as_json: bool, scenario_dirs: tuple[Path, ...]) -> None:
    """Start a training session in the background."""
    start_cmd(scenario_id, where, speed, seed, mode, name, scenario_dirs, as_json, dry_run)


@click.command("play")
@click.argument("scenario_id")
@backend_options
@speed_option(1.0)
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids.")
@click.option("--mode", type=click.Choice(["practice", "interview"]), default="practice", show_default=True)
@click.option("--name", default=None, help="Session id (default: time, scenario and a random suffix).")
@SCENARIOS_OPTION
def play(scenario_id: str, where: Where, speed: float, seed: int, mode: str, name: str | None,
         scenario_dirs: tuple[Path, ...]) -> None:
    """Start a session and open a shell set up for it; leaving the shell finishes it."""
    play_cmd(scenario_id, where, speed, seed, mode, name, scenario_dirs)


@click.command("status")
@SESSION_OPTION
@JSON_OPTION
def status(session_id: str | None, as_json: bool) -> None:
    """Elapsed time, active alerts, hints used, time left."""
    from chaoskit.session.control import status as get

    info = get(_dir(session_id))
    if as_json:
        emit_json(info)
        return
    click.echo(f"{info['session']}  {info['scenario']}  {info['state']}  elapsed {info['elapsed']:.0f}s  "
               f"left {info['time_left']:.0f}s  hints {info['hints_used']}")
    for alert in info["alerts"] or ["no active alerts"]:
        click.echo(f"  {alert}")


@click.command("hint")
@SESSION_OPTION
def hint(session_id: str | None) -> None:
    """The next hint (each one costs process points)."""
    from chaoskit.session.control import hint as take

    click.echo(take(_dir(session_id)))


@click.command("diagnose")
@SESSION_OPTION
@click.option("--cause", "causes", multiple=True, help="A cause id from 'chaoskit causes' (repeatable).")
@click.option("--resource", default=None, help="The affected resource, KIND/NAME (deploy/web, svc/web, no/x).")
@click.option("--note", default="", help="Why you think so.")
def diagnose(session_id: str | None, causes: tuple[str, ...], resource: str | None, note: str) -> None:
    """Submit (or resubmit) what is wrong; the last submission counts."""
    from chaoskit.session.control import diagnose as submit

    if not causes:
        causes = tuple(click.prompt("Cause id (see 'chaoskit causes')").split(","))
        resource = resource or click.prompt("Affected resource (KIND/NAME)")
        note = note or click.prompt("Why (optional)", default="", show_default=False)
    if not resource:
        raise ConfigError("--resource KIND/NAME is required with --cause")
    event = submit(_dir(session_id), tuple(c.strip() for c in causes), resource, note)
    click.echo(f"diagnosis recorded: {', '.join(event['causes'])} on {event['resource']}")


@click.command("check")
@SESSION_OPTION
@JSON_OPTION
def check(session_id: str | None, as_json: bool) -> None:
    """Is the service healthy again? (The checks themselves stay hidden.)"""
    from chaoskit.session.control import check as look

    info = look(_dir(session_id))
    if as_json:
        emit_json(info)
    else:
        click.echo(f"healthy for {info['held_for']:.0f}s" if info["healthy"] else "not healthy yet")


@click.command("finish")
@SESSION_OPTION
@JSON_OPTION
def finish(session_id: str | None, as_json: bool) -> None:
    """Grade the session (waits for a running hold window) and end it."""
    from chaoskit.report import render
    from chaoskit.session.finish import finish as grade

    doc = grade(_dir(session_id))
    click.echo(render(doc, "json") if as_json else render(doc, "text"), nl=False)


@click.command("report")
@SESSION_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "md", "html", "json", "junit"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def report(session_id: str | None, fmt: str, output: Path | None) -> None:
    """The finished session's report."""
    from chaoskit.report import render
    from chaoskit.session.home import read_json

    directory = _dir(session_id)
    doc = read_json(directory / "grade.json")
    if not doc:
        raise ConfigError(f"session {directory.name} is not finished; run 'chaoskit finish' first")
    text = render(doc, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@click.command("stop")
@SESSION_OPTION
@JSON_OPTION
def stop(session_id: str | None, as_json: bool) -> None:
    """Revert every fault and tear the session down (idempotent; on a real cluster the session's
    namespace is deleted)."""
    from chaoskit.session.control import stop as halt

    _teardown_report(halt(_dir(session_id)), as_json)


@click.command("reset")
@SESSION_OPTION
@JSON_OPTION
def reset(session_id: str | None, as_json: bool) -> None:
    """Revert every fault of a session, even after its process was killed or the machine
    rebooted; re-check the baseline; keep the namespace. Safe to run again."""
    from chaoskit.session.control import reset as undo

    _teardown_report(undo(_dir(session_id)), as_json)


@click.command("sessions")
@click.option("--prune", is_flag=True, help="Delete the directories of sessions no longer running.")
@JSON_OPTION
def sessions(prune: bool, as_json: bool) -> None:
    """Every session under $CHAOSKIT_HOME."""
    from chaoskit.session.control import listing
    from chaoskit.session.control import prune as remove

    if prune:
        for sid in remove():
            click.echo(f"removed {sid}")
        return
    rows = listing()
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        score = "" if row["score"] is None else f"  score {row['score']}"
        click.echo(f"{row['session']}  {row['scenario']}  {row['state']}{score}")
