"""``chaoskit sim serve``: the bundled simulator as a Kubernetes API server.

The simulator speaks Kubernetes' words only; its announcements are printed as they come."""

from __future__ import annotations

from pathlib import Path

import click

from chaoskit.cli.localized import PathType, group, option
from chaoskit.cli.options import speed_option
from chaoskit.errors import ConfigError
from chaoskit.i18n import N_, _


@group(help=N_("The bundled cluster simulator."))
def sim() -> None:
    """The group only gathers the subcommands below."""


@sim.command("serve", help=N_("Serve the Kubernetes API of a simulated cluster for kubectl and client libraries."))
@option("--host", default="127.0.0.1", show_default=True, help=N_("Address to listen on."))
@option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
        help=N_("Port to listen on (0: any free port)."))
@option("--kubeconfig", type=PathType(dir_okay=False, path_type=Path), default=None,
        help=N_("Where to write the trainee's kubeconfig [default: STATE_DIR/kubeconfig]."))
@option("--state-dir", type=PathType(file_okay=False, path_type=Path), default=Path(".chaoskit-sim"),
        show_default=True, help=N_("Certificates, system kubeconfig, audit log and snapshot."))
@speed_option(1.0)
@option("--workers", type=click.IntRange(0, 1000), default=2, show_default=True,
        help=N_("Worker nodes (a new cluster only)."))
@option("--seed", default=0, show_default=True, help=N_("Seed for names and uids (a new cluster only)."))
@option("--auth", type=click.Choice(["token", "client-cert"]), default="token", show_default=True,
        help=N_("What the kubeconfigs carry: bearer tokens, or client certificates as kind's do."))
def serve(host: str, port: int, kubeconfig: Path | None, state_dir: Path, speed: float, workers: int,
          seed: int, auth: str) -> None:
    import asyncio

    from chaoskit.sim.apiserver.serve import ServeOptions
    from chaoskit.sim.apiserver.serve import serve as run
    from chaoskit.sim.errors import SimError

    options = ServeOptions(host, port, kubeconfig, state_dir, speed, workers, seed, auth)
    try:
        asyncio.run(run(options, announce=lambda line: click.echo(line, nl=True)))
    except SimError as exc:  # the simulator's own errors, converted at this boundary
        raise ConfigError(str(exc)) from exc
    except OSError as exc:  # the address is taken or not ours, the state folder cannot be written
        raise ConfigError(_("cannot serve on {host}:{port} with state in {state_dir}: {reason}").format(
            host=host, port=port, state_dir=state_dir, reason=exc.strerror or exc)) from exc
