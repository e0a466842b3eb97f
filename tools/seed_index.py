"""Regenerate the index of the seed documents chaoskit cites (``make sources``).

The project was written from study notes kept outside the repository (``../shared/seeds``); a clone
has no such folder, so what the citations point at is recorded here instead:

- ``chaoskit/runbook/sources.json``: per cited document its sha256, line count and a short title.
  It ships in the package (``chaoskit runbook`` names the documents by title) and lets the tests
  check every ``sources:`` of every scenario and runbook without the documents.
- ``tests/data/seed_lines.json``: the text of every line ``tests/seed_commands.yaml`` cites, so a
  clone can still check that each cited line holds the kubectl command the step runs.

A document is cited by a built-in or repository scenario (``sources:``), a runbook (``sources:``) or a
seed_commands step (``seed: FILE:LINE``). Usage::

    python tools/seed_index.py [--seeds DIR] [--out ROOT] [--check]

``--seeds`` defaults to ``$CHAOSKIT_SEEDS``, else ``../shared/seeds`` beside the repository;
``--check`` writes nothing and exits 1 when the committed files differ from what would be written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = Path("chaoskit/runbook/sources.json")
SEED_LINES = Path("tests/data/seed_lines.json")
TITLE_MIN = 24      # join the first short lines until the title says something
TITLE_MAX = 72


def default_seeds() -> Path:
    return Path(os.environ.get("CHAOSKIT_SEEDS") or ROOT.parent / "shared" / "seeds")


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    head = text[4:].split("\n---\n", 1)[0] if text.startswith("---\n") else ""
    return yaml.safe_load(head) or {}


def cited_documents(root: Path) -> set[str]:
    """Every document named by a scenario's or a runbook's ``sources:`` (built-in and repository)."""
    names: set[str] = set()
    for folder in (root / "chaoskit/scenario/builtin", root / "scenarios"):
        for path in sorted(folder.glob("*.yaml")):
            names |= set((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources") or ())
    for folder in (root / "chaoskit/runbook/builtin", root / "runbooks"):
        for path in sorted(folder.glob("*.md")):
            if path.name.lower() != "readme.md":
                names |= set(_front_matter(path).get("sources") or ())
    return names


def cited_lines(root: Path) -> dict[str, set[int]]:
    """Document -> the line numbers tests/seed_commands.yaml cites in it."""
    steps = yaml.safe_load((root / "tests/seed_commands.yaml").read_text(encoding="utf-8")) or []
    lines: dict[str, set[int]] = {}
    for step in steps:
        if "seed" in step:
            name, line = str(step["seed"]).rsplit(":", 1)
            lines.setdefault(name, set()).add(int(line))
    return lines


def title(text: str) -> str:
    """A short title read from the first lines: Markdown '#' and rules dropped, short lines joined
    (a first line like '☁️ 클라우드' says little alone), cut at the first sentence or TITLE_MAX."""
    parts: list[str] = []
    for raw in text.splitlines()[:20]:
        line = raw.strip().lstrip("#").strip()
        if not line or set(line) <= set("-=*_"):
            continue
        parts.append(line)
        if len(" · ".join(parts)) >= TITLE_MIN:
            break
    joined = " · ".join(parts).rstrip(",;:")
    if len(joined) <= TITLE_MAX:
        return joined
    sentence = joined.find(". ")
    if 0 < sentence < TITLE_MAX:
        return joined[:sentence + 1]
    return joined[:TITLE_MAX].rsplit(" ", 1)[0] + "…"


def build(root: Path, seeds: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(sources.json, seed_lines.json) as they should be; a cited document missing from ``seeds``
    or a cited line past its end is a SystemExit naming it."""
    lines_cited = cited_lines(root)
    names = sorted(cited_documents(root) | set(lines_cited))
    documents: dict[str, Any] = {}
    seed_lines: dict[str, Any] = {}
    for name in names:
        path = seeds / name
        if not path.is_file():
            raise SystemExit(f"seed_index: {name} is cited but {path} does not exist")
        data = path.read_bytes()
        text = data.decode("utf-8")
        lines = text.splitlines()
        digest = hashlib.sha256(data).hexdigest()
        documents[name] = {"title": title(text), "lines": len(lines), "sha256": digest}
        if name in lines_cited:
            past = [n for n in sorted(lines_cited[name]) if not 1 <= n <= len(lines)]
            if past:
                raise SystemExit(f"seed_index: {name} has {len(lines)} lines; tests/seed_commands.yaml cites {past}")
            seed_lines[name] = {"sha256": digest,
                                "cited": {str(n): lines[n - 1].strip() for n in sorted(lines_cited[name])}}
    sources = {"about": "The seed documents chaoskit's scenarios and runbooks cite: sha256, line count and a "
                        "title read from the first lines. Regenerate with `make sources`.",
               "documents": documents}
    cited = {"about": "The text of every seed-document line tests/seed_commands.yaml cites, for clones "
                      "without the documents. Regenerate with `make sources`.",
             "documents": seed_lines}
    return sources, cited


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=None, help="the seed documents (default: ../shared/seeds)")
    parser.add_argument("--out", type=Path, default=ROOT, help="the repository to write into (default: this one)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the index is stale")
    args = parser.parse_args(argv)
    seeds = args.seeds or default_seeds()
    if not seeds.is_dir():
        print(f"seed_index: no seed documents at {seeds} (use --seeds DIR or CHAOSKIT_SEEDS)", file=sys.stderr)
        return 1
    stale = []
    for rel, doc in zip((SOURCES, SEED_LINES), build(ROOT, seeds), strict=True):
        target = args.out / rel
        text = dump(doc)
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            continue
        stale.append(str(rel))
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"seed_index: stale: {', '.join(stale)} (run make sources)", file=sys.stderr)
        return 1
    print(f"seed_index: {'wrote ' + ', '.join(stale) if stale else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
