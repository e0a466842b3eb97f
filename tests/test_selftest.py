"""Every shipped scenario proves itself honest with the real kubectl: here on a fresh embedded
simulator per path; the seven core scenarios in tests/test_backends.py, through the kube backend
(a served simulator behind the audit proxy), so each scenario runs once per CI run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_session import SEVEN

from chaoskit.catalog import catalogue
from chaoskit.cli import main
from chaoskit.selftest import selftest

SCENARIOS = sorted(set(catalogue()) - {sid for sid, _ in SEVEN})


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_scenario_selftest(scenario_id: str) -> None:
    """A variant, not the defaults (the kube-backend test proves the defaults of the seven)."""
    scenario = catalogue()[scenario_id].variant(7)
    assert scenario.seed == 7 and scenario.source
    result = selftest(scenario)
    assert result.passed, json.dumps(result.as_dict(), indent=2)
    names = [s.name for s in result.steps]
    assert "checks fail after injection" in names and any(n.startswith("wrong 1:") for n in names)
    assert any(n.startswith("alternative 1:") for n in names)


def test_selftest_command_json() -> None:
    result = CliRunner().invoke(main, ["selftest", "bad-image", "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert entry["id"] == "bad-image" and entry["variant"] == 0 and entry["passed"] is True and entry["steps"]
