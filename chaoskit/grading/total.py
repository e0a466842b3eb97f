"""The total: weighted parts, bounded 0-100, capped at 50 when the fix does not hold.

Weights come from the scenario (default diagnosis 35, remediation 45, process 20) and are scaled
to sum to 100, so a scenario may write them as any proportions."""

from __future__ import annotations

from collections.abc import Mapping

from chaoskit.errors import ConfigError
from chaoskit.grading.result import Grade, Part
from chaoskit.i18n import N_, Message, _

PARTS = (N_("diagnosis"), N_("remediation"), N_("process"))  # keys of the grade; the report shows them translated
UNFIXED_CAP = 50


def normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(PARTS))
    if unknown:
        raise ConfigError(_("unknown grading weight(s) {weights}; parts are {parts}").format(
            weights=", ".join(unknown), parts=", ".join(PARTS)))
    values = {p: float(weights.get(p, 0.0)) for p in PARTS}
    if any(v < 0 for v in values.values()) or sum(values.values()) <= 0:
        raise ConfigError(_("grading weights must be non-negative and not all zero"))
    total = sum(values.values())
    return {p: v * 100 / total for p, v in values.items()}


def grade(parts: Mapping[str, Part], fixed: bool, pass_score: int = 70,
          cap: tuple[int, Message] | None = None) -> Grade:
    """``parts`` must have been scored with maxima from :func:`normalise_weights`; ``cap`` is a
    guardrail's limit on the grade and why (:func:`chaoskit.grading.guardrails.cap`)."""
    raw = sum(p.score for p in parts.values())
    score = max(0, min(100, round(raw)))
    notes = []
    capped = not fixed and score > UNFIXED_CAP
    if capped:
        notes.append(Message(N_("the service was not healthy at the end, so the score is capped at {cap}"),
                             {"cap": UNFIXED_CAP}))
        score = UNFIXED_CAP
    if cap is not None and score > cap[0]:
        notes.append(Message(N_("{why}, so the score is capped at {cap}"), {"why": cap[1], "cap": cap[0]}))
        score, capped = cap[0], True
    if cap is not None and cap[0] < pass_score:
        notes.append(Message(N_("a fix that takes the service down does not pass"), {}))
    passed = fixed and score >= pass_score and (cap is None or cap[0] >= pass_score)
    return Grade(score, dict(parts), passed, capped, pass_score, tuple(notes))
