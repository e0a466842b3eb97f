"""Text filters and the environment (applets/text.py)."""

from __future__ import annotations

from shell_helpers import Ran, sh

LOG = {"/var/log/app.log": "INFO start\nWARN slow\nERROR boom\nINFO retry\nERROR again\n"}


def test_env_and_printenv() -> None:
    assert sh("env", APP_MODE="prod", PORT="80").out == "APP_MODE=prod\nPORT=80\n"
    assert sh("printenv PORT", PORT="80") == Ran(0, "80\n", "", 0.0)
    assert sh("printenv MISSING") == Ran(1, "", "", 0.0)
    assert sh("env | grep MODE", APP_MODE="prod").out == "APP_MODE=prod\n"


def test_grep() -> None:
    assert sh("grep ERROR /var/log/app.log", dict(LOG)) == Ran(0, "ERROR boom\nERROR again\n", "", 0.0)
    assert sh("grep -i error /var/log/app.log", dict(LOG)).out == "ERROR boom\nERROR again\n"
    assert sh("grep -v INFO /var/log/app.log", dict(LOG)).out == "WARN slow\nERROR boom\nERROR again\n"
    assert sh("grep 'E.*R b' /var/log/app.log", dict(LOG)).out == "ERROR boom\n"
    assert sh("grep '[' /var/log/app.log", dict(LOG)).code == 1  # not a regex: matched literally
    assert sh("grep FATAL /var/log/app.log", dict(LOG)) == Ran(1, "", "", 0.0)
    assert sh("cat /var/log/app.log | grep WARN", dict(LOG)).out == "WARN slow\n"
    usage = sh("grep")
    assert usage.code == 2 and usage.err.startswith("BusyBox v1.36.1 multi-call binary.\n\nUsage: grep ")


def test_head_and_tail() -> None:
    assert sh("head -n 2 /var/log/app.log", dict(LOG)).out == "INFO start\nWARN slow\n"
    assert sh("head -1 /var/log/app.log", dict(LOG)).out == "INFO start\n"
    assert sh("tail -n 2 /var/log/app.log", dict(LOG)).out == "INFO retry\nERROR again\n"
    assert sh("tail -n 0 /var/log/app.log", dict(LOG)).out == ""
    assert sh("grep ERROR /var/log/app.log | tail -1", dict(LOG)).out == "ERROR again\n"
    assert sh("cd /var/log; head app.log", dict(LOG)).out == LOG["/var/log/app.log"]
