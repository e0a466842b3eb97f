"""Options shared by several commands: where an exercise runs (start, play, selftest), which
session a command acts on, extra scenario folders, ``--json`` and a speed that must make sense."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chaoskit.cli.localized import PathType, option
from chaoskit.i18n import N_, _

if TYPE_CHECKING:
    from chaoskit.cluster.access import Access


@dataclass(frozen=True)
class Where:
    backend: str = "sim"
    context: str | None = None
    kubeconfig: Path | None = None
    allow_context: str | None = None
    allow_node_faults: bool = False
    cluster_name: str = "chaoskit"

    def access(self) -> Access | None:
        """None for the bundled simulator; otherwise the guarded cluster (reads only, may refuse)."""
        if self.backend == "sim":
            return None
        from chaoskit.cluster.access import resolve

        return resolve(self.backend, self.context, self.kubeconfig, self.allow_context, self.cluster_name,
                       self.allow_node_faults)


def backend_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the options and hands the command one ``where`` argument instead of six."""

    @functools.wraps(command)
    def wrapper(*args: Any, backend: str, context: str | None, kubeconfig: Path | None, allow_context: str | None,
                allow_node_faults: bool, cluster_name: str, **kwargs: Any) -> Any:
        where = Where(backend, context, kubeconfig, allow_context, allow_node_faults, cluster_name)
        return command(*args, where=where, **kwargs)

    options = [
        option("--backend", type=click.Choice(["sim", "kind", "kube"]), default="sim", show_default=True,
               help=N_("sim: the bundled simulator; kind: the kind-NAME context; kube: --context.")),
        option("--context", default=None, help=N_("kubeconfig context for --backend kube (default: current).")),
        option("--kubeconfig", type=PathType(dir_okay=False, path_type=Path), default=None,
               help=N_("kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")),
        option("--allow-context", default=None, metavar="NAME",
               help=N_("Let chaos run on context NAME although it is not kind or the simulator.")),
        option("--allow-node-faults", is_flag=True,
               help=N_("Allow node-level faults on a cluster that is not the simulator.")),
        option("--cluster-name", default="chaoskit", show_default=True,
               help=N_("The kind cluster for --backend kind.")),
    ]
    for decorate in reversed(options):
        wrapper = decorate(wrapper)
    return wrapper


SESSION_OPTION = option("--session", "session_id", default=None, metavar="ID",
                        help=N_("Session id (default: $CHAOSKIT_SESSION, else the latest session)."))
JSON_OPTION = option("--json", "as_json", is_flag=True, help=N_("One JSON document on stdout."))
SCENARIOS_OPTION = option("--scenarios", "scenario_dirs", multiple=True,
                          type=PathType(file_okay=False, path_type=Path),
                          help=N_("Another scenario folder (repeatable; CHAOSKIT_SCENARIOS works too)."))


class Speed(click.ParamType):
    """Simulator seconds per wall second: a finite number greater than 0 (not nan, not inf)."""

    name = "speed"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            speed = float(value)
        except (TypeError, ValueError):
            self.fail(_("{value!r} is not a number").format(value=value), param, ctx)
        if not math.isfinite(speed) or speed <= 0:
            self.fail(_("{value!r} must be a finite number greater than 0").format(value=value), param, ctx)
        return speed


SPEED = Speed()


def speed_option(default: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option("--speed", type=SPEED, default=default, show_default=True,
                  help=N_("Simulator seconds per wall second."))
