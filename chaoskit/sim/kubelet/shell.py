"""A small POSIX shell model: enough of ``sh -c`` for what container commands really do.

Scripts run as generators that yield :class:`Sleep` steps, so ``sleep 30`` takes thirty
simulator seconds. Supported: ``;``, ``&&``, ``||``, ``while ...; do ...; done``,
``for x in ...; do ...; done``, ``if ...; then ...; [else ...;] fi``, ``$VAR`` expansion,
and the builtins and busybox applets listed in :data:`COMMANDS`. Anything else fails as sh
does: ``sh: foo: not found`` and exit 127.
"""

from __future__ import annotations

import io
import re
import shlex
import tarfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any


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
    out: Callable[[Any], None]  # text, or bytes for binary output such as tar's
    err: Callable[[str], None]
    flavour: str = "busybox"  # busybox | gnu: error message style
    hostname: str = "localhost"
    last_status: int = 0
    loop_guard: list[int] = field(default_factory=lambda: [0])
    tools: frozenset[str] | None = None  # the commands this image carries (None: all)
    net: Any = None                      # a ClusterNet, for nslookup/wget/curl/nc/ping
    namespace: str = "default"
    cwd: str = "/"
    stdin: str | None = None             # the upstream output in a pipeline
    exit_requested: int | None = None    # set by `exit` (an interactive shell ends)
    argv0: str = "sh"                    # PID 1's command line, for ps
    pod_ip: str = ""                     # this pod's address (localhost reaches the pod's own containers)


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
    lex = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


# ---------------------------------------------------------------- parsing into a tiny AST

Node = tuple  # ("cmd", argv) | ("while", cond, body) | ("for", var, words, body) | ("if", cond, then, else)
Seq = list[tuple[str, Node]]  # (connector before this node: ";", "&&", "||"), node


class ParseError(Exception):
    """A script the shell model cannot parse (sh exits 2)."""


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
    argv: list[str] = []
    redirs: list[tuple[str, str]] = []  # (operator, target), e.g. (">", "/tmp/x"), ("2>", "/dev/null")
    while pos < len(toks) and toks[pos] not in (";", "&&", "||", "&", "|"):
        tok = toks[pos]
        if tok in (">", ">>", ">&", "<") and pos + 1 < len(toks):
            op = "2" + tok if argv and argv[-1] == "2" and tok != "<" else tok
            if op.startswith("2"):
                argv.pop()
            redirs.append((op, toks[pos + 1]))
            pos += 2
            continue
        argv.append(tok)
        pos += 1
    if pos < len(toks) and toks[pos] == "|":
        pos += 1
        if pos >= len(toks) or toks[pos] in (";", "&&", "||", "&", "|"):
            raise ParseError("syntax error: unexpected end of file")
        pos, right = _parse_node(toks, pos)
        stages = right[1] if right[0] == "pipe" else [right]
        return pos, ("pipe", [("cmd", argv, redirs), *stages])
    return pos, ("cmd", argv, redirs)


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
        env.exit_requested = stop.code
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
        if len(node) > 2 and node[2]:
            return (yield from _run_redirected(node[1], node[2], env))
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
    if kind == "pipe":
        return (yield from _run_pipe(node[1], env))
    return 0


def _line_sink(write: Callable[[str], None]) -> Callable[[str], None]:
    """An err() callback (takes a line) writing into an out()-style sink (takes text)."""
    return lambda line: write(line + "\n")


def _strip_sink(err: Callable[[str], None]) -> Callable[[str], None]:
    return lambda text: err(text.rstrip("\n"))


def _run_redirected(argv: list[str], redirs: list[tuple[str, str]], env: Env) -> Run:
    """``> f``, ``>> f``, ``2> f``, ``>&2``, ``2>&1`` and ``< f`` around one command."""
    out, err, stdin = env.out, env.err, env.stdin
    files: dict[str, list[str]] = {}
    try:
        for op, target in redirs:
            path = _abs(_expand(target, env), env) if not target.isdigit() else target
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
        return (yield from _run_cmd(argv, env))
    finally:
        env.out, env.err, env.stdin = out, err, stdin
        for path, chunks in files.items():
            if path != "/dev/null":
                env.files[path] = "".join(chunks)


def _run_pipe(stages: list[Node], env: Env) -> Run:
    """Each stage's stdout becomes the next one's stdin; stderr goes straight out."""
    out, stdin = env.out, env.stdin
    status = 0
    try:
        for i, stage in enumerate(stages):
            chunks: list[str] = []
            env.out = out if i == len(stages) - 1 else chunks.append
            status = yield from _run_node(stage, env)
            env.stdin = "".join(chunks)
    finally:
        env.out, env.stdin = out, stdin
    return status


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
    if handler is None or (env.tools is not None and name not in env.tools and name not in BUILTINS):
        env.err(f"sh: {words[0]}: not found" if env.flavour == "busybox" else f"sh: 1: {words[0]}: not found")
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
    if not args and env.stdin is not None:
        env.out(env.stdin)
    for path in (_abs(a, env) for a in args):
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
            path = _abs(val, env).rstrip("/") or "/"
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


def _abs(path: str, env: Env) -> str:
    if path.startswith("/"):
        return path
    return (env.cwd.rstrip("/") + "/" + path) if path not in (".", "") else env.cwd


ROOT_DIRS = ("bin", "dev", "etc", "home", "lib", "proc", "root", "sys", "tmp", "usr", "var")


def _ls(args: list[str], env: Env) -> Run:
    paths = [_abs(a, env) for a in args if not a.startswith("-")] or [env.cwd]
    status = 0
    for path in paths:
        base = path.rstrip("/") or "/"
        if base in env.files:
            env.out(base.rsplit("/", 1)[-1] + "\n")
            continue
        prefix = "/" if base == "/" else base + "/"
        names = {f[len(prefix):].split("/", 1)[0] for f in env.files if f.startswith(prefix)}
        if base == "/":
            names |= set(ROOT_DIRS)
        elif not names and base.strip("/") not in ROOT_DIRS:
            env.err(f"ls: {path}: No such file or directory" if env.flavour == "busybox"
                    else f"ls: cannot access '{path}': No such file or directory")
            status = 1 if env.flavour == "busybox" else 2
            continue
        if len(paths) > 1:
            env.out(f"{path}:\n")
        if names:
            env.out("\n".join(sorted(names)) + "\n")
    return status
    yield  # pragma: no cover


def _cd(args: list[str], env: Env) -> Run:
    target = _abs(args[0], env) if args else "/root"
    if target in env.files:
        env.err(f"sh: cd: can't cd to {args[0]}: Not a directory")
        return 2
    env.cwd = target.rstrip("/") or "/"
    return 0
    yield  # pragma: no cover


def _pwd(args: list[str], env: Env) -> Run:
    env.out(env.cwd + "\n")
    return 0
    yield  # pragma: no cover


def _ps(args: list[str], env: Env) -> Run:
    env.out("PID   USER     TIME  COMMAND\n")
    env.out(f"    1 root      0:00 {env.argv0}\n")
    env.out("   42 root      0:00 ps " + " ".join(args) + "\n" if args else "   42 root      0:00 ps\n")
    return 0
    yield  # pragma: no cover


def _id(args: list[str], env: Env) -> Run:
    env.out("uid=0(root) gid=0(root) groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),"
            "20(dialout),26(tape),27(video)\n" if env.flavour == "busybox" else "uid=0(root) gid=0(root) "
            "groups=0(root)\n")
    return 0
    yield  # pragma: no cover


def _whoami(args: list[str], env: Env) -> Run:
    env.out("root\n")
    return 0
    yield  # pragma: no cover


def _uname(args: list[str], env: Env) -> Run:
    if "-a" in args:
        env.out(f"Linux {env.hostname} 6.8.0-58-generic #60-Ubuntu SMP PREEMPT_DYNAMIC x86_64 "
                f"{'Linux' if env.flavour == 'busybox' else 'GNU/Linux'}\n")
    else:
        env.out("Linux\n")
    return 0
    yield  # pragma: no cover


def _grep(args: list[str], env: Env) -> Run:
    flags = [a for a in args if a.startswith("-")]
    rest = [a for a in args if not a.startswith("-")]
    if not rest:
        env.err("BusyBox v1.36.1 multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] PATTERN/-e PATTERN.. [FILE]...")
        return 2
    pattern, files = rest[0], rest[1:]
    ignore = any("i" in f for f in flags)
    invert = any("v" in f for f in flags)
    text = env.stdin or "" if not files else "".join(env.files.get(_abs(f, env), "") for f in files)
    try:
        rx = re.compile(pattern, re.IGNORECASE if ignore else 0)
    except re.error:
        rx = re.compile(re.escape(pattern), re.IGNORECASE if ignore else 0)
    hits = [line for line in text.splitlines() if bool(rx.search(line)) != invert]
    for line in hits:
        env.out(line + "\n")
    return 0 if hits else 1
    yield  # pragma: no cover


def _head_tail(tail: bool) -> Callable[[list[str], Env], Run]:
    def run(args: list[str], env: Env) -> Run:
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
        text = env.stdin or "" if not files else env.files.get(_abs(files[0], env), "")
        lines = text.splitlines()
        for line in (lines[-n:] if tail else lines[:n]) if n else []:
            env.out(line + "\n")
        return 0
        yield  # pragma: no cover

    return run


# ---------------------------------------------------------------- the network tools


def _url(raw: str) -> tuple[str, int, str]:
    rest = raw.split("://", 1)[1] if "://" in raw else raw
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port) if port.isdigit() else 80, "/" + path


def _nslookup(args: list[str], env: Env) -> Run:
    names = [a for a in args if not a.startswith("-")]
    if not names or env.net is None:
        env.err("BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
        return 1
    name = names[0]
    env.out("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n")
    found = env.net.resolve(name, env.namespace)
    if found is None:
        for fqdn in env.net.candidates(name, env.namespace):
            env.out(f"** server can't find {fqdn}: NXDOMAIN\n\n")
        return 1
    fqdn, ip = found
    env.out(f"Name:\t{fqdn}\nAddress: {ip}\n\n")
    return 0
    yield  # pragma: no cover


def _resolve(env: Env, host: str) -> tuple[str, str] | None:
    """/etc/hosts first (localhost, the pod's own name), then the cluster DNS."""
    if host in ("localhost", "127.0.0.1") and env.pod_ip:
        return host, env.pod_ip
    for line in env.files.get("/etc/hosts", "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and host in parts[1:] and "." in parts[0]:
            return host, parts[0] if parts[0] != "127.0.0.1" or not env.pod_ip else env.pod_ip
    return env.net.resolve(host, env.namespace) if env.net is not None else None


def _fetch(env: Env, url: str) -> Any:
    host, port, path = _url(url)
    found = _resolve(env, host)
    if found is None:
        return host, port, None, None
    return host, port, found[1], env.net.connect(found[1], port, "GET", path)


def _wget(args: list[str], env: Env) -> Run:
    quiet = any(a in ("-q", "-qO-", "-qO") or (a.startswith("-q") and len(a) <= 4) for a in args)
    to_stdout = any(a in ("-O-", "-qO-") for a in args) or ("-O" in args and args[args.index("-O") + 1:][:1] == ["-"])
    timeout = 900.0
    if "-T" in args and args.index("-T") + 1 < len(args):
        timeout = float(args[args.index("-T") + 1])
    urls = [a for a in args if not a.startswith("-") and a != "-" and (args.index(a) == 0 or args[args.index(a) - 1]
                                                                       not in ("-O", "-T"))]
    if not urls:
        env.err("BusyBox v1.36.1 multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] URL...")
        return 1
    host, port, ip, outcome = _fetch(env, urls[0])
    if ip is None:
        env.err(f"wget: bad address '{host}'")
        return 1
    if not quiet:
        env.err(f"Connecting to {host} ({ip}:{port})")
    kind = type(outcome).__name__
    if kind == "Refused":
        env.err(f"wget: can't connect to remote host ({ip}): Connection refused")
        return 1
    if kind == "Unreachable":
        yield Sleep(timeout)
        env.err("wget: download timed out")
        return 1
    if outcome.status >= 400:
        env.err(f"wget: server returned error: HTTP/1.1 {outcome.status} {_REASONS.get(outcome.status, '')}".rstrip())
        return 1
    if to_stdout:
        env.out(outcome.body)
    else:
        name = urls[0].rstrip("/").rsplit("/", 1)[-1] if urls[0].count("/") > 2 else "index.html"
        env.files[_abs(name or "index.html", env)] = outcome.body
        if not quiet:
            env.err(f"saving to '{name}'\n{name:<18} 100% |********************************| {len(outcome.body):>5}  "
                    f"0:00:00 ETA\n'{name}' saved")
    return 0


def _curl(args: list[str], env: Env) -> Run:
    urls = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in
                                                                         ("-o", "-m", "--max-time", "-X", "-H"))]
    if not urls:
        env.err("curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information")
        return 2
    timeout = 130.0
    for flag in ("-m", "--max-time"):
        if flag in args and args.index(flag) + 1 < len(args):
            timeout = float(args[args.index(flag) + 1])
    host, port, ip, outcome = _fetch(env, urls[0])
    if ip is None:
        env.err(f"curl: (6) Could not resolve host: {host}")
        return 6
    kind = type(outcome).__name__
    if kind == "Refused":
        env.err(f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server")
        return 7
    if kind == "Unreachable":
        yield Sleep(timeout)
        env.err(f"curl: (28) Failed to connect to {host} port {port} after {int(timeout * 1000)} ms: "
                "Couldn't connect to server")
        return 28
    if ("-f" in args or "--fail" in args) and outcome.status >= 400:
        env.err(f"curl: (22) The requested URL returned error: {outcome.status}")
        return 22
    if "-I" in args or "--head" in args:
        env.out(f"HTTP/1.1 {outcome.status} {_REASONS.get(outcome.status, '')}\r\nContent-Type: "
                f"{outcome.content_type}\r\nContent-Length: {len(outcome.body)}\r\n\r\n")
    else:
        env.out(outcome.body)
    return 0


def _nc(args: list[str], env: Env) -> Run:
    rest = [a for a in args if not a.startswith("-")]
    if len(rest) < 2 or not rest[1].isdigit() or env.net is None:
        env.err("BusyBox v1.36.1 multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect")
        return 1
    host, port = rest[0], int(rest[1])
    found = _resolve(env, host)
    if found is None:
        env.err(f"nc: bad address '{host}'")
        return 1
    outcome = env.net.connect(found[1], port)
    verbose = any("v" in a for a in args if a.startswith("-"))
    if type(outcome).__name__ == "Unreachable":
        yield Sleep(float(args[args.index("-w") + 1]) if "-w" in args and args.index("-w") + 1 < len(args) else 60)
        env.err(f"nc: {host} ({found[1]}:{port}): Connection timed out")
        return 1
    if type(outcome).__name__ == "Refused":
        env.err(f"nc: {host} ({found[1]}:{port}): Connection refused")
        return 1
    if verbose:
        env.err(f"{host} ({found[1]}:{port}) open")
    return 0


def _ping(args: list[str], env: Env) -> Run:
    rest = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in ("-c", "-W"))]
    count = int(args[args.index("-c") + 1]) if "-c" in args and args.index("-c") + 1 < len(args) else 4
    if not rest or env.net is None:
        env.err("BusyBox v1.36.1 multi-call binary.\n\nUsage: ping [OPTIONS] HOST")
        return 1
    found = _resolve(env, rest[0])
    if found is None:
        env.err(f"ping: bad address '{rest[0]}'")
        return 1
    ip = found[1]
    env.out(f"PING {rest[0]} ({ip}): 56 data bytes\n")
    answers = env.net.ping(ip)
    for seq in range(count):
        if answers:
            env.out(f"64 bytes from {ip}: seq={seq} ttl=63 time=0.081 ms\n")
        yield Sleep(1.0)
    received = count if answers else 0
    env.out(f"\n--- {rest[0]} ping statistics ---\n{count} packets transmitted, {received} packets received, "
            f"{0 if answers else 100}% packet loss\n")
    if answers:
        env.out("round-trip min/avg/max = 0.061/0.071/0.081 ms\n")
    return 0 if answers else 1


def _tar(args: list[str], env: Env) -> Run:
    """Enough of tar for kubectl cp: ``tar cf - PATH...`` and ``tar xf - -C DIR`` (flags may be ``-xmf``)."""
    if not args:
        env.err("tar: no operation specified" if env.flavour == "busybox" else "tar: You must specify one of the "
                "'-Acdtrux', '--delete' or '--test-label' options")
        return 2
    mode = args[0].lstrip("-")
    rest = args[1:]
    target_dir = env.cwd
    if "-C" in rest and rest.index("-C") + 1 < len(rest):
        target_dir = _abs(rest[rest.index("-C") + 1], env)
        rest = [a for i, a in enumerate(rest) if a != "-C" and (i == 0 or rest[i - 1] != "-C")]
    operands = [a for a in rest if a != "-" and not a.startswith("-")]
    if "c" in mode:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as archive:
            for operand in operands:
                path = _abs(operand, env).rstrip("/")
                matches = sorted(f for f in env.files if f == path or f.startswith(path + "/"))
                if not matches:
                    env.err(f"tar: {operand}: No such file or directory")
                    return 1
                for name in matches:
                    data = env.files[name].encode("latin-1", errors="replace")
                    info = tarfile.TarInfo(name.lstrip("/"))
                    info.size, info.mode, info.mtime = len(data), 0o644, 0
                    archive.addfile(info, io.BytesIO(data))
        if any(_abs(o, env).startswith("/") for o in operands):
            env.err("tar: removing leading '/' from member names")
        env.out(buf.getvalue())
        return 0
    if "x" in mode:
        raw = (env.stdin or "").encode("latin-1", errors="replace")
        try:
            with tarfile.open(fileobj=io.BytesIO(raw), mode="r:*") as archive:
                for member in archive.getmembers():
                    if member.isfile():
                        handle = archive.extractfile(member)
                        content = handle.read() if handle else b""
                        env.files[f"{target_dir.rstrip('/')}/{member.name.lstrip('/')}"] = content.decode("latin-1")
        except tarfile.TarError:
            env.err("tar: short read" if env.flavour == "busybox" else "tar: This does not look like a tar archive")
            return 1
        return 0
    env.err(f"tar: unsupported mode {args[0]}")
    return 2
    yield  # pragma: no cover


_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently",
            302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            418: "I'm a teapot", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}


COMMANDS: dict[str, Callable[[list[str], Env], Run]] = {
    "sleep": _sleep, "echo": _echo, "printf": _printf, "exit": _exit, "true": _const(0), "false": _const(1),
    ":": _const(0), "cat": _cat, "env": _env, "printenv": _env, "touch": _touch, "rm": _rm, "mkdir": _mkdir,
    "test": _test, "[": _test, "hostname": _hostname, "date": _date, "sh": _sh, "ash": _sh, "bash": _sh,
    "ls": _ls, "cd": _cd, "pwd": _pwd, "ps": _ps, "id": _id, "whoami": _whoami, "uname": _uname, "grep": _grep,
    "head": _head_tail(False), "tail": _head_tail(True), "nslookup": _nslookup, "wget": _wget, "curl": _curl,
    "nc": _nc, "ping": _ping, "tar": _tar,
}
BUILTINS = frozenset({"echo", "printf", "exit", "true", "false", ":", "test", "[", "cd", "pwd"})
_BASE = frozenset({"sleep", "cat", "env", "printenv", "touch", "rm", "mkdir", "hostname", "date", "sh", "ls", "id",
                   "whoami", "uname", "grep", "head", "tail", "tar"})
TOOLSETS: dict[str, frozenset[str]] = {
    "busybox": _BASE | {"ash", "ps", "nslookup", "wget", "nc", "ping"},
    "busybox+curl": _BASE | {"ash", "ps", "nslookup", "wget", "nc", "ping", "curl"},
    "gnu": _BASE | {"bash", "curl"},
    "gnu-bare": _BASE | {"bash"},
    "none": frozenset(),
}
