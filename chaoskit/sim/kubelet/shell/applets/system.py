"""Who and where am I: the process table, identity, the clock and ``sleep``.

``sleep`` is the one applet the interpreter's loop guard counts: a ``while`` body that never sleeps
is charged a simulated second per pass, so an endless loop cannot hang the simulator.
"""

from __future__ import annotations

import re

from chaoskit.sim.kubelet.shell.applets.registry import applet
from chaoskit.sim.kubelet.shell.steps import Env, Forever, Run, Sleep

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@applet("sleep")
def sleep(args: list[str], env: Env) -> Run:
    """Durations add up (``sleep 1m 30``); ``sleep infinity`` never returns."""
    if not args:
        env.err(env.words.sleep_usage)
        return 1
    if args[0] == "infinity":
        yield Forever()
        return 0
    total = 0.0
    for a in args:
        m = _DURATION.match(a)
        if not m:
            env.err(f"sleep: invalid number '{a}'")
            return 1
        total += float(m.group(1)) * _UNITS[m.group(2)]
    env.loop_guard[0] += 1
    yield Sleep(total)
    return 0


@applet("hostname")
def hostname(args: list[str], env: Env) -> int:
    env.out(env.hostname + "\n")
    return 0


@applet("date")
def date(args: list[str], env: Env) -> int:
    env.out(env.vars.get("__DATE__", "Thu Jan  1 00:00:00 UTC 1970") + "\n")
    return 0


@applet("ps")
def ps(args: list[str], env: Env) -> int:
    env.out("PID   USER     TIME  COMMAND\n")
    env.out(f"    1 root      0:00 {env.argv0}\n")
    env.out("   42 root      0:00 ps " + " ".join(args) + "\n" if args else "   42 root      0:00 ps\n")
    return 0


@applet("id")
def id_(args: list[str], env: Env) -> int:
    env.out(env.words.id)
    return 0


@applet("whoami")
def whoami(args: list[str], env: Env) -> int:
    env.out("root\n")
    return 0


@applet("uname")
def uname(args: list[str], env: Env) -> int:
    if "-a" in args:
        env.out(f"Linux {env.hostname} 6.8.0-58-generic #60-Ubuntu SMP PREEMPT_DYNAMIC x86_64 {env.words.uname_os}\n")
    else:
        env.out("Linux\n")
    return 0
