"""A broken scenario lists every problem in one run (schema and semantics together), with its YAML
path and line; duplicate keys, bytes that are not UTF-8 and alias bombs are problems, not
tracebacks; the typed parts' schema and defaults come from one declaration."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner

from chaoskit.catalog import validate_paths
from chaoskit.cli import main
from chaoskit.faults import REGISTRY, Target
from chaoskit.scenario.loader import MAX_NODES, builtin_dir
from chaoskit.scenario.model import FaultSpec, Monitor
from chaoskit.scenario.schema import SCHEMA


def _oom(tmp: Path, edit: dict[str, str]) -> Path:
    text = (builtin_dir() / "oom-killed.yaml").read_text(encoding="utf-8")
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_schema_and_semantic_problems_come_together(tmp_path: Path) -> None:
    path = _oom(tmp_path, {"difficulty: ": "difficulty: 9 #", "type: memory-limit": "type: memory-limt",
                           "causes: [memory-limit-too-low]": "causes: [nonsense-cause]"})
    scenarios, problems = validate_paths([path])
    shown = [str(p) for p in problems]
    assert scenarios == []
    assert f"{path}:{_line(path, 'difficulty: 9')}: difficulty: 9 is greater than the maximum of 5" in shown
    assert any(s.startswith(f"{path}:{_line(path, 'memory-limt')}: faults[0].type: unknown fault type") for s in shown)
    assert f"{path}:{_line(path, 'nonsense-cause')}: diagnosis.causes[0]: unknown cause 'nonsense-cause'" in shown
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_wrong_fault_parameters_are_named_by_their_path(tmp_path: Path) -> None:
    path = _oom(tmp_path, {"params: {limit: 32Mi}": "params: {limit: 32, colour: red}"})
    _, problems = validate_paths([path])
    messages = {(p.path, p.message) for p in problems}
    assert ("faults[0].params.limit", "32 is not of type 'string'") in messages
    assert any(where == "faults[0].params" and "'colour' was unexpected" in message for where, message in messages)


def test_duplicate_keys_are_problems_with_both_lines(tmp_path: Path) -> None:
    path = _oom(tmp_path, {"difficulty: ": "difficulty: 2\ndifficulty: "})
    _, problems = validate_paths([path])
    first, second = _line(path, "difficulty: 2"), _line(path, "difficulty: 2") + 1
    assert [str(p) for p in problems] == [f"{path}:{second}: difficulty: duplicate key (first given at line {first})"]


def test_bytes_that_are_not_utf8_are_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: x\ntitle: caf\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}:2: (top): not UTF-8 text: byte 0xe9 at offset 16",
                                          "error: 1 problem(s) found"]


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        rows.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(rows) + "\n")
    started = time.perf_counter()
    _, problems = validate_paths([path])
    assert [p.message for p in problems] == [f"the document expands to more than {MAX_NODES} YAML nodes "
                                             "through its aliases"]
    assert time.perf_counter() - started < 5  # a bound on a refusal, not a benchmark: 8**9 nodes otherwise


def test_defaults_are_written_once_and_the_schema_shows_them() -> None:
    schema = REGISTRY["memory-limit"].params_schema()
    assert schema["properties"]["limit"]["default"] == "16Mi"
    assert REGISTRY["memory-limit"](Target("Deployment", name="web")).params.limit == "16Mi"
    probe = REGISTRY["probe-break"].params_schema()
    assert probe["properties"]["break"] == {"enum": ["path", "port", "timing"], "default": "path",
                                            "description": probe["properties"]["break"]["description"]}
    assert REGISTRY["probe-break"](Target("Deployment", name="web"), {"break": "port"}).params.how == "port"
    fault = SCHEMA["properties"]["faults"]["items"]
    assert fault["properties"]["target"]["properties"]["mode"]["default"] == Target("Pod").mode == "all"
    assert fault["properties"]["at"]["default"] == "0s" and FaultSpec("x", Target("Pod")).at == 0.0
    monitor = SCHEMA["properties"]["monitor"]["properties"]
    assert monitor["alert_after"]["default"] == "60s" and Monitor("web", 80).alert_after == 60.0
    assert monitor["interval"]["default"] == "10s" and Monitor("web", 80).interval == 10.0
