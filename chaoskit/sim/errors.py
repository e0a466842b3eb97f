"""What the simulator raises for bad options or state given to it by its embedder (a speed that is
not positive, a snapshot it cannot read). Requests get ``chaoskit.kube.status`` answers instead;
the embedder (the CLI, a session venue) converts these at its boundary."""

from __future__ import annotations


class SimError(ValueError):
    """The simulator cannot do what its embedder asked (bad options, unreadable state)."""
