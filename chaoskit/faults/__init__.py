"""The fault library. Public surface::

    from chaoskit.faults import REGISTRY, Target, Journal, revert
    fault = REGISTRY["memory-limit"](Target("Deployment", name="web"), {"limit": "16Mi"})
    fault.plan(kube, "shop")                 # dry run: what would change
    fault.inject(kube, "shop", journal)      # undo records first, then API writes
    revert(kube, journal)                    # idempotent; never undoes a trainee's own change
"""

from chaoskit.faults import builtin as _builtin  # noqa: F401 - registers the fault types
from chaoskit.faults.base import REGISTRY, Fault, Outcome, resolve, revert, revert_state
from chaoskit.faults.journal import Journal
from chaoskit.scenario.model import Target

__all__ = ["REGISTRY", "Fault", "Journal", "Outcome", "Target", "resolve", "revert", "revert_state"]
