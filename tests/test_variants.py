"""Variants: one seed, one concrete incident; every built-in scenario's variants are valid and
consistent (the objects the manifests make are the ones the faults, checks, diagnosis and solutions
name); a variant value that breaks the scenario is a problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.catalog import catalogue, validate_paths
from chaoskit.scenario.loader import builtin_dir
from chaoskit.scenario.render import render
from chaoskit.scenario.variants import choose, code_for

SCENARIOS = catalogue()


def test_seed_zero_is_the_defaults_and_seeds_are_repeatable() -> None:
    s = SCENARIOS["oom-killed"]
    assert s.variant(0) == s
    assert s.variant(3) == s.variant(3) and s.variant(3).seed == 3
    names = {s.variant(seed).variables["name"] for seed in range(1, 40)}
    assert len(names) >= 5 and names <= set(s.variants["name"])
    assert {s.variant(seed).variables["replicas"] for seed in range(1, 40)} == {2, 3}
    assert choose({"a": 1}, {"a": [1, 2, 3]}, 5, "x") != choose({"a": 1}, {"a": [1, 2, 3]}, 5, "y") or \
        choose({"a": 1}, {"a": [1, 2, 3]}, 6, "x") != choose({"a": 1}, {"a": [1, 2, 3]}, 6, "y")


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_every_variant_names_the_objects_it_makes(scenario_id: str) -> None:
    for seed in range(6):
        s = SCENARIOS[scenario_id].variant(seed)
        objects = {f"{o['kind'].lower()}/{o['metadata']['name']}" for o in render(s, "ns")}
        name = s.variables["name"]
        assert f"deployment/{name}" in objects
        kind, _, target = s.diagnosis.resource.partition("/")
        if kind in ("deploy", "svc"):
            assert {"deploy": "deployment", "svc": "service"}[kind] + "/" + target in objects, (seed, s.diagnosis)
        for fault in s.all_faults:
            if fault.target.name and fault.target.kind in ("Deployment", "Service"):
                assert f"{fault.target.kind.lower()}/{fault.target.name}" in objects
        for check in (*s.baseline, *s.remediation):
            for key in ("name", "service"):
                if key in check.args and check.args[key] != "reports":
                    assert check.args[key] == name, (seed, check)
            assert isinstance(check.args.get("count", 0), int)
        assert all(name in " ".join(sol.commands) or "uncordon" in " ".join(sol.commands)
                   or "taint" in " ".join(sol.commands) or "reports" in " ".join(sol.commands)
                   for sol in (s.solution, *s.alternatives))
        assert scenario_id not in s.code and s.code.startswith("INC-")


def test_codes_name_nothing_and_differ() -> None:
    codes = {code_for(sid, seed) for sid in SCENARIOS for seed in range(5)}
    assert len(codes) == len(SCENARIOS) * 5
    assert all(part not in code.lower() for code in codes for sid in SCENARIOS for part in sid.split("-")
               if len(part) > 3)


def test_a_variant_value_that_breaks_the_scenario_is_a_problem_with_its_line(tmp_path: Path) -> None:
    text = (builtin_dir() / "broken-selector.yaml").read_text(encoding="utf-8")
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace("replicas: [2, 3]", "replicas: [2, two]")
                    .replace("title: ${name | capitalize}", "title: ${nmae | capitalize}"), encoding="utf-8")
    _, problems = validate_paths([path])
    shown = [str(p) for p in problems]
    lines = path.read_text().splitlines()
    title = next(i for i, line in enumerate(lines, 1) if line.startswith("title:"))
    count = next(i for i, line in enumerate(lines, 1) if "count:" in line)
    assert any(s.startswith(f"{path}:{title}: title: cannot render") and "'nmae' is undefined" in s for s in shown)
    assert f"{path}:{count}: baseline[0].count: 'two' is not of type 'integer'" in shown
