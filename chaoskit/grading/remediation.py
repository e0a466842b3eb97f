"""Remediation: do the scenario's checks hold over their windows, and was the fix clean?
Guardrail violations and collateral damage (other workloads broken, objects deleted that should
not be) each cost a quarter of the part."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chaoskit.grading.result import Item, Part

VIOLATION_COST = 0.25


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    held: bool
    detail: str = ""


def score_remediation(outcomes: Sequence[CheckOutcome], violations: Sequence[tuple[str, str]],
                      collateral: Sequence[str], maximum: float) -> Part:
    share = maximum / len(outcomes) if outcomes else 0.0
    items = [Item(f"check {o.name}", share if o.held else 0.0, share,
                  o.detail or ("held" if o.held else "did not hold")) for o in outcomes]
    items += [Item(f"guardrail {name}", -VIOLATION_COST * maximum, 0.0, what) for name, what in violations]
    items += [Item("collateral damage", -VIOLATION_COST * maximum, 0.0, what) for what in collateral]
    return Part.of("remediation", maximum, items)


def holds(outcomes: Sequence[CheckOutcome]) -> bool:
    return bool(outcomes) and all(o.held for o in outcomes)
