"""``chaoskit cluster up/down/status/load``: kind clusters for game days."""

from __future__ import annotations

import click

NAME_OPTION = click.option("--name", default="chaoskit", show_default=True, help="The kind cluster's name.")


@click.group("cluster")
def cluster() -> None:
    """kind clusters for game days on real Kubernetes (needs kind and Docker)."""

@cluster.command("up")
@NAME_OPTION
@click.option("--workers", default=2, show_default=True, help="Worker nodes besides the control plane.")
@click.option("--image", default=None, help="Node image (kindest/node:vX.Y.Z); default: kind's own.")
def up(name: str, workers: int, image: str | None) -> None:
    """Create a kind cluster: one control plane and N workers."""
    from chaoskit.cluster.kind import Kind

    context = Kind().up(name, workers, image)
    click.echo(f"kind cluster {name} is up (context {context}); "
               f"start a session with: chaoskit start SCENARIO --backend kind --cluster-name {name}")

@cluster.command("down")
@NAME_OPTION
def down(name: str) -> None:
    """Delete the kind cluster."""
    from chaoskit.cluster.kind import Kind

    Kind().down(name)
    click.echo(f"kind cluster {name} deleted")

@cluster.command("status")
@NAME_OPTION
def status(name: str) -> None:
    """Whether the cluster exists, and its nodes as the API server reports them."""
    from chaoskit.cluster.access import resolve
    from chaoskit.cluster.kind import Kind

    kind = Kind()
    if name not in kind.clusters():
        click.echo(f"no kind cluster named {name}; create it with 'chaoskit cluster up --name {name}'")
        raise SystemExit(1)
    access = resolve("kind", kind_name=name)
    kube = access.client()
    click.echo(f"kind cluster {name}: context {access.context}, server {access.server}")
    for node in kube.items("Node"):
        ready = next((c["status"] for c in (node.get("status") or {}).get("conditions") or []
                      if c["type"] == "Ready"), "Unknown")
        click.echo(f"  {node['metadata']['name']}  Ready={ready}")

@cluster.command("load")
@NAME_OPTION
@click.argument("images", nargs=-1, required=True)
def load(name: str, images: tuple[str, ...]) -> None:
    """Copy local Docker images into the cluster's nodes (for offline game days)."""
    from chaoskit.cluster.kind import Kind

    Kind().load(name, images)
    click.echo(f"loaded {len(images)} image(s) into {name}")
