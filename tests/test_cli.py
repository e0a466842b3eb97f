from __future__ import annotations

from click.testing import CliRunner

from chaoskit.cli import friendly, main
from chaoskit.errors import ConfigError


def test_demo_shows_the_break() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "chaoskit-control-plane   Ready    control-plane" in result.stdout
    assert "CrashLoopBackOff" in result.stdout
    assert "Reason:       OOMKilled" in result.stdout
    assert result.stderr == ""


def test_errors_are_one_line_without_traceback() -> None:
    import click

    @click.command()
    @friendly
    def broken() -> None:
        raise ConfigError("speed must be positive, got 0")

    result = CliRunner().invoke(broken, [])
    assert result.exit_code == 1
    assert result.stderr == "error: speed must be positive, got 0\n"
    assert "Traceback" not in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "chaoskit, version" in result.stdout
