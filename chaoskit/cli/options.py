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
        click.option("--backend", type=click.Choice(["sim", "kind", "kube"]), default="sim", show_default=True,
                     help="sim: the bundled simulator; kind: the kind-NAME context; kube: --context."),
        click.option("--context", default=None, help="kubeconfig context for --backend kube (default: current)."),
        click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."),
        click.option("--allow-context", default=None, metavar="NAME",
                     help="Let chaos run on context NAME although it is not kind or the simulator."),
        click.option("--allow-node-faults", is_flag=True,
                     help="Allow node-level faults on a cluster that is not the simulator."),
        click.option("--cluster-name", default="chaoskit", show_default=True,
                     help="The kind cluster for --backend kind."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


SESSION_OPTION = click.option("--session", "session_id", default=None, metavar="ID",
                              help="Session id (default: $CHAOSKIT_SESSION, else the latest session).")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
SCENARIOS_OPTION = click.option("--scenarios", "scenario_dirs", multiple=True,
                                type=click.Path(file_okay=False, path_type=Path),
                                help="Another scenario folder (repeatable; CHAOSKIT_SCENARIOS works too).")


class Speed(click.ParamType):
    """Simulator seconds per wall second: a finite number greater than 0 (not nan, not inf)."""

    name = "speed"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            speed = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(speed) or speed <= 0:
            self.fail(f"{value!r} must be a finite number greater than 0", param, ctx)
        return speed


SPEED = Speed()


def speed_option(default: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--speed", type=SPEED, default=default, show_default=True,
                        help="Simulator seconds per wall second.")
