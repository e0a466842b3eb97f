"""The shipped catalogue is valid and every reference resolves; broken files report every problem
with its YAML path and line; the catalogue commands print what they promise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chaoskit.catalog import catalogue, validate_paths
from chaoskit.cli import main
from chaoskit.runbook import load_runbooks
from chaoskit.scenario.causes import taxonomy
from chaoskit.scenario.loader import builtin_dir
from chaoskit.scenario.render import render

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


def test_runbooks_are_well_formed() -> None:
    """(That their sources name real seed documents is test_sources.py's business: it holds without them.)"""
    for book in load_runbooks().values():
        assert book.sources and book.title and book.steps, book.id
        assert all(c in taxonomy() for c in book.causes), book.id
        assert all(step.reads for step in book.steps), book.id
        for source in book.sources:
            assert source in book.body, f"{book.id} cites {source} in its prose"


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


# ------------------------------------------------------------ a team's own folders: shadowing and runbooks

ROOT = Path(__file__).resolve().parents[1]
BOOKS = Path(load_runbooks()["crashloop-oomkilled"].path).parent


def _scenario(folder: Path, sid: str, title: str, runbook: str = "crashloop-oomkilled", name: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (SCENARIOS / "oom-killed.yaml").read_text().replace("id: oom-killed", f"id: {sid}")
    text = text.replace("runbook: crashloop-oomkilled", f"runbook: {runbook}")
    text = "\n".join(f"title: {title}" if line.startswith("title:") else line for line in text.splitlines())
    path = folder / (name or f"{sid}.yaml")
    path.write_text(text + "\n")
    return path


def _runbook(folder: Path, rid: str, title: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (BOOKS / "crashloop-oomkilled.md").read_text().replace("id: crashloop-oomkilled", f"id: {rid}", 1)
    text = "\n".join(f"title: {title}" if line.startswith("title:") else line for line in text.splitlines())
    path = folder / f"{rid}.md"
    path.write_text(text + "\n")
    return path


def test_a_user_folder_replaces_a_builtin_by_id_and_two_user_folders_clash(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from chaoskit.scenario import ScenarioError

    builtin = catalogue()
    mine = _scenario(tmp_path / "mine", "oom-killed", "Our own OOM drill")
    for loaded in (catalogue((tmp_path / "mine",)),):
        assert loaded["oom-killed"].title == "Our own OOM drill" and loaded["oom-killed"].path == mine
        assert set(loaded) == set(builtin)  # the other built-ins are still there
    assert builtin["oom-killed"].path == SCENARIOS / "oom-killed.yaml"  # only when the folder is asked for
    monkeypatch.setenv("CHAOSKIT_SCENARIOS", str(tmp_path / "mine"))
    assert catalogue((tmp_path / "mine",))["oom-killed"].path == mine  # the same folder twice is one folder
    assert catalogue((SCENARIOS,))["oom-killed"].path == mine  # naming the built-in folder adds nothing
    monkeypatch.delenv("CHAOSKIT_SCENARIOS")

    theirs = _scenario(tmp_path / "theirs", "oom-killed", "Their OOM drill")
    with pytest.raises(ScenarioError) as err:
        catalogue((tmp_path / "mine", tmp_path / "theirs"))
    assert [str(p) for p in err.value.problems] == [
        f"{theirs}:1: id: duplicate scenario id 'oom-killed' (also in {mine})"]
    twice = _scenario(tmp_path / "mine", "oom-killed", "A copy", name="copy.yaml")
    with pytest.raises(ScenarioError) as err:
        catalogue((tmp_path / "mine",))  # files are read in name order: copy.yaml first
    assert str(err.value) == f"{mine}:1: id: duplicate scenario id 'oom-killed' (also in {twice})"
    result = CliRunner().invoke(main, ["list", "--scenarios", str(tmp_path / "mine")])
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and "duplicate scenario id" in result.stderr


def test_runbooks_beside_a_scenario_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chaoskit.catalog import runbooks
    from chaoskit.runbook import RunbookError
    from chaoskit.runbook.model import runbook_dirs

    team = tmp_path / "team"
    scenario = _scenario(team / "scenarios", "team-oom", "Team OOM", runbook="team-book")
    sibling = _runbook(team / "runbooks", "team-book", "The team's runbook")
    (team / "runbooks" / "README.md").write_text("# Not a runbook: no front matter\n")
    inner = _runbook(team / "scenarios" / "runbooks", "inner-book", "Kept with the scenarios")
    folder = (team / "scenarios",)
    assert runbook_dirs(folder) == [team / "scenarios" / "runbooks", team / "runbooks"]
    assert runbooks(folder)["team-book"].path == sibling and runbooks(folder)["inner-book"].path == inner
    assert "team-book" not in runbooks() and "team-book" not in load_runbooks()
    assert catalogue(folder)["team-oom"].runbook == "team-book"
    for path in (team / "scenarios", scenario):  # a folder, or one file in it
        assert validate_paths([path]) == ([catalogue(folder)["team-oom"]], []), path

    sibling.rename(tmp_path / "elsewhere.md")
    _, problems = validate_paths([scenario])
    assert [p.message for p in problems] == ["no runbook with id 'team-book'"]
    monkeypatch.setenv("CHAOSKIT_RUNBOOKS", str(tmp_path))  # a list of folders, read after the sibling ones
    assert validate_paths([scenario])[1] == [] and runbooks()["team-book"].path == tmp_path / "elsewhere.md"
    monkeypatch.setenv("CHAOSKIT_RUNBOOKS", str(tmp_path / "missing"))
    with pytest.raises(RunbookError, match=r"CHAOSKIT_RUNBOOKS: .*missing is not a directory"):
        runbooks()
    monkeypatch.delenv("CHAOSKIT_RUNBOOKS")

    ours = _runbook(team / "runbooks", "crashloop-oomkilled", "Our way with OOMKilled")
    assert runbooks(folder)["crashloop-oomkilled"].path == ours  # a user runbook replaces the built-in one
    assert load_runbooks()["crashloop-oomkilled"].path == BOOKS / "crashloop-oomkilled.md"
    _runbook(team / "scenarios" / "runbooks", "crashloop-oomkilled", "A second copy")
    with pytest.raises(RunbookError, match="duplicate runbook id 'crashloop-oomkilled'"):
        runbooks(folder)


def test_the_repository_folders_hold_a_working_example() -> None:
    """scenarios/ and runbooks/ at the top of the repository: README, an example that validates,
    whose runbook is found beside it, and that the command line lists, shows and renders."""
    assert (ROOT / "scenarios" / "README.md").is_file() and (ROOT / "runbooks" / "README.md").is_file()
    folder = (ROOT / "scenarios",)
    example = catalogue(folder)["billing-config-typo"]
    assert example.runbook == "config-reference-typo" and "billing-config-typo" not in catalogue()
    assert set(catalogue(folder)) - set(catalogue()) == {"billing-config-typo"}  # shadows no built-in
    objects = render(example, "ns")
    assert {(o["kind"], o["metadata"]["name"]) for o in objects} >= {("Deployment", "billing"),
                                                                    ("ConfigMap", "billing-config")}
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(ROOT / "scenarios")])
    assert checked.exit_code == 0 and checked.stdout == "1 scenario(s) valid\n", checked.stderr
    listed = runner.invoke(main, ["list", "--json", "--scenarios", str(ROOT / "scenarios")])
    assert "billing-config-typo" in {row["id"] for row in json.loads(listed.stdout)}
    shown = runner.invoke(main, ["show", "billing-config-typo"], env={"CHAOSKIT_SCENARIOS": str(ROOT / "scenarios")})
    assert shown.exit_code == 0 and "billing 3.1" in shown.stdout and "billing-confg" not in shown.stdout
    book = runner.invoke(main, ["runbook", "config-reference-typo", "--scenarios", str(ROOT / "scenarios")])
    assert book.exit_code == 0 and "kubectl get configmaps" in book.stdout
    unknown = runner.invoke(main, ["runbook", "config-reference-typo"])
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: no runbook 'config-reference-typo'")


def test_the_repository_example_is_honest() -> None:
    """Its symptoms show, its reference fix and its rollback hold, the restart does not fix it."""
    from chaoskit.selftest import selftest

    result = selftest(catalogue((ROOT / "scenarios",))["billing-config-typo"])
    assert result.passed, result.as_dict()
    assert [s.name for s in result.steps if s.name.startswith(("alternative", "wrong"))] == [
        "alternative 1: run: kubectl rollout undo deploy/billing", "alternative 1: checks pass and hold",
        "wrong 1: run: kubectl rollout restart deploy/billing", "wrong 1: checks still fail"]


def test_a_session_of_the_repository_example_is_graded_with_its_runbook(tmp_path: Path) -> None:
    """Started with CHAOSKIT_SCENARIOS, finished from a shell without it: the session remembers the
    folder, and grading follows the runbook found beside it (its four steps, all taken)."""
    import os
    import subprocess
    import sys
    import time

    from tests.kube import kubectl_path

    chaoskit = str(Path(sys.executable).parent / "chaoskit")
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHAOSKIT_")} | {"CHAOSKIT_HOME": str(tmp_path)}

    def ck(*args: str, env: dict[str, str] = base) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([chaoskit, *args], capture_output=True, text=True, timeout=180, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc

    info = json.loads(ck("start", "billing-config-typo", "--speed", "30", "--json",
                         env={**base, "CHAOSKIT_SCENARIOS": str(ROOT / "scenarios")}).stdout)
    try:
        def kubectl(command: str) -> str:
            proc = subprocess.run([str(kubectl_path()), *command.split()], capture_output=True, text=True,
                                  timeout=60, env={"KUBECONFIG": info["kubeconfig"], "HOME": str(tmp_path)})
            assert proc.returncode == 0, proc.stderr
            return proc.stdout

        def wait(predicate: Any) -> None:
            deadline = time.monotonic() + 120
            while not predicate():
                assert time.monotonic() < deadline, "timed out"
                time.sleep(0.2)

        wait(lambda: "CreateContainerConfigError" in kubectl("get pods"))
        pod = next(line.split()[0] for line in kubectl("get pods").splitlines() if "CreateContainerConfig" in line)
        assert 'configmap "billing-confg" not found' in kubectl(f"describe pod {pod}")
        assert "billing-config" in kubectl("get configmaps")
        kubectl("get deploy billing -o yaml")
        ck("diagnose", "--session", info["session"], "--cause", "missing-configuration", "--resource",
           "deploy/billing", "--note", "CreateContainerConfigError: the pod asks for billing-confg, a typo")
        kubectl("rollout undo deploy/billing")
        wait(lambda: json.loads(ck("check", "--session", info["session"], "--json").stdout)["healthy"])
        doc = json.loads(ck("finish", "--session", info["session"], "--json").stdout)
    finally:
        subprocess.run([chaoskit, "stop", "--session", info["session"]], capture_output=True, timeout=60, env=base)
    assert doc["runbook"] == {"id": "config-reference-typo", "title": "A configuration reference with a typo",
                              "path": str(ROOT / "runbooks" / "config-reference-typo.md")}
    assert [s["taken"] for s in doc["steps"]] == [True] * 4 and doc["passed"], doc
