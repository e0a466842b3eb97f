"""The ``chaoskit`` command line. Every ChaoskitError becomes one line on stderr and exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
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
