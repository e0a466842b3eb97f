"""``chaoskit sim serve``: the bundled simulator as a Kubernetes API server."""

from __future__ import annotations

from pathlib import Path

import click

from chaoskit.cli.options import speed_option
from chaoskit.errors import ConfigError, StateError


@click.group()
def sim() -> None:
    """The bundled cluster simulator."""


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on (0: the port STATE_DIR served on before, else any free port).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the trainee's kubeconfig [default: STATE_DIR/kubeconfig].")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".chaoskit-sim"),
              show_default=True,
              help="CA, credentials, kubeconfigs, audit log and snapshot (0700); a restart on it is the same "
                   "server with the same cluster.")
@speed_option(1.0)
@click.option("--workers", type=click.IntRange(0, 1000), default=2, show_default=True,
              help="Worker nodes (a new cluster only).")
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids (a new cluster only).")
@click.option("--auth", type=click.Choice(["token", "client-cert"]), default="token", show_default=True,
              help="What the kubeconfigs carry: bearer tokens, or client certificates as kind's do.")
@click.option("--snapshot-interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True,
              metavar="SECONDS", help="Wall seconds between snapshots: what a crash loses at most.")
def serve(host: str, port: int, kubeconfig: Path | None, state_dir: Path, speed: float, workers: int,
          seed: int, auth: str, snapshot_interval: float) -> None:
    """Serve the Kubernetes API of a simulated cluster for kubectl and client libraries.

    The cluster is snapshotted into STATE_DIR every few seconds and on SIGINT/SIGTERM/SIGHUP; a
    restart on the same STATE_DIR brings it back with the same CA, credentials and port."""
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
