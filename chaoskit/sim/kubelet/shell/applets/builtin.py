"""Commands the shell itself provides: they run in any image, whatever files it carries.

``sh`` is not here: it needs the interpreter, and the interpreter imports this table.
"""

from __future__ import annotations

from chaoskit.sim.kubelet.shell.applets.registry import applet
from chaoskit.sim.kubelet.shell.steps import ROOT_DIRS, Env, ExitShell, abs_path


@applet("echo", builtin=True)
def echo(args: list[str], env: Env) -> int:
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    env.out(" ".join(args) + ("\n" if newline else ""))
    return 0


@applet("printf", builtin=True)
def printf(args: list[str], env: Env) -> int:
    """``%s`` and ``\\n`` only; missing arguments print as empty, as printf(1) does."""
    if not args:
        return 1
    text = args[0].replace("\\n", "\n").replace("%s", "{}")
    try:
        env.out(text.format(*args[1:]))
    except IndexError:
        env.out(text.replace("{}", ""))
    return 0


@applet("exit", builtin=True)
def exit_(args: list[str], env: Env) -> int:
    code = int(args[0]) if args and args[0].lstrip("-").isdigit() else env.last_status
    raise ExitShell(code & 0xFF)


@applet("true", ":", builtin=True)
def true(args: list[str], env: Env) -> int:
    return 0


@applet("false", builtin=True)
def false(args: list[str], env: Env) -> int:
    return 1


@applet("test", "[", builtin=True)
def test(args: list[str], env: Env) -> int:
    if args and args[-1] == "]":
        args = args[:-1]
    return 0 if test_expr(args, env) else 1


def test_expr(args: list[str], env: Env) -> bool:
    """One ``test`` expression: ``!``, a string, a unary file/string test, or a binary comparison."""
    if not args:
        return False
    if args[0] == "!":
        return not test_expr(args[1:], env)
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, val = args
        if op in ("-f", "-e", "-r", "-s"):
            return val in env.files and (op != "-s" or env.files[val] != "")
        if op == "-d":
            path = abs_path(val, env).rstrip("/") or "/"
            return path == "/" or path.strip("/") in ROOT_DIRS or any(f.startswith(path + "/") for f in env.files)
        if op == "-z":
            return val == ""
        if op == "-n":
            return val != ""
        return False
    a, op, b = args[0], args[1], args[2]
    if op in ("=", "=="):
        return a == b
    if op == "!=":
        return a != b
    try:
        x, y = int(a), int(b)
    except ValueError:
        return False
    return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}.get(op, False)


@applet("cd", builtin=True)
def cd(args: list[str], env: Env) -> int:
    target = abs_path(args[0], env) if args else "/root"
    if target in env.files:
        env.err(f"sh: cd: can't cd to {args[0]}: Not a directory")
        return 2
    env.cwd = target.rstrip("/") or "/"
    return 0


@applet("pwd", builtin=True)
def pwd(args: list[str], env: Env) -> int:
    env.out(env.cwd + "\n")
    return 0
