"""``chaoskit selftest``: prove scenarios honest on the simulator or a guarded cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chaoskit.cli.localized import argument, command, option
from chaoskit.cli.options import JSON_OPTION, SCENARIOS_OPTION, Where, backend_options, speed_option
from chaoskit.cli.output import emit_json
from chaoskit.errors import ConfigError
from chaoskit.i18n import N_, _


@command("selftest", help=N_(
    "Prove scenarios honest: fault shows, reference fix holds, wrong fix fails, revert restores.\n\n"
    "On the simulator each path gets a fresh cluster; on --backend kind/kube a fresh namespace, "
    "deleted afterwards."))
@argument("scenario_ids", nargs=-1)
@SCENARIOS_OPTION
@JSON_OPTION
@speed_option(100.0)
@option("--variants", type=click.IntRange(1, 100), default=1, show_default=True,
        help=N_("Test this many variants of each scenario (seeds 0 to N-1; seed 0 is the defaults)."))
@backend_options
def selftest(scenario_ids: tuple[str, ...], scenario_dirs: tuple[Path, ...], as_json: bool, speed: float,
             variants: int, where: Where) -> None:
    from chaoskit.catalog import catalogue
    from chaoskit.selftest import selftest as run

    scenarios = catalogue(scenario_dirs)
    unknown = [i for i in scenario_ids if i not in scenarios]
    if unknown:
        raise ConfigError(_("no scenario {ids}; see chaoskit list").format(ids=", ".join(unknown)))
    results = []
    access = where.access()
    for sid in scenario_ids or tuple(sorted(scenarios)):
        for seed in range(variants):
            result = run(scenarios[sid].variant(seed), speed=speed, access=access)
            results.append(result)
            if not as_json:
                mark = _("PASS") if result.passed else _("FAIL")
                click.echo(_("{mark} {id} variant {seed} ({seconds:.1f}s)").format(
                    mark=mark, id=sid, seed=seed, seconds=result.seconds))
                for step in result.steps:
                    if not step.ok or not result.passed:
                        ok = _("ok") if step.ok else _("BAD")
                        click.echo(f"  {ok} {step.name}: {step.detail}")
    if as_json:
        emit_json([r.as_dict() for r in results])
    if not all(r.passed for r in results):
        sys.exit(1)
