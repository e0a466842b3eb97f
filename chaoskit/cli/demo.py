"""``chaoskit demo``: the main job on the bundled simulator, played by a scripted trainee."""

from __future__ import annotations

import click

from chaoskit.cli.localized import command, option
from chaoskit.cli.options import speed_option
from chaoskit.i18n import N_


@command(help=N_("A whole session played by a scripted trainee: oom-killed, investigated, fixed, graded."))
@option("--seed", default=0, show_default=True, help=N_("Seed for names and uids (same seed, same run)."))
@speed_option(30.0)
def demo(seed: int, speed: float) -> None:
    from chaoskit.demo import run_demo

    run_demo(speed=speed, seed=seed, out=click.echo)
