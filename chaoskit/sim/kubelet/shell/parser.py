"""``sh -c`` text to a small AST of frozen dataclasses.

Covers what container commands really use: ``;``, ``&&``, ``||``, ``|``, redirections
(``>``, ``>>``, ``2>``, ``2>&1``, ``>&2``, ``<``), ``while``/``until``, ``for``, ``if``/``else``.
Words keep their ``$VAR`` text: expansion happens when a command runs, because a loop body sees
the variable's value at each pass. A script the parser rejects makes ``sh`` exit 2, as dash does.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

_COMMAND_END = (";", "&&", "||", "&", "|")


@dataclass(frozen=True)
class Redirect:
    """``op`` is one of ``>``, ``>>``, ``2>``, ``2>>``, ``>&``, ``2>&``, ``<``; ``target`` a path or a fd."""

    op: str
    target: str


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    redirs: tuple[Redirect, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    """Each stage's output is the next stage's input; the first stage is always a simple command."""

    stages: tuple[Node, ...]


@dataclass(frozen=True)
class Seq:
    """Nodes run in order; each carries the connector before it (``;``, ``&&`` or ``||``)."""

    items: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True)
class WhileLoop:
    cond: Seq
    body: Seq
    until: bool = False


@dataclass(frozen=True)
class ForLoop:
    var: str
    words: tuple[str, ...]
    body: Seq


@dataclass(frozen=True)
class If:
    cond: Seq
    then: Seq
    orelse: Seq = Seq()


Node = Command | Pipeline | WhileLoop | ForLoop | If


class ParseError(Exception):
    """A script the shell model cannot parse (sh exits 2)."""


def tokenize(script: str) -> list[str]:
    """Words and operators; quotes are removed here, so ``'a b'`` is one word. Raises ValueError on an
    unterminated quote (``No closing quotation``)."""
    lex = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


def parse(tokens: list[str]) -> Seq:
    pos, seq = _parse_seq(tokens, 0, ())
    if pos != len(tokens):
        raise ParseError(f"syntax error: unexpected \"{tokens[pos]}\"")
    return seq


def parse_script(script: str) -> Seq:
    """tokenize, then parse (ValueError from the tokenizer, ParseError from the grammar)."""
    return parse(tokenize(script))


def _parse_seq(toks: list[str], pos: int, stop: tuple[str, ...]) -> tuple[int, Seq]:
    items: list[tuple[str, Node]] = []
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
        items.append((connector, node))
        connector = ";"
    return pos, Seq(tuple(items))


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
        return pos, WhileLoop(cond, body, until=tok == "until")
    if tok == "for":
        return _parse_for(toks, pos)
    if tok == "if":
        pos, cond = _parse_seq(toks, pos + 1, ("then",))
        pos = _expect(toks, pos, "then")
        pos, then = _parse_seq(toks, pos, ("else", "fi"))
        other = Seq()
        if pos < len(toks) and toks[pos] == "else":
            pos, other = _parse_seq(toks, pos + 1, ("fi",))
        pos = _expect(toks, pos, "fi")
        return pos, If(cond, then, other)
    return _parse_command(toks, pos)


def _parse_for(toks: list[str], pos: int) -> tuple[int, Node]:
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
    return pos, ForLoop(var, tuple(words), body)


def _parse_command(toks: list[str], pos: int) -> tuple[int, Node]:
    """A simple command with its redirections, and the pipeline it starts if a ``|`` follows."""
    argv: list[str] = []
    redirs: list[Redirect] = []
    while pos < len(toks) and toks[pos] not in _COMMAND_END:
        tok = toks[pos]
        if tok in (">", ">>", ">&", "<") and pos + 1 < len(toks):
            op = "2" + tok if argv and argv[-1] == "2" and tok != "<" else tok
            if op.startswith("2"):
                argv.pop()
            redirs.append(Redirect(op, toks[pos + 1]))
            pos += 2
            continue
        argv.append(tok)
        pos += 1
    command = Command(tuple(argv), tuple(redirs))
    if pos < len(toks) and toks[pos] == "|":
        pos += 1
        if pos >= len(toks) or toks[pos] in _COMMAND_END:
            raise ParseError("syntax error: unexpected end of file")
        pos, right = _parse_node(toks, pos)
        stages = right.stages if isinstance(right, Pipeline) else (right,)
        return pos, Pipeline((command, *stages))
    return pos, command
