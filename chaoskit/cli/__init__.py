"""The ``chaoskit`` command line.

Commands are module-level click commands in this package, loaded lazily by name (see
:mod:`chaoskit.cli.group`, which is also the one place where errors become messages and where
the language is chosen). Every text they print goes through the message catalogues
(:mod:`chaoskit.i18n`); help texts are msgids translated when shown (:mod:`chaoskit.cli.localized`).
"""

from __future__ import annotations

import click

from chaoskit import __version__
from chaoskit.cli.group import ChaoskitGroup, choose_language
from chaoskit.cli.localized import Option, option
from chaoskit.i18n import N_

COMMANDS = {
    "demo": "chaoskit.cli.demo:demo",
    "list": "chaoskit.cli.scenarios:list_scenarios",
    "show": "chaoskit.cli.scenarios:show",
    "validate": "chaoskit.cli.scenarios:validate",
    "new": "chaoskit.cli.scenarios:new",
    "schema": "chaoskit.cli.scenarios:schema",
    "causes": "chaoskit.cli.scenarios:causes",
    "runbook": "chaoskit.cli.scenarios:runbook",
    "selftest": "chaoskit.cli.selftest:selftest",
    "start": "chaoskit.cli.session:start",
    "play": "chaoskit.cli.session:play",
    "status": "chaoskit.cli.session:status",
    "hint": "chaoskit.cli.session:hint",
    "diagnose": "chaoskit.cli.session:diagnose",
    "check": "chaoskit.cli.session:check",
    "finish": "chaoskit.cli.session:finish",
    "report": "chaoskit.cli.session:report",
    "stop": "chaoskit.cli.session:stop",
    "reset": "chaoskit.cli.session:reset",
    "sessions": "chaoskit.cli.session:sessions",
    "cluster": "chaoskit.cli.cluster:cluster",
    "sim": "chaoskit.cli.sim:sim",
}


@click.group(cls=ChaoskitGroup, lazy_subcommands=COMMANDS,
             help=N_("chaoskit: Kubernetes chaos and SRE troubleshooting trainer."))
@option("--lang", envvar="CHAOSKIT_LANG", metavar="LANG", is_eager=True, expose_value=False,
        callback=choose_language,
        help=N_("Language of chaoskit's own messages (default: $CHAOSKIT_LANG, else the locale, else en). "
                "Kubernetes' words stay as Kubernetes prints them."))
@click.version_option(__version__, prog_name="chaoskit", cls=Option, help=N_("Show the version and exit."))
def main() -> None:
    """The group itself does nothing: its options are read by :mod:`chaoskit.cli.group`."""
