"""Frozen result types: every point in a grade is an item with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    label: str
    points: float  # negative for penalties
    max: float  # 0 for penalties
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "points": round(self.points, 2), "max": round(self.max, 2),
                "detail": self.detail}


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
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "capped": self.capped, "pass_score": self.pass_score,
                "parts": {k: p.to_dict() for k, p in self.parts.items()}, "notes": list(self.notes)}
