"""Text filters and the environment: what a trainee pipes ``env`` or a log file through."""

from __future__ import annotations

import re

from chaoskit.sim.kubelet.shell.applets.registry import applet
from chaoskit.sim.kubelet.shell.flavour import busybox_usage
from chaoskit.sim.kubelet.shell.steps import Env, abs_path


@applet("env", "printenv")
def env_(args: list[str], env: Env) -> int:
    if args:
        name = args[0]
        if name in env.vars:
            env.out(env.vars[name] + "\n")
            return 0
        return 1
    for k, v in env.vars.items():
        env.out(f"{k}={v}\n")
    return 0


@applet("grep")
def grep(args: list[str], env: Env) -> int:
    """``-i`` and ``-v``; a pattern that is not a valid regex matches literally."""
    flags = [a for a in args if a.startswith("-")]
    rest = [a for a in args if not a.startswith("-")]
    if not rest:
        env.err(busybox_usage("grep [-HhnlLoqvsrRiwFE] PATTERN/-e PATTERN.. [FILE]..."))
        return 2
    pattern, files = rest[0], rest[1:]
    ignore = any("i" in f for f in flags)
    invert = any("v" in f for f in flags)
    text = env.stdin or "" if not files else "".join(env.files.get(abs_path(f, env), "") for f in files)
    try:
        rx = re.compile(pattern, re.IGNORECASE if ignore else 0)
    except re.error:
        rx = re.compile(re.escape(pattern), re.IGNORECASE if ignore else 0)
    hits = [line for line in text.splitlines() if bool(rx.search(line)) != invert]
    for line in hits:
        env.out(line + "\n")
    return 0 if hits else 1


def _lines(args: list[str], env: Env, tail: bool) -> int:
    """head and tail: ``-n N``, ``-N``; the first file, or stdin."""
    n = 10
    files = []
    i = 0
    while i < len(args):
        if args[i] == "-n" and i + 1 < len(args) and args[i + 1].isdigit():
            n = int(args[i + 1])
            i += 2
            continue
        if args[i].startswith("-") and args[i][1:].isdigit():
            n = int(args[i][1:])
        else:
            files.append(args[i])
        i += 1
    text = env.stdin or "" if not files else env.files.get(abs_path(files[0], env), "")
    lines = text.splitlines()
    for line in (lines[-n:] if tail else lines[:n]) if n else []:
        env.out(line + "\n")
    return 0


@applet("head")
def head(args: list[str], env: Env) -> int:
    return _lines(args, env, tail=False)


@applet("tail")
def tail(args: list[str], env: Env) -> int:
    return _lines(args, env, tail=True)
