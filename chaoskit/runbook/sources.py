"""The index of the seed documents scenarios and runbooks cite (``sources.json`` beside this module).

The documents themselves are study notes kept outside the repository, so neither a clone nor an
installed wheel has them; the index records what each citation points at (sha256, line count, a
title read from its first lines) so that a learner sees more than a hashed file name and the tests
can check every citation anywhere. ``tools/seed_index.py`` (``make sources``) regenerates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class SourceDocument:
    name: str
    title: str
    lines: int
    sha256: str

    def describe(self) -> str:
        """How a learner sees a citation: the file name they can ask for, and what it is."""
        return f"{self.name} ({self.title})" if self.title else self.name


@lru_cache(maxsize=1)
def source_index() -> dict[str, SourceDocument]:
    data = json.loads((resources.files("chaoskit.runbook") / "sources.json").read_text(encoding="utf-8"))
    return {name: SourceDocument(name, str(doc.get("title", "")), int(doc["lines"]), str(doc["sha256"]))
            for name, doc in data["documents"].items()}


def describe(name: str) -> str:
    """A cited document by name and title; a document the index lacks (a team's own) by name only."""
    doc = source_index().get(name)
    return doc.describe() if doc else name
