"""The ``chaoskit`` command line. Every ChaoskitError becomes one line on stderr and exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from chaoskit import __version__
from chaoskit.errors import ChaoskitError

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
@click.option("--workers", default=2, show_default=True, help="Worker nodes in the simulated cluster.")
@friendly
def demo(seed: int, workers: int) -> None:
    """Run the bundled simulator: deploy the sample app, break it, show what kubectl would."""
    from chaoskit.demo import run_demo

    run_demo(seed=seed, workers=workers, out=click.echo)


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
@friendly
def sim_serve(host: str, port: int, kubeconfig: Path | None, state_dir: Path, speed: float, workers: int,
              seed: int) -> None:
    """Serve the Kubernetes API of a simulated cluster for kubectl and client libraries."""
    import asyncio

    from chaoskit.sim.apiserver.serve import ServeOptions, serve

    options = ServeOptions(host, port, kubeconfig, state_dir, speed, workers, seed)
    asyncio.run(serve(options, announce=lambda line: click.echo(line, nl=True)))


if __name__ == "__main__":
    main()
