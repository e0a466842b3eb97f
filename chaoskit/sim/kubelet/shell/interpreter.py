"""Runs the parser's AST: sequences, loops, pipelines, redirections, ``$VAR`` expansion, and the
lookup of each command among the shell (``sh -c``), its builtins and the image's applets.

Scripts run as generators that yield :class:`Sleep` steps, so ``sleep 30`` takes thirty
simulator seconds. A command the image does not carry fails as sh does: ``sh: foo: not found``
and exit 127. ``sh``/``ash``/``bash`` live here rather than among the applets because running a
nested script needs the interpreter, and the interpreter imports the applets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import assert_never

from chaoskit.sim.kubelet.shell.applets import APPLETS, BUILTINS, Applet
from chaoskit.sim.kubelet.shell.parser import (
    Command,
    ForLoop,
    If,
    Node,
    ParseError,
    Pipeline,
    Redirect,
    Seq,
    WhileLoop,
    parse_script,
)
from chaoskit.sim.kubelet.shell.steps import Env, ExitShell, Forever, Run, Sleep, abs_path

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*|\?)\}|\$([A-Za-z_][A-Za-z0-9_]*|\?)")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def expand(text: str, env: Env) -> str:
    """``$NAME``, ``${NAME}`` and ``$?``; an unset variable is empty; ``$HOSTNAME`` defaults to the pod's."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name == "?":
            return str(env.last_status)
        if name == "HOSTNAME" and name not in env.vars:
            return env.hostname
        return env.vars.get(name, "")

    return _VAR.sub(repl, text)


def run_script(script: str, env: Env) -> Run:
    """``sh -c script``: exit 2 on a syntax error; ``exit`` ends the script and is remembered in
    ``env.exit_requested`` (an interactive shell closes)."""
    try:
        seq = parse_script(script)
    except (ParseError, ValueError) as exc:
        env.err(f"sh: {exc}")
        return 2
    try:
        return (yield from run_seq(seq, env))
    except ExitShell as stop:
        env.exit_requested = stop.code
        return stop.code


def run_argv(argv: list[str], env: Env) -> Run:
    """Exec one command without a shell around it (``kubectl exec -- ls /``): no expansion."""
    try:
        return (yield from run_command(argv, env, expand_words=False))
    except ExitShell as stop:
        return stop.code


def drain(gen: Run, limit: float = 3600.0) -> tuple[int | None, float]:
    """Run a shell generator to the end at once: (exit code, simulated seconds it slept).

    The code is None when the script waits forever (``sleep infinity``, a serving loop) or sleeps
    past ``limit`` simulated seconds (so an endless loop cannot hang the caller).
    """
    elapsed = 0.0
    try:
        step = next(gen)
        while True:
            if isinstance(step, Sleep):
                elapsed += step.seconds
            if isinstance(step, Forever) or elapsed > limit:
                gen.close()
                return None, float("inf")
            step = gen.send(None)
    except StopIteration as done:
        return int(done.value or 0), elapsed


def run_seq(seq: Seq, env: Env) -> Run:
    status = 0
    for connector, node in seq.items:
        if connector == "&&" and status != 0:
            continue
        if connector == "||" and status == 0:
            continue
        status = yield from run_node(node, env)
        env.last_status = status
    return status


def run_node(node: Node, env: Env) -> Run:
    match node:
        case Command(argv=argv, redirs=redirs):
            if redirs:
                return (yield from _run_redirected(argv, redirs, env))
            return (yield from run_command(argv, env))
        case WhileLoop(cond=cond, body=body, until=until):
            return (yield from _run_while(cond, body, until, env))
        case ForLoop(var=var, words=words, body=body):
            status = 0
            for word in [w for raw in words for w in expand(raw, env).split()]:
                env.vars[var] = word
                status = yield from run_seq(body, env)
            return status
        case If(cond=cond, then=then, orelse=orelse):
            test = yield from run_seq(cond, env)
            return (yield from run_seq(then if test == 0 else orelse, env))
        case Pipeline(stages=stages):
            return (yield from _run_pipe(stages, env))
        case _:
            assert_never(node)


def _run_while(cond: Seq, body: Seq, until: bool, env: Env) -> Run:
    status = 0
    while True:
        slept = env.loop_guard[0]
        test = yield from run_seq(cond, env)
        if (test == 0) == until:
            return status
        status = yield from run_seq(body, env)
        if env.loop_guard[0] == slept:
            # A loop that never sleeps burns CPU forever; model it as time passing.
            yield Sleep(1.0)


def _line_sink(write: Callable[[str], None]) -> Callable[[str], None]:
    """An err() callback (takes a line) writing into an out()-style sink (takes text)."""
    return lambda line: write(line + "\n")


def _strip_sink(err: Callable[[str], None]) -> Callable[[str], None]:
    return lambda text: err(text.rstrip("\n"))


def _run_redirected(argv: Sequence[str], redirs: Sequence[Redirect], env: Env) -> Run:
    """``> f``, ``>> f``, ``2> f``, ``>&2``, ``2>&1`` and ``< f`` around one command."""
    out, err, stdin = env.out, env.err, env.stdin
    files: dict[str, list[str]] = {}
    try:
        for redir in redirs:
            op, target = redir.op, redir.target
            path = abs_path(expand(target, env), env) if not target.isdigit() else target
            if op in (">", ">>", "2>", "2>>"):
                buf = files.setdefault(path, [])
                if op.endswith(">>"):
                    buf.append(env.files.get(path, ""))
                if op.startswith("2"):
                    env.err = _line_sink(buf.append)
                else:
                    env.out = buf.append
            elif op == ">&" and target == "2":
                env.out = _strip_sink(err)
            elif op == "2>&" and target == "1":
                env.err = _line_sink(env.out)
            elif op == "<":
                if path not in env.files:
                    err(f"sh: can't open '{target}': no such file")
                    return 1
                env.stdin = env.files[path]
        return (yield from run_command(argv, env))
    finally:
        env.out, env.err, env.stdin = out, err, stdin
        for path, chunks in files.items():
            if path != "/dev/null":
                env.files[path] = "".join(chunks)


def _run_pipe(stages: Sequence[Node], env: Env) -> Run:
    """Each stage's stdout becomes the next one's stdin; stderr goes straight out."""
    out, stdin = env.out, env.stdin
    status = 0
    try:
        for i, stage in enumerate(stages):
            chunks: list[str] = []
            env.out = out if i == len(stages) - 1 else chunks.append
            status = yield from run_node(stage, env)
            env.stdin = "".join(chunks)
    finally:
        env.out, env.stdin = out, stdin
    return status


def run_command(argv: Sequence[str], env: Env, expand_words: bool = True) -> Run:
    """Leading ``NAME=value`` words set variables; the rest runs if the image carries the command."""
    words = [expand(a, env) for a in argv] if expand_words else list(argv)
    assigns = []
    while words and _ASSIGN.match(words[0]):
        assigns.append(words.pop(0))
    for a in assigns:
        k, _, v = a.partition("=")
        env.vars[k] = v
    if not words:
        return 0
    name = words[0].rsplit("/", 1)[-1] if words[0].startswith("/bin/") or words[0].startswith("/usr/bin/") \
        else words[0]
    handler = lookup(name)
    if handler is None or (env.tools is not None and name not in env.tools and name not in BUILTINS):
        env.err(env.words.not_found.format(name=words[0]))
        return 127
    return (yield from handler(words[1:], env))


def sh(args: list[str], env: Env) -> Run:
    """A nested shell shares the caller's environment; without ``-c`` it reads EOF and exits 0."""
    if len(args) >= 2 and args[0] == "-c":
        return (yield from run_script(args[1], env))
    return 0


SHELLS: dict[str, Applet] = {"sh": sh, "ash": sh, "bash": sh}

COMMANDS = frozenset(APPLETS) | frozenset(SHELLS)
"""Every command name the shell model knows; an image carries the ones its toolset lists."""


def lookup(name: str) -> Applet | None:
    return SHELLS.get(name) or APPLETS.get(name)
