"""Frozen result types: every point in a grade is an item with a reason.

Labels and details are English msgids with named placeholders, filled from ``args``: the grade
document keeps the English text (scripts compare it) and, under ``text``, the msgids and values a
report needs to show the same words in the reader's language (see :class:`chaoskit.i18n.Message`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chaoskit.i18n import Message, fill, plain_args


@dataclass(frozen=True)
class Item:
    label: str  # msgid, N_-marked where the item is made
    points: float  # negative for penalties
    max: float  # 0 for penalties
    detail: str = ""  # msgid
    args: Mapping[str, Any] = field(default_factory=dict)  # values for both (a value may be a Message)

    @property
    def label_text(self) -> str:
        return fill(self.label, self.args)

    @property
    def detail_text(self) -> str:
        return fill(self.detail, self.args) if self.detail else ""

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label_text, "points": round(self.points, 2), "max": round(self.max, 2),
                "detail": self.detail_text,
                "text": {"label": self.label, "detail": self.detail, "args": plain_args(self.args)}}


@dataclass(frozen=True)
class Part:
    name: str
    score: float
    max: float
    items: tuple[Item, ...]

    @classmethod
    def of(cls, name: str, maximum: float, items: list[Item]) -> Part:
        """Sum the items and keep the part inside [0, max]: penalties never push a part below zero."""
        total = sum(i.points for i in items)
        return cls(name, min(maximum, max(0.0, total)), maximum, tuple(items))

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 2), "max": round(self.max, 2),
                "items": [i.to_dict() for i in self.items]}


@dataclass(frozen=True)
class Grade:
    score: int
    parts: dict[str, Part]
    passed: bool
    capped: bool
    pass_score: int
    notes: tuple[Message, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "capped": self.capped, "pass_score": self.pass_score,
                "parts": {k: p.to_dict() for k, p in self.parts.items()},
                "notes": [n.english() for n in self.notes],
                "notes_text": [n.to_dict() for n in self.notes]}
