"""``chaoskit cluster up/down/status/load``: kind clusters for game days."""

from __future__ import annotations

import click

from chaoskit.cli.localized import argument, group, option
from chaoskit.i18n import N_, _, ngettext, verbatim

NAME_OPTION = option("--name", default="chaoskit", show_default=True, help=N_("The kind cluster's name."))


@group("cluster", help=N_("kind clusters for game days on real Kubernetes (needs kind and Docker)."))
def cluster() -> None:
    """The group only gathers the subcommands below."""


@cluster.command("up", help=N_("Create a kind cluster: one control plane and N workers."))
@NAME_OPTION
@option("--workers", type=click.IntRange(0, 100), default=2, show_default=True,
        help=N_("Worker nodes besides the control plane."))
@option("--image", default=None, help=N_("Node image (kindest/node:vX.Y.Z); default: kind's own."))
def up(name: str, workers: int, image: str | None) -> None:
    from chaoskit.cluster.kind import Kind

    context = Kind().up(name, workers, image)
    click.echo(_("kind cluster {name} is up (context {context}); start a session with: "
                 "chaoskit start SCENARIO --backend kind --cluster-name {name}").format(name=name, context=context))


@cluster.command("down", help=N_("Delete the kind cluster."))
@NAME_OPTION
def down(name: str) -> None:
    from chaoskit.cluster.kind import Kind

    Kind().down(name)
    click.echo(_("kind cluster {name} deleted").format(name=name))


@cluster.command("status", help=N_("Whether the cluster exists, and its nodes as the API server reports them."))
@NAME_OPTION
def status(name: str) -> None:
    from chaoskit.cluster.access import resolve
    from chaoskit.cluster.kind import Kind
    from chaoskit.errors import ConfigError

    kind = Kind()
    if name not in kind.clusters():
        raise ConfigError(_("no kind cluster named {name}; create it with 'chaoskit cluster up --name {name}'")
                          .format(name=name))
    access = resolve("kind", kind_name=name)
    kube = access.client()
    click.echo(_("kind cluster {name}: context {context}, server {server}").format(
        name=name, context=access.context, server=access.server))
    for node in kube.items("Node"):
        ready = next((c["status"] for c in (node.get("status") or {}).get("conditions") or []
                      if c["type"] == "Ready"), "Unknown")
        click.echo(f"  {node['metadata']['name']}  " + verbatim(f"Ready={ready}"))


@cluster.command("load", help=N_("Copy local Docker images into the cluster's nodes (for offline game days)."))
@NAME_OPTION
@argument("images", nargs=-1, required=True)
def load(name: str, images: tuple[str, ...]) -> None:
    from chaoskit.cluster.kind import Kind

    Kind().load(name, images)
    click.echo(ngettext("loaded {n} image into {name}", "loaded {n} images into {name}", len(images))
               .format(n=len(images), name=name))
