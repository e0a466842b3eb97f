"""A small POSIX shell model: enough of ``sh -c`` for what container commands really do.

Scripts run as generators that yield :class:`Sleep` steps, so ``sleep 30`` takes thirty
simulator seconds. Supported: ``;``, ``&&``, ``||``, ``while ...; do ...; done``,
``for x in ...; do ...; done``, ``if ...; then ...; [else ...;] fi``, ``$VAR`` expansion,
and the builtins and busybox applets listed in :data:`COMMANDS`. Anything else fails as sh
does: ``sh: foo: not found`` and exit 127.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Generator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Alloc:
    """The process's working set becomes ``bytes``."""

    bytes: int


@dataclass(frozen=True)
class Forever:
    """Nothing more happens until a signal."""


Step = Sleep | Alloc | Forever
Run = Generator[Step, None, int]


class ExitShell(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Env:
    """What a shell reads and writes: variables, files, and an output sink."""

    vars: dict[str, str]
    files: dict[str, str]
    out: Callable[[str], None]
    err: Callable[[str], None]
    flavour: str = "busybox"  # busybox | gnu: error message style
    hostname: str = "localhost"
    last_status: int = 0
    loop_guard: list[int] = field(default_factory=lambda: [0])


def _expand(text: str, env: Env) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name == "?":
            return str(env.last_status)
        if name == "HOSTNAME" and name not in env.vars:
            return env.hostname
        return env.vars.get(name, "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*|\?)\}|\$([A-Za-z_][A-Za-z0-9_]*|\?)", repl, text)


def tokenize(script: str) -> list[str]:
    lex = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|")
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


# ---------------------------------------------------------------- parsing into a tiny AST

Node = tuple  # ("cmd", argv) | ("while", cond, body) | ("for", var, words, body) | ("if", cond, then, else)
Seq = list[tuple[str, Node]]  # (connector before this node: ";", "&&", "||"), node


class ParseError(Exception):
    pass


def parse(tokens: list[str]) -> Seq:
    pos, seq = _parse_seq(tokens, 0, ())
    if pos != len(tokens):
        raise ParseError(f"syntax error: unexpected \"{tokens[pos]}\"")
    return seq


def _parse_seq(toks: list[str], pos: int, stop: tuple[str, ...]) -> tuple[int, Seq]:
    seq: Seq = []
    connector = ";"
    while pos < len(toks):
        tok = toks[pos]
        if tok in stop:
            break
        if tok in (";", "&"):
            connector = ";"
            pos += 1
            continue
        if tok in ("&&", "||"):
            connector = tok
            pos += 1
            continue
        pos, node = _parse_node(toks, pos)
        seq.append((connector, node))
        connector = ";"
    return pos, seq


def _expect(toks: list[str], pos: int, word: str) -> int:
    while pos < len(toks) and toks[pos] == ";":
        pos += 1
    if pos >= len(toks) or toks[pos] != word:
        found = toks[pos] if pos < len(toks) else "end of file"
        raise ParseError(f"syntax error: unexpected {found} (expecting \"{word}\")")
    return pos + 1


def _parse_node(toks: list[str], pos: int) -> tuple[int, Node]:
    if pos >= len(toks):
        raise ParseError("syntax error: unexpected end of file")
    tok = toks[pos]
    if tok in ("while", "until"):
        pos, cond = _parse_seq(toks, pos + 1, ("do",))
        pos = _expect(toks, pos, "do")
        pos, body = _parse_seq(toks, pos, ("done",))
        pos = _expect(toks, pos, "done")
        return pos, (tok, cond, body)
    if tok == "for":
        var = toks[pos + 1] if pos + 1 < len(toks) else ""
        pos += 2
        words: list[str] = []
        if pos < len(toks) and toks[pos] == "in":
            pos += 1
            while pos < len(toks) and toks[pos] not in (";", "do"):
                words.append(toks[pos])
                pos += 1
        pos = _expect(toks, pos, "do")
        pos, body = _parse_seq(toks, pos, ("done",))
        pos = _expect(toks, pos, "done")
        return pos, ("for", var, words, body)
    if tok == "if":
        pos, cond = _parse_seq(toks, pos + 1, ("then",))
        pos = _expect(toks, pos, "then")
        pos, then = _parse_seq(toks, pos, ("else", "fi"))
        other: Seq = []
        if pos < len(toks) and toks[pos] == "else":
            pos, other = _parse_seq(toks, pos + 1, ("fi",))
        pos = _expect(toks, pos, "fi")
        return pos, ("if", cond, then, other)
    argv = []
    while pos < len(toks) and toks[pos] not in (";", "&&", "||", "&", "|"):
        argv.append(toks[pos])
        pos += 1
    if pos < len(toks) and toks[pos] == "|":
        # Pipelines: run the last command (enough for `cat f | grep x`-free scripts).
        pos += 1
        if pos >= len(toks) or toks[pos] in (";", "&&", "||", "&", "|"):
            raise ParseError("syntax error: unexpected end of file")
        return _parse_node(toks, pos)
    return pos, ("cmd", argv)


# ---------------------------------------------------------------- execution


def run_script(script: str, env: Env) -> Run:
    try:
        seq = parse(tokenize(script))
    except (ParseError, ValueError) as exc:
        env.err(f"sh: {exc}")
        return 2
    try:
        return (yield from _run_seq(seq, env))
    except ExitShell as stop:
        return stop.code


def run_argv(argv: list[str], env: Env) -> Run:
    try:
        return (yield from _run_cmd(argv, env, expand=False))
    except ExitShell as stop:
        return stop.code


def _run_seq(seq: Seq, env: Env) -> Run:
    status = 0
    for connector, node in seq:
        if connector == "&&" and status != 0:
            continue
        if connector == "||" and status == 0:
            continue
        status = yield from _run_node(node, env)
        env.last_status = status
    return status


def _run_node(node: Node, env: Env) -> Run:
    kind = node[0]
    if kind == "cmd":
        return (yield from _run_cmd(node[1], env))
    if kind in ("while", "until"):
        status = 0
        while True:
            slept = env.loop_guard[0]
            cond = yield from _run_seq(node[1], env)
            if (cond == 0) != (kind == "while"):
                return status
            status = yield from _run_seq(node[2], env)
            if env.loop_guard[0] == slept:
                # A loop that never sleeps burns CPU forever; model it as time passing.
                yield Sleep(1.0)
    if kind == "for":
        status = 0
        for word in [w for raw in node[2] for w in _expand(raw, env).split()]:
            env.vars[node[1]] = word
            status = yield from _run_seq(node[3], env)
        return status
    if kind == "if":
        cond = yield from _run_seq(node[1], env)
        return (yield from _run_seq(node[2] if cond == 0 else node[3], env))
    return 0


def _run_cmd(argv: list[str], env: Env, expand: bool = True) -> Run:
    words = [_expand(a, env) for a in argv] if expand else list(argv)
    assigns = []
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        assigns.append(words.pop(0))
    for a in assigns:
        k, _, v = a.partition("=")
        env.vars[k] = v
    if not words:
        return 0
    name = words[0].rsplit("/", 1)[-1] if words[0].startswith("/bin/") or words[0].startswith("/usr/bin/") \
        else words[0]
    handler = COMMANDS.get(name)
    if handler is None:
        env.err(f"sh: {words[0]}: not found")
        return 127
    return (yield from handler(words[1:], env))


def _sleep(args: list[str], env: Env) -> Run:
    if not args:
        env.err("sleep: missing operand" if env.flavour == "gnu" else "BusyBox v1.36.1 multi-call binary.")
        return 1
    if args[0] == "infinity":
        yield Forever()
        return 0
    total = 0.0
    for a in args:
        m = re.match(r"^(\d+(?:\.\d+)?)([smhd]?)$", a)
        if not m:
            env.err(f"sleep: invalid number '{a}'")
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    env.loop_guard[0] += 1
    yield Sleep(total)
    return 0


def _echo(args: list[str], env: Env) -> Run:
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    env.out(" ".join(args) + ("\n" if newline else ""))
    return 0
    yield  # pragma: no cover - makes this a generator


def _printf(args: list[str], env: Env) -> Run:
    if not args:
        return 1
    text = args[0].replace("\\n", "\n").replace("%s", "{}")
    try:
        env.out(text.format(*args[1:]))
    except IndexError:
        env.out(text.replace("{}", ""))
    return 0
    yield  # pragma: no cover


def _exit(args: list[str], env: Env) -> Run:
    code = int(args[0]) if args and args[0].lstrip("-").isdigit() else env.last_status
    raise ExitShell(code & 0xFF)
    yield  # pragma: no cover


def _const(code: int) -> Callable[[list[str], Env], Run]:
    def run(args: list[str], env: Env) -> Run:
        return code
        yield  # pragma: no cover

    return run


def _cat(args: list[str], env: Env) -> Run:
    status = 0
    for path in args:
        if path in env.files:
            env.out(env.files[path])
        elif any(f.startswith(path.rstrip("/") + "/") for f in env.files):
            env.err("cat: read error: Is a directory" if env.flavour == "busybox" else f"cat: {path}: Is a directory")
            status = 1
        else:
            env.err(f"cat: can't open '{path}': No such file or directory" if env.flavour == "busybox"
                    else f"cat: {path}: No such file or directory")
            status = 1
    return status
    yield  # pragma: no cover


def _env(args: list[str], env: Env) -> Run:
    if args:
        name = args[0]
        if name in env.vars:
            env.out(env.vars[name] + "\n")
            return 0
        return 1
    for k, v in env.vars.items():
        env.out(f"{k}={v}\n")
    return 0
    yield  # pragma: no cover


def _touch(args: list[str], env: Env) -> Run:
    for path in args:
        env.files.setdefault(path, "")
    return 0
    yield  # pragma: no cover


def _rm(args: list[str], env: Env) -> Run:
    force = any(a.startswith("-") and "f" in a for a in args)
    status = 0
    for path in (a for a in args if not a.startswith("-")):
        if env.files.pop(path, None) is None and not force:
            env.err(f"rm: can't remove '{path}': No such file or directory" if env.flavour == "busybox"
                    else f"rm: cannot remove '{path}': No such file or directory")
            status = 1
    return status
    yield  # pragma: no cover


def _mkdir(args: list[str], env: Env) -> Run:
    return 0
    yield  # pragma: no cover


def _test(args: list[str], env: Env) -> Run:
    if args and args[-1] == "]":
        args = args[:-1]
    return 0 if _test_expr(args, env) else 1
    yield  # pragma: no cover


def _test_expr(args: list[str], env: Env) -> bool:
    if not args:
        return False
    if args[0] == "!":
        return not _test_expr(args[1:], env)
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, val = args
        if op in ("-f", "-e", "-r", "-s"):
            return val in env.files and (op != "-s" or env.files[val] != "")
        if op == "-d":
            return any(f.startswith(val.rstrip("/") + "/") for f in env.files)
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


def _hostname(args: list[str], env: Env) -> Run:
    env.out(env.hostname + "\n")
    return 0
    yield  # pragma: no cover


def _date(args: list[str], env: Env) -> Run:
    env.out(env.vars.get("__DATE__", "Thu Jan  1 00:00:00 UTC 1970") + "\n")
    return 0
    yield  # pragma: no cover


def _sh(args: list[str], env: Env) -> Run:
    if len(args) >= 2 and args[0] == "-c":
        return (yield from run_script(args[1], env))
    return 0


COMMANDS: dict[str, Callable[[list[str], Env], Run]] = {
    "sleep": _sleep, "echo": _echo, "printf": _printf, "exit": _exit, "true": _const(0), "false": _const(1),
    ":": _const(0), "cat": _cat, "env": _env, "printenv": _env, "touch": _touch, "rm": _rm, "mkdir": _mkdir,
    "test": _test, "[": _test, "hostname": _hostname, "date": _date, "sh": _sh,
}
