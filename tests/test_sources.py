"""Every citation of the seed documents resolves, with or without the documents.

The seed documents (study notes the project was written from) live in ``../shared/seeds`` beside
the repository, which CI has and a clone does not. The index (``chaoskit/runbook/sources.json``, and
``tests/data/seed_lines.json`` for the lines tests/seed_commands.yaml cites) stands in for them:
the citation tests check against the index only, so they hold anywhere; the comparison test checks
the index and the cited lines against the documents when they are present and against the index
when they are not, and fails in either case when a citation is wrong. ``CHAOSKIT_SEEDS`` points at
the documents from a checkout that has no ``../shared`` (a git worktree, for instance).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from chaoskit.catalog import catalogue, runbooks
from chaoskit.runbook.sources import describe, source_index
from chaoskit.scenario.causes import taxonomy

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("CHAOSKIT_SEEDS") or ROOT.parent / "shared" / "seeds")
STEPS: list[dict[str, Any]] = yaml.safe_load((ROOT / "tests" / "seed_commands.yaml").read_text(encoding="utf-8"))
SEED_LINES: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "seed_lines.json").read_text(encoding="utf-8"))
REPOSITORY = (ROOT / "scenarios",)   # the repository's own scenarios/ (and so its runbooks/)


def seed_refs() -> list[tuple[str, str, int]]:
    """(the step's command as written, document, line) for every seed_commands step citing a line."""
    refs = []
    for step in STEPS:
        if "seed" in step:
            name, line = str(step["seed"]).rsplit(":", 1)
            refs.append((str(step["text"]), name, int(line)))
    return refs


def command_head(text: str) -> str:
    """``kubectl VERB OBJECT``: what a cited line must hold. The step's ``text`` may add a note in
    parentheses, and the notes write placeholders and flags their own way, so three words are
    compared, whitespace-insensitively."""
    return " ".join(text.split("(")[0].split()[:3])


def test_every_source_names_an_indexed_document() -> None:
    index = source_index()
    scenarios = catalogue(REPOSITORY)
    books = runbooks(REPOSITORY)
    assert "billing-config-typo" in scenarios and "config-reference-typo" in books  # the repository's own too
    cited: set[str] = set()
    for scenario in scenarios.values():
        assert scenario.sources and set(scenario.sources) <= set(index), (scenario.id, scenario.sources)
        cited |= set(scenario.sources)
    for book in books.values():
        assert book.sources and set(book.sources) <= set(index), (book.id, book.sources)
        assert all(source in book.body for source in book.sources), f"{book.id} cites its sources in its prose"
        assert all(c in taxonomy() for c in book.causes), book.id
        cited |= set(book.sources)
    cited |= {name for _, name, _ in seed_refs()}
    assert cited == set(index), "the index holds exactly the cited documents (make sources)"
    for doc in index.values():
        assert len(doc.sha256) == 64 and int(doc.sha256, 16) >= 0 and doc.lines > 0 and doc.title
        assert describe(doc.name) == f"{doc.name} ({doc.title})"
    assert describe("999_0123456789abcdef.txt") == "999_0123456789abcdef.txt"  # a team's own document


def test_every_seed_step_cites_a_line_of_an_indexed_document() -> None:
    index = source_index()
    refs = seed_refs()
    assert len(refs) >= 100
    for text, name, line in refs:
        assert name in index, f"{name}:{line} ({text}) is not an indexed document"
        assert 1 <= line <= index[name].lines, f"{name}:{line} is past its {index[name].lines} lines"
        recorded = SEED_LINES["documents"].get(name, {})
        assert recorded.get("sha256") == index[name].sha256, f"{name}: seed_lines.json and sources.json disagree"
        assert str(line) in recorded["cited"], f"{name}:{line} has no recorded text (make sources)"


def test_citations_match_the_documents() -> None:
    """Against the documents when they are here (sha256, line count, the text of each cited line),
    else against the recorded lines; in both cases each cited line holds the step's command."""
    index = source_index()
    present = SEEDS.is_dir()
    texts: dict[str, list[str]] = {}
    if present:
        for name, doc in index.items():
            data = (SEEDS / name).read_bytes()
            texts[name] = data.decode("utf-8").splitlines()
            assert hashlib.sha256(data).hexdigest() == doc.sha256, f"{name} changed since the index (make sources)"
            assert len(texts[name]) == doc.lines, name
    for text, name, line in seed_refs():
        recorded = SEED_LINES["documents"][name]["cited"][str(line)]
        if present:
            assert recorded == texts[name][line - 1].strip(), f"{name}:{line}: seed_lines.json is stale"
        seen = " ".join((texts[name][line - 1] if present else recorded).split())
        assert "kubectl" in seen and command_head(text) in seen, \
            f"{name}:{line} ({'document' if present else 'index'}) does not hold {command_head(text)!r}: {seen!r}"


def test_the_index_regenerates(tmp_path: Path) -> None:
    """``make sources`` reproduces the committed index from the documents; without them it names
    the first cited document it cannot find and writes nothing."""
    tool = [sys.executable, str(ROOT / "tools" / "seed_index.py")]
    if SEEDS.is_dir():
        proc = subprocess.run([*tool, "--check", "--seeds", str(SEEDS)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "seed_index: up to date\n"
    else:
        empty = tmp_path / "seeds"
        empty.mkdir()
        proc = subprocess.run([*tool, "--seeds", str(empty), "--out", str(tmp_path)], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 1 and "is cited but" in proc.stderr and sorted(source_index())[0] in proc.stderr
        assert not (tmp_path / "chaoskit").exists()
