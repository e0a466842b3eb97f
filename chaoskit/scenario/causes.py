"""The cause taxonomy (data in causes.yaml next to this module)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Cause:
    id: str
    title: str
    explanation: str
    related: tuple[str, ...]
    synonyms: tuple[str, ...]


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, Cause]:
    data = yaml.safe_load((resources.files("chaoskit.scenario") / "causes.yaml").read_text(encoding="utf-8"))
    return {c["id"]: Cause(c["id"], c["title"], c["explanation"], tuple(c.get("related") or ()),
                           tuple(c.get("synonyms") or ())) for c in data}
