"""The shipped catalogue is valid and every reference resolves; broken files report every problem
with its YAML path and line; the catalogue commands print what they promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoskit.catalog import catalogue, validate_paths
from chaoskit.cli import main
from chaoskit.runbook import load_runbooks
from chaoskit.scenario.causes import taxonomy
from chaoskit.scenario.loader import builtin_dir
from chaoskit.scenario.render import render

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SCENARIOS = builtin_dir()
CORE = {"oom-killed", "bad-image", "liveness-probe", "readiness-probe", "node-taint", "deleted-pods",
        "broken-selector"}


def test_catalogue_is_valid_and_references_resolve() -> None:
    scenarios = catalogue()
    assert set(scenarios) >= CORE
    books = load_runbooks()
    assert len(books) >= 8
    causes = taxonomy()
    for s in scenarios.values():
        assert s.runbook in books
        assert all(c in causes for c in s.diagnosis.causes)
        assert all(related in causes for c in s.diagnosis.causes for related in causes[c].related)
        objects = render(s, "any-namespace")
        assert objects and all(o["metadata"].get("namespace") == "any-namespace" for o in objects)


def test_runbooks_cite_real_seed_documents() -> None:
    seeds = {p.name for p in SEEDS.glob("*.txt")}
    assert seeds, "the seed documents live in ../shared/seeds"
    for book in load_runbooks().values():
        assert book.sources and set(book.sources) <= seeds, book.id
        assert all(c in taxonomy() for c in book.causes), book.id
        assert all(step.reads for step in book.steps), book.id
        for source in book.sources:
            assert source in book.body, f"{book.id} cites {source} in its prose"
    for scenario in catalogue().values():
        assert set(scenario.sources) <= seeds, scenario.id


BROKEN = {
    "bad-yaml.yaml": ("id: x\ntitle: [unclosed\n", ["bad-yaml.yaml:3: (top): not valid YAML"]),
    "schema.yaml": ("id: Not_An_Id\ntitle: ok title\n", ["schema.yaml:1: id:", "'briefing' is a required property"]),
}


def _broken_scenario(tmp: Path) -> Path:
    text = (SCENARIOS / "oom-killed.yaml").read_text()
    text = text.replace("type: memory-limit", "type: memory-limt")
    text = text.replace("runbook: crashloop-oomkilled", "runbook: no-such-runbook")
    text = text.replace("causes: [memory-limit-too-low]", "causes: [nonsense-cause]")
    text = text.replace("template: web.yaml.j2", "template: missing.yaml.j2")
    path = tmp / "broken.yaml"
    path.write_text(text)
    return path


def test_broken_files_list_every_problem_with_path_and_line(tmp_path: Path) -> None:
    for name, (text, _) in BROKEN.items():
        (tmp_path / name).write_text(text)
    broken = _broken_scenario(tmp_path)
    _, problems = validate_paths([tmp_path])
    shown = [str(p) for p in problems]
    for _text, expected in BROKEN.values():
        for fragment in expected:
            assert any(fragment in s for s in shown), (fragment, shown)
    lines = broken.read_text().splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    assert f"{broken}:{line_of('type: memory-limt')}: faults[0].type: unknown fault type 'memory-limt'" in \
        "\n".join(shown)
    assert f"{broken}:{line_of('runbook: no-such')}: runbook: no runbook with id 'no-such-runbook'" in shown
    assert f"{broken}:{line_of('causes: [nonsense')}: diagnosis.causes[0]: unknown cause 'nonsense-cause'" in shown
    assert any(s.startswith(f"{broken}:{line_of('missing.yaml.j2')}: manifests[0].template:") for s in shown)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1 and "problem(s) found" in result.stderr and result.stdout == ""


def test_catalogue_commands() -> None:
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["list", "--json"]).stdout)
    assert {row["id"] for row in listed} >= CORE and all({"id", "title", "difficulty", "tags", "minutes"} <=
                                                         set(row) for row in listed)
    shown = runner.invoke(main, ["show", "oom-killed"])
    assert shown.exit_code == 0 and "PAGE (P2) checkout" in shown.stdout
    assert "memory-limit" not in shown.stdout and "set resources" not in shown.stdout  # no spoilers
    schema = json.loads(runner.invoke(main, ["schema"]).stdout)
    assert schema["title"] == "chaoskit scenario" and "faults" in schema["required"]
    causes = json.loads(runner.invoke(main, ["causes", "--json"]).stdout)
    assert any(c["id"] == "memory-limit-too-low" and "OOMKilled" in c["synonyms"] for c in causes)
    book = runner.invoke(main, ["runbook", "crashloop-oomkilled"])
    assert book.exit_code == 0 and "kubectl logs POD" in book.stdout and "--previous" in book.stdout
    missing = runner.invoke(main, ["show", "nope"])
    assert missing.exit_code == 1 and missing.stderr.startswith("error: no scenario 'nope'")


def test_user_scenario_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (SCENARIOS / "bad-image.yaml").read_text().replace("id: bad-image", "id: my-bad-image")
    (tmp_path / "mine.yaml").write_text(text)
    (tmp_path / "templates").mkdir()
    assert "my-bad-image" in catalogue((tmp_path,))
    monkeypatch.setenv("CHAOSKIT_SCENARIOS", str(tmp_path))
    assert "my-bad-image" in catalogue()


def test_new_writes_a_skeleton_that_validates(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["new", "my-first", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(main, ["validate", str(tmp_path / "my-first.yaml")])
    assert checked.exit_code == 0 and checked.stdout == "1 scenario(s) valid\n", checked.stderr
    again = runner.invoke(main, ["new", "my-first", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "exists" in again.stderr
    assert runner.invoke(main, ["new", "Bad_Id"]).exit_code == 1
