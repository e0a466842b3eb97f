"""``chaoskit demo``: the main job on the bundled simulator, played by a scripted trainee."""

from __future__ import annotations

import click

from chaoskit.cli.options import speed_option


@click.command()
@click.option("--seed", default=0, show_default=True, help="Seed for names and uids (same seed, same run).")
@speed_option(30.0)
def demo(seed: int, speed: float) -> None:
    """A whole session played by a scripted trainee: oom-killed, investigated, fixed, graded."""
    from chaoskit.demo import run_demo

    run_demo(speed=speed, seed=seed, out=click.echo)
