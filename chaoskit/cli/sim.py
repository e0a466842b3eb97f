"""``chaoskit sim serve``: the bundled simulator as a Kubernetes API server."""

from __future__ import annotations

from pathlib import Path

import click

from chaoskit.cli.options import speed_option
from chaoskit.errors import ConfigError


@click.group()
def sim() -> None:
    """The bundled cluster simulator."""


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the trainee's kubeconfig [default: STATE_DIR/kubeconfig].")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".chaoskit-sim"),
              show_default=True, help="Certificates, system kubeconfig, audit log and snapshot.")
@speed_option(1.0)
@click.option("--workers", type=click.IntRange(0, 1000), default=2, show_default=True,
              help="Worker nodes (a new cluster only).")
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids (a new cluster only).")
@click.option("--auth", type=click.Choice(["token", "client-cert"]), default="token", show_default=True,
              help="What the kubeconfigs carry: bearer tokens, or client certificates as kind's do.")
def serve(host: str, port: int, kubeconfig: Path | None, state_dir: Path, speed: float, workers: int,
          seed: int, auth: str) -> None:
    """Serve the Kubernetes API of a simulated cluster for kubectl and client libraries."""
    import asyncio

    from chaoskit.sim.apiserver.serve import ServeOptions
    from chaoskit.sim.apiserver.serve import serve as run
    from chaoskit.sim.errors import SimError

    options = ServeOptions(host, port, kubeconfig, state_dir, speed, workers, seed, auth)
    try:
        asyncio.run(run(options, announce=lambda line: click.echo(line, nl=True)))
    except SimError as exc:  # the simulator's own errors, converted at this boundary
        raise ConfigError(str(exc)) from exc
