"""``chaoskit sim serve``: the bundled simulator as a Kubernetes API server.

The simulator speaks Kubernetes' words only; its announcements are printed as they come."""

from __future__ import annotations

from pathlib import Path

import click

from chaoskit.cli.localized import PathType, group, option
from chaoskit.cli.options import speed_option
from chaoskit.errors import ConfigError, StateError
from chaoskit.i18n import N_, _


@group(help=N_("The bundled cluster simulator."))
def sim() -> None:
    """The group only gathers the subcommands below."""


@sim.command("serve", help=N_(
    "Serve the Kubernetes API of a simulated cluster for kubectl and client libraries.\n\n"
    "The cluster is snapshotted into STATE_DIR every few seconds and on SIGINT/SIGTERM/SIGHUP; a restart on the "
    "same STATE_DIR brings it back with the same CA, credentials and port."))
@option("--host", default="127.0.0.1", show_default=True, help=N_("Address to listen on."))
@option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
        help=N_("Port to listen on (0: the port STATE_DIR served on before, else any free port)."))
@option("--kubeconfig", type=PathType(dir_okay=False, path_type=Path), default=None,
        help=N_("Where to write the trainee's kubeconfig [default: STATE_DIR/kubeconfig]."))
@option("--state-dir", type=PathType(file_okay=False, path_type=Path), default=Path(".chaoskit-sim"),
        show_default=True, help=N_("CA, credentials, kubeconfigs, audit log and snapshot (0700); a restart on it is "
                                   "the same server with the same cluster."))
@speed_option(1.0)
@option("--workers", type=click.IntRange(0, 1000), default=2, show_default=True,
        help=N_("Worker nodes (a new cluster only)."))
@option("--seed", default=0, show_default=True, help=N_("Seed for names and uids (a new cluster only)."))
@option("--auth", type=click.Choice(["token", "client-cert"]), default="token", show_default=True,
        help=N_("What the kubeconfigs carry: bearer tokens, or client certificates as kind's do."))
@option("--snapshot-interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True,
        metavar="SECONDS", help=N_("Wall seconds between snapshots: what a crash loses at most."))
def serve(host: str, port: int, kubeconfig: Path | None, state_dir: Path, speed: float, workers: int,
          seed: int, auth: str, snapshot_interval: float) -> None:
    import asyncio

    from chaoskit.sim.apiserver.serve import ServeOptions
    from chaoskit.sim.apiserver.serve import serve as run
    from chaoskit.sim.errors import SimError
    from chaoskit.sim.snapshot import StateFileError

    options = ServeOptions(host, port, kubeconfig, state_dir, speed, workers, seed, auth, snapshot_interval)
    try:
        asyncio.run(run(options, announce=lambda line: click.echo(line, nl=True),
                        warn=lambda line: click.echo(line, err=True)))
    except StateFileError as exc:  # a file chaoskit wrote cannot be read back: kept, as the message says
        raise StateError(str(exc)) from exc
    except SimError as exc:  # the simulator's other errors, converted at this boundary
        raise ConfigError(str(exc)) from exc
    except OSError as exc:  # the address is taken or not ours, the state folder cannot be written
        raise ConfigError(_("cannot serve on {host}:{port} with state in {state_dir}: {reason}").format(
            host=host, port=port, state_dir=state_dir, reason=exc.strerror or exc)) from exc
