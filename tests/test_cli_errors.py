"""No traceback anywhere: every command given bad input says one line on stderr, ``error: ...``,
and exits non-zero (1 for chaoskit's errors, 2 for a bad command line; never 70, which is a bug
reaching the boundary). stdout and stderr are read separately (CliRunner keeps them apart)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chaoskit.cli import main
from chaoskit.cli.group import INTERNAL_ERROR

REPORT = Path(__file__).parent / "data" / "report.json"
BAD_UTF8 = b"id: broken\ntitle: caf\xe9 \xff\xfe\n"
NOT_YAML = ": : not yaml [\n"


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    says: str = ""  # a fragment the error line must contain


def world(tmp: Path) -> dict[str, str]:
    """Files the cases point at, under ``tmp`` (the test's own folder)."""
    (tmp / "afile").write_text("a regular file where a folder should be\n")
    utf8 = tmp / "utf8"
    utf8.mkdir()
    (utf8 / "broken.yaml").write_bytes(BAD_UTF8)
    (tmp / "not-yaml.kubeconfig").write_text(NOT_YAML)
    (tmp / "list.kubeconfig").write_text("- just\n- a list\n")
    (tmp / "shapeless.kubeconfig").write_text("contexts:\n- name: a\n  context: 3\ncurrent-context: a\n")
    (tmp / "latin1.kubeconfig").write_bytes(b"current-context: caf\xe9\n")
    finished = tmp / "home" / "sessions" / "finished-1"
    finished.mkdir(parents=True)
    (finished / "session.json").write_text(json.dumps({"id": "finished-1", "scenario": "oom-killed", "created": 1}))
    (finished / "grade.json").write_text(REPORT.read_text())
    (tmp / "empty-home").mkdir()
    (tmp / "nopath").mkdir()
    return {"tmp": str(tmp), "home": str(tmp / "home"), "empty": str(tmp / "empty-home"),
            "under-file": str(tmp / "afile" / "home")}


SPEEDS = ("nan", "inf", "-inf", "0", "-1", "1e999", "fast")
SPEED_COMMANDS = (("start", "oom-killed"), ("play", "oom-killed"), ("selftest", "oom-killed"), ("demo",),
                  ("sim", "serve"))

CASES: dict[str, Case] = {
    # scenario files and folders
    "validate a file that is not UTF-8": Case(("validate", "{tmp}/utf8/broken.yaml"), says="not UTF-8"),
    "list a folder with a file that is not UTF-8": Case(("list", "--scenarios", "{tmp}/utf8"), says="not UTF-8"),
    "show from a folder with a file that is not UTF-8": Case(("show", "oom-killed", "--scenarios", "{tmp}/utf8"),
                                                             says="not UTF-8"),
    "list a scenario folder that does not exist": Case(("list", "--scenarios", "{tmp}/no-such-folder"),
                                                       says="no-such-folder"),
    "CHAOSKIT_SCENARIOS naming a folder that does not exist": Case(
        ("list",), {"CHAOSKIT_SCENARIOS": "{tmp}/no-such-folder"}, says="no-such-folder"),
    "selftest from a scenario folder that does not exist": Case(
        ("selftest", "oom-killed", "--scenarios", "{tmp}/no-such-folder"), says="no-such-folder"),
    "start from a scenario folder that does not exist": Case(
        ("start", "oom-killed", "--scenarios", "{tmp}/no-such-folder"), {"CHAOSKIT_HOME": "{home}"},
        says="no-such-folder"),
    "validate a path that does not exist": Case(("validate", "{tmp}/missing.yaml"), says="does not exist"),
    # kubeconfigs that are not kubeconfigs
    "start --backend kube with a kubeconfig that is not YAML": Case(
        ("start", "oom-killed", "--backend", "kube", "--kubeconfig", "{tmp}/not-yaml.kubeconfig"),
        {"CHAOSKIT_HOME": "{home}"}, says="not valid YAML"),
    "play --backend kube with a kubeconfig that is not YAML": Case(
        ("play", "oom-killed", "--backend", "kube", "--kubeconfig", "{tmp}/not-yaml.kubeconfig"),
        {"CHAOSKIT_HOME": "{home}"}, says="not valid YAML"),
    "selftest --backend kube with a kubeconfig that is not YAML": Case(
        ("selftest", "oom-killed", "--backend", "kube", "--kubeconfig", "{tmp}/not-yaml.kubeconfig"),
        says="not valid YAML"),
    "selftest --backend kind with a kubeconfig that is a YAML list": Case(
        ("selftest", "oom-killed", "--backend", "kind", "--kubeconfig", "{tmp}/list.kubeconfig"),
        says="not a kubeconfig"),
    "start --backend kube with a kubeconfig of the wrong shape": Case(
        ("start", "oom-killed", "--backend", "kube", "--kubeconfig", "{tmp}/shapeless.kubeconfig"),
        {"CHAOSKIT_HOME": "{home}"}, says="not a kubeconfig"),
    "selftest --backend kube with a kubeconfig that is not UTF-8": Case(
        ("selftest", "oom-killed", "--backend", "kube", "--kubeconfig", "{tmp}/latin1.kubeconfig"),
        says="not UTF-8"),
    "start --backend kube with a kubeconfig that does not exist": Case(
        ("start", "oom-killed", "--backend", "kube", "--kubeconfig", "{tmp}/missing.kubeconfig"),
        {"CHAOSKIT_HOME": "{home}"}, says="missing.kubeconfig"),
    # CHAOSKIT_HOME that cannot be a folder (tests run as root: a path under a regular file is ENOTDIR)
    "start with CHAOSKIT_HOME under a regular file": Case(("start", "oom-killed"),
                                                          {"CHAOSKIT_HOME": "{under-file}"}, says="afile"),
    "status with CHAOSKIT_HOME under a regular file": Case(("status",), {"CHAOSKIT_HOME": "{under-file}"}),
    "report with CHAOSKIT_HOME under a regular file": Case(("report",), {"CHAOSKIT_HOME": "{under-file}"}),
    # sessions
    "report into a folder that does not exist": Case(("report", "-o", "/missing/dir/x.html"),
                                                     {"CHAOSKIT_HOME": "{home}"}, says="/missing/dir/x.html"),
    "report in a format that does not exist": Case(("report", "--format", "pdf"), {"CHAOSKIT_HOME": "{home}"},
                                                   says="pdf"),
    "diagnose with no session": Case(("diagnose", "--cause", "memory-limit-too-low", "--resource", "deploy/x"),
                                     {"CHAOSKIT_HOME": "{empty}"}, says="no session"),
    "diagnose without a resource": Case(("diagnose", "--cause", "memory-limit-too-low"),
                                        {"CHAOSKIT_HOME": "{empty}"}, says="--resource"),
    "status of a session that does not exist": Case(("status", "--session", "nope"), {"CHAOSKIT_HOME": "{home}"},
                                                    says="nope"),
    "finish with no session": Case(("finish",), {"CHAOSKIT_HOME": "{empty}"}, says="no session"),
    "stop with no session": Case(("stop",), {"CHAOSKIT_HOME": "{empty}"}, says="no session"),
    "start a scenario that does not exist": Case(("start", "nope"), {"CHAOSKIT_HOME": "{home}"}, says="nope"),
    # the catalogue
    "show an unknown id": Case(("show", "nope"), says="no scenario 'nope'"),
    "runbook of an unknown id": Case(("runbook", "nope"), says="no runbook 'nope'"),
    "selftest of an unknown id": Case(("selftest", "nope"), says="nope"),
    "new into a path under a regular file": Case(("new", "fine-id", "--dir", "{tmp}/afile/sub"), says="afile"),
    "new with an id that is not one": Case(("new", "Not_An_Id", "--dir", "{tmp}"), says="Not_An_Id"),
    # kind
    "cluster up without kind": Case(("cluster", "up"), {"PATH": "{tmp}/nopath"}, says="kind not found"),
    "cluster down without kind": Case(("cluster", "down"), {"PATH": "{tmp}/nopath"}, says="kind not found"),
    "cluster status without kind": Case(("cluster", "status"), {"PATH": "{tmp}/nopath"}, says="kind not found"),
    "cluster load without kind": Case(("cluster", "load", "nginx:1.27"), {"PATH": "{tmp}/nopath"},
                                      says="kind not found"),
    "cluster up with negative workers": Case(("cluster", "up", "--workers", "-1"), says="--workers"),
    # the simulator server
    "sim serve on port 99999": Case(("sim", "serve", "--port", "99999"), says="--port"),
    "sim serve on port -1": Case(("sim", "serve", "--port", "-1"), says="--port"),
    "sim serve with its state folder under a regular file": Case(
        ("sim", "serve", "--state-dir", "{tmp}/afile/state"), says="afile"),
    # the command line itself
    "a command that does not exist": Case(("frobnicate",), says="frobnicate"),
    "an option that does not exist": Case(("list", "--frobnicate"), says="--frobnicate"),
    "a missing argument": Case(("show",), says="SCENARIO_ID"),
    "a language without a catalogue": Case(("--lang", "zz", "list"), says="zz"),
    "CHAOSKIT_LANG without a catalogue": Case(("list",), {"CHAOSKIT_LANG": "zz"}, says="zz"),
    **{f"{' '.join(cmd)} --speed {speed}": Case((*cmd, "--speed", speed), {"CHAOSKIT_HOME": "{home}"},
                                                says="--speed")
       for cmd in SPEED_COMMANDS for speed in SPEEDS},
}


def invoke(case: Case, paths: dict[str, str]) -> Result:
    args = [a.format(**paths) for a in case.args]
    env = {k: v.format(**paths) for k, v in case.env.items()}
    return CliRunner().invoke(main, args, env=env)


def one_error_line(result: Result, says: str = "") -> None:
    shown = f"exit {result.exit_code}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.exit_code not in (0, INTERNAL_ERROR), shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), shown
    assert "internal error" not in result.stderr, shown
    assert says in result.stderr, shown


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_error_line(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    paths = world(tmp_path)
    result = invoke(case, paths)
    if case.args[0] == "validate" and "UTF-8" in case.says:
        # validate's report is every problem on its own line (FILE:LINE: PATH: MESSAGE), then one error line
        *problems, last = result.stderr.splitlines()
        assert problems and all(p.startswith(case.args[1].format(**paths) + ":") for p in problems), result.stderr
        assert result.exit_code == 1 and last == "error: 1 problem(s) found", result.stderr
        assert "line 2" in problems[0] or ":2:" in problems[0], problems
        return
    one_error_line(result, case.says)
    assert result.stdout == "", result.stdout


def test_bad_speeds_are_refused_before_anything_starts(tmp_path: Path) -> None:
    """The speed is checked while the command line is read: no session folder, no simulator state."""
    home = tmp_path / "home"
    for cmd in SPEED_COMMANDS:
        for speed in SPEEDS:
            args = [*cmd, "--speed", speed]
            if cmd[0] == "sim":
                args += ["--state-dir", str(tmp_path / "state")]
            result = CliRunner().invoke(main, args, env={"CHAOSKIT_HOME": str(home)})
            one_error_line(result, "--speed")
            assert result.exit_code == 2
    assert not home.exists() and not (tmp_path / "state").exists()


def test_good_speeds_still_parse() -> None:
    from chaoskit.cli.options import SPEED

    assert SPEED.convert("2.5", None, None) == 2.5 and SPEED.convert("1e3", None, None) == 1000.0


@pytest.mark.xfail(strict=True, reason="chaoskit/session/control.py: 'sessions' lists nothing, exit 0, when "
                                       "CHAOSKIT_HOME cannot be a folder (session layer: for the lead)")
def test_sessions_with_home_under_a_file_says_so(tmp_path: Path) -> None:
    paths = world(tmp_path)
    one_error_line(CliRunner().invoke(main, ["sessions"], env={"CHAOSKIT_HOME": paths["under-file"]}))


def test_a_bug_is_one_line_with_exit_70_and_the_traceback_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import chaoskit.catalog

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero\nwith a second line")

    monkeypatch.setattr(chaoskit.catalog, "catalogue", broken)
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == INTERNAL_ERROR and result.stdout == ""
    assert result.stderr == ("error: internal error: ZeroDivisionError: division by zero with a second line "
                             "(set CHAOSKIT_DEBUG=1 for the traceback)\n")
    debug = CliRunner().invoke(main, ["list"], env={"CHAOSKIT_DEBUG": "1"})
    assert debug.exit_code == INTERNAL_ERROR and "Traceback" in debug.stderr


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    import chaoskit.catalog

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(chaoskit.catalog, "catalogue", interrupted)
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 130 and result.stderr == "interrupted\n"


def test_a_group_alone_shows_its_help_not_an_error() -> None:
    result = CliRunner().invoke(main, ["cluster"])
    assert "Traceback" not in result.output and "error:" not in result.stderr
    assert "up" in result.stdout + result.stderr and "Usage:" in result.stdout + result.stderr


def test_error_lines_are_real_subprocess_output(tmp_path: Path) -> None:
    """``python -m chaoskit`` behaves as CliRunner does: one line, no traceback."""
    import subprocess
    import sys

    paths = world(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "chaoskit", "validate", paths["tmp"] + "/utf8/broken.yaml"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CHAOSKIT_HOME": paths["home"]})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == "error: 1 problem(s) found"
    # the official client reads $KUBECONFIG when it is imported: only a fresh process sees this one
    proc = subprocess.run([sys.executable, "-m", "chaoskit", "selftest", "oom-killed", "--backend", "kube"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KUBECONFIG": paths["tmp"] + "/not-yaml.kubeconfig"})
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: cannot read kubeconfig") and "not valid YAML" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "chaoskit", "start", "oom-killed", "--speed", "nan"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CHAOSKIT_HOME": paths["home"]})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
