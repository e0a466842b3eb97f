"""Diagnosis: did the trainee name the cause, the resource, and say why?

The cause carries most of the part. A related cause (per the taxonomy) earns half, so a trainee who
read the right symptoms but drew the neighbouring conclusion is told so. The free-text note earns
credit only for signs of the real cause and loses it for signs of other causes, so pasting every
synonym of the taxonomy into the note earns nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chaoskit.grading.resources import same_resource
from chaoskit.grading.result import Item, Part
from chaoskit.i18n import N_
from chaoskit.scenario.causes import Cause
from chaoskit.scenario.model import Diagnosis

CAUSE_SHARE, RESOURCE_SHARE, NOTE_SHARE = 0.6, 0.25, 0.15
RELATED_CREDIT = 0.5
NOTE_HITS_FOR_FULL = 2
UNSUPPORTED_COST = 0.5  # of the earned credit, for a diagnosis made before looking at anything relevant


@dataclass(frozen=True)
class Submission:
    causes: tuple[str, ...]
    resource: str
    note: str = ""
    at: float = 0.0  # simulator seconds since the session started


def cause_credit(named: Sequence[str], expected: Sequence[str], causes: Mapping[str, Cause]) -> float:
    """Best credit per expected cause, divided by the larger of the two lists: naming every cause
    of the taxonomy dilutes the credit instead of collecting it."""
    if not named or not expected:
        return 0.0

    def best(want: str) -> float:
        if want in named:
            return 1.0
        related = set(causes[want].related) if want in causes else set()
        related |= {n for n in named if n in causes and want in causes[n].related}
        return RELATED_CREDIT if related & set(named) else 0.0

    return sum(best(w) for w in expected) / max(len(expected), len(set(named)))


def _mentions(note: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term.lower())}(?!\w)", note.lower()) is not None


def note_credit(note: str, expected: Sequence[str], keywords: Sequence[str],
                causes: Mapping[str, Cause]) -> tuple[float, list[str]]:
    """Credit in [0, 1] and the matched terms. Precision below one half zeroes the note."""
    right = {k.lower() for k in keywords}
    for cid in expected:
        if cid in causes:
            right |= {s.lower() for s in causes[cid].synonyms}
    wrong = {s.lower() for c in causes.values() if c.id not in expected for s in c.synonyms} - right
    hits = sorted(t for t in right if _mentions(note, t))
    misses = [t for t in wrong if _mentions(note, t)]
    if not hits:
        return 0.0, []
    precision = len(hits) / (len(hits) + len(misses))
    return min(1.0, len(hits) / NOTE_HITS_FOR_FULL) * max(0.0, 2 * precision - 1), hits


def score_diagnosis(sub: Submission | None, spec: Diagnosis, causes: Mapping[str, Cause],
                    maximum: float, investigated: bool = True) -> Part:
    """``investigated`` is False when no runbook step was taken before the submission: a guess from
    the briefing keeps only half of what it earned."""
    if sub is None:
        return Part.of("diagnosis", maximum, [Item(N_("no diagnosis submitted"), 0.0, maximum)])
    expected = list(spec.causes)
    c = cause_credit(sub.causes, expected, causes)
    label = N_("right cause") if c >= 1 else N_("related cause") if c > 0 else N_("wrong cause")
    items = [Item(label, c * CAUSE_SHARE * maximum, CAUSE_SHARE * maximum,
                  N_("named {named}; expected {expected}"),
                  {"named": ", ".join(sub.causes), "expected": ", ".join(expected)})]
    r = 1.0 if sub.resource and same_resource(sub.resource, spec.resource) else 0.0
    items.append(Item(N_("affected resource"), r * RESOURCE_SHARE * maximum, RESOURCE_SHARE * maximum,
                      N_("named {named}; expected {expected}"),
                      {"named": sub.resource or "-", "expected": spec.resource}))
    n, hits = note_credit(sub.note, expected, spec.keywords, causes)
    items.append(Item(N_("explanation"), n * NOTE_SHARE * maximum, NOTE_SHARE * maximum,
                      N_("matched {terms}") if hits else N_("no sign of the cause in the note"),
                      {"terms": ", ".join(hits)}))
    earned = sum(i.points for i in items)
    if not investigated and earned > 0:
        items.append(Item(N_("not backed by investigation"), -UNSUPPORTED_COST * earned, 0.0,
                          N_("submitted before any runbook step was taken")))
    return Part.of("diagnosis", maximum, items)
