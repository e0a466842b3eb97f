"""Remediation: do the scenario's checks hold over their windows, and was the fix clean?
Guardrail violations and collateral damage (other workloads broken, objects deleted that should
not be) each cost a quarter of the part."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chaoskit.grading.result import Item, Part
from chaoskit.i18n import N_, Message

VIOLATION_COST = 0.25


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    held: bool
    detail: str | Message = ""


def score_remediation(outcomes: Sequence[CheckOutcome], violations: Sequence[tuple[str, str | Message]],
                      collateral: Sequence[str | Message], maximum: float) -> Part:
    share = maximum / len(outcomes) if outcomes else 0.0
    items = [Item(N_("check {name}"), share if o.held else 0.0, share, "{detail}",
                  {"name": o.name, "detail": _outcome(o)}) for o in outcomes]
    items += [Item(N_("guardrail {name}"), -VIOLATION_COST * maximum, 0.0, "{detail}",
                   {"name": name, "detail": _message(what)}) for name, what in violations]
    items += [Item(N_("collateral damage"), -VIOLATION_COST * maximum, 0.0, "{detail}", {"detail": _message(what)})
              for what in collateral]
    return Part.of("remediation", maximum, items)


def _outcome(outcome: CheckOutcome) -> Message:
    if outcome.detail:
        return _message(outcome.detail)
    return Message(N_("held") if outcome.held else N_("did not hold"))


def _message(what: str | Message) -> Message:
    """A text from the session layer: already a Message, or English words the report looks up
    in the catalogue as they are (msgids marked where they are written)."""
    return what if isinstance(what, Message) else Message(what)


def holds(outcomes: Sequence[CheckOutcome]) -> bool:
    return bool(outcomes) and all(o.held for o in outcomes)
