"""Who and where (applets/system.py), and sleep on the simulated clock."""

from __future__ import annotations

import pytest
from shell_helpers import Ran, make_env, sh

from chaoskit.sim.kubelet.shell import Forever, Sleep, run_script


def test_sleep_takes_simulated_time() -> None:
    assert sh("sleep 5; sleep 1m 30; sleep 0.5s") == Ran(0, "", "", 95.5)
    assert sh("sleep 1h").slept == 3600.0
    assert sh("sleep infinity").code is None
    env, _, _ = make_env()
    assert list(run_script("sleep 2; sleep infinity", env)) == [Sleep(2.0), Forever()]
    assert sh("sleep soon") == Ran(1, "", "sleep: invalid number 'soon'\n", 0.0)


@pytest.mark.parametrize(("flavour", "usage"), [("busybox", "BusyBox v1.36.1 multi-call binary.\n"),
                                                ("gnu", "sleep: missing operand\n")])
def test_sleep_without_an_operand(flavour: str, usage: str) -> None:
    assert sh("sleep", flavour=flavour) == Ran(1, "", usage, 0.0)


def test_a_loop_that_sleeps_is_not_charged_extra() -> None:
    env, _, _ = make_env()
    steps = run_script("while true; do echo tick; sleep 10; done", env)
    assert [next(steps) for _ in range(3)] == [Sleep(10.0)] * 3
    spinning = run_script("while true; do echo spin; done", env)
    assert [next(spinning) for _ in range(2)] == [Sleep(1.0)] * 2


def test_identity_and_process_table() -> None:
    assert sh("hostname; whoami").out == "web-0\nroot\n"
    assert sh("date", __DATE__="Mon Mar  2 10:00:00 UTC 2026").out == "Mon Mar  2 10:00:00 UTC 2026\n"
    assert sh("ps aux").out == ("PID   USER     TIME  COMMAND\n    1 root      0:00 nginx -g daemon off;\n"
                                "   42 root      0:00 ps aux\n")
    assert sh("uname").out == "Linux\n"


@pytest.mark.parametrize(("flavour", "groups", "os"), [
    ("busybox", "groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),20(dialout),26(tape),"
                "27(video)", "Linux"),
    ("gnu", "groups=0(root)", "GNU/Linux"),
])
def test_id_and_uname_follow_the_flavour(flavour: str, groups: str, os: str) -> None:
    assert sh("id", flavour=flavour).out == f"uid=0(root) gid=0(root) {groups}\n"
    assert sh("uname -a", flavour=flavour).out == (
        f"Linux web-0 6.8.0-58-generic #60-Ubuntu SMP PREEMPT_DYNAMIC x86_64 {os}\n")
