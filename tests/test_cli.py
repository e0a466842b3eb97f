from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoskit.cli import main
from chaoskit.errors import ConfigError


def test_demo_plays_a_whole_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOSKIT_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "CrashLoopBackOff" in result.stdout
    assert "Reason:       OOMKilled" in result.stdout
    score = int(re.search(r"Score (\d+)/100 — PASSED", result.stdout).group(1))  # type: ignore[union-attr]
    assert score >= 80
    assert result.stderr == ""


def test_errors_are_one_line_without_traceback() -> None:
    import click

    from chaoskit.cli.group import ChaoskitGroup

    @click.group(cls=ChaoskitGroup)
    def group() -> None:
        """A group with one broken command."""

    @group.command()
    def broken() -> None:
        raise ConfigError("speed must be positive, got 0")

    result = CliRunner().invoke(group, ["broken"])
    assert result.exit_code == 1
    assert result.stderr == "error: speed must be positive, got 0\n"
    assert "Traceback" not in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "chaoskit, version" in result.stdout
