"""The shell's own builtins (applets/builtin.py): they run in any image, even one with no files."""

from __future__ import annotations

import pytest
from shell_helpers import Ran, sh

from chaoskit.sim.kubelet.shell import BUILTINS, TOOLSETS

NOTHING = TOOLSETS["none"]  # a distroless image: no shell, no applets


def test_builtins_run_where_the_image_carries_nothing() -> None:
    assert sorted(BUILTINS) == [":", "[", "cd", "echo", "exit", "false", "printf", "pwd", "test", "true"]
    assert sh("echo hi; pwd; test 1 = 1 && echo same", tools=NOTHING).out == "hi\n/\nsame\n"
    assert sh("cat /etc/hosts", tools=NOTHING) == Ran(127, "", "sh: cat: not found\n", 0.0)
    assert sh("ls", tools=NOTHING, flavour="gnu").err == "sh: 1: ls: not found\n"


def test_echo_and_printf() -> None:
    assert sh("echo -n a; echo b c").out == "ab c\n"
    assert sh("printf '%s=%s\\n' key value").out == "key=value\n"
    assert sh("printf '%s and %s\\n' one").out == " and \n"  # missing arguments print as empty
    assert sh("printf").code == 1


@pytest.mark.parametrize(("script", "code"), [
    ("exit 3", 3), ("exit 300", 44), ("false; exit", 1), ("true", 0), ("false", 1), (":", 0),
    ("while true; do exit 7; done; echo never", 7), ("echo a | exit 5", 5),
])
def test_exit_and_constants(script: str, code: int) -> None:
    ran = sh(script)
    assert (ran.code, ran.out) == (code, "")


@pytest.mark.parametrize(("expr", "true"), [
    ("-f /etc/app.conf", True), ("-e /nope", False), ("-s /empty", False), ("-s /etc/app.conf", True),
    ("-d /etc", True), ("-d /var/log", False), ("-d /srv", True), ("! -f /nope", True),
    ("-z ''", True), ("-n x", True), ("x", True), ("''", False),
    ("a = a", True), ("a != a", False), ("3 -lt 10", True), ("10 -le 3", False), ("x -eq 1", False),
])
def test_test_and_bracket(expr: str, true: bool) -> None:
    files = {"/etc/app.conf": "debug=1\n", "/empty": "", "/srv/www/index.html": "<html>"}
    expected = 0 if true else 1
    assert sh(f"test {expr}", dict(files)).code == expected
    assert sh(f"[ {expr} ]", dict(files)).code == expected


def test_cd_and_pwd_move_the_shell_and_resolve_relative_paths() -> None:
    files = {"/srv/www/index.html": "<html>\n", "/srv/readme": "hello\n"}
    assert sh("cd /srv; pwd; cat readme; cd www/; pwd; cd; pwd", files).out == "/srv\nhello\n/srv/www\n/root\n"
    assert sh("cd /srv/readme; echo $?", files) == Ran(0, "2\n", "sh: cd: can't cd to /srv/readme: Not a directory\n",
                                                       0.0)
