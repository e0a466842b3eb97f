"""The shell parser's AST shapes, its syntax errors, and how the interpreter runs each shape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shell_helpers import Ran, sh

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
    tokenize,
)


def cmd(*argv: str, redirs: tuple[Redirect, ...] = ()) -> Command:
    return Command(argv, redirs)


def seq(*items: Node | tuple[str, Node]) -> Seq:
    """Nodes joined by ``;`` unless given as (connector, node)."""
    return Seq(tuple(item if isinstance(item, tuple) else (";", item) for item in items))


@pytest.mark.parametrize(("script", "ast"), [
    ("echo a b", seq(cmd("echo", "a", "b"))),
    ("echo 'a b' \"c $X\"", seq(cmd("echo", "a b", "c $X"))),
    ("echo a # a comment", seq(cmd("echo", "a"))),
    ("a; b\nc & d", seq(cmd("a"), cmd("b"), cmd("c"), cmd("d"))),
    ("a && b || c", seq(cmd("a"), ("&&", cmd("b")), ("||", cmd("c")))),
    ("X=1 Y=2 env", seq(cmd("X=1", "Y=2", "env"))),
    ("", seq()),
])
def test_commands_and_lists(script: str, ast: Seq) -> None:
    assert parse_script(script) == ast


@pytest.mark.parametrize(("script", "argv", "redirs"), [
    ("echo x > /tmp/f", ("echo", "x"), (Redirect(">", "/tmp/f"),)),
    ("echo x >> f", ("echo", "x"), (Redirect(">>", "f"),)),
    ("ls 2> /dev/null", ("ls",), (Redirect("2>", "/dev/null"),)),
    ("ls >f 2>&1", ("ls",), (Redirect(">", "f"), Redirect("2>&", "1"))),
    ("echo oops >&2", ("echo", "oops"), (Redirect(">&", "2"),)),
    ("grep x < in", ("grep", "x"), (Redirect("<", "in"),)),
    ("echo 2 > f", ("echo",), (Redirect("2>", "f"),)),  # as written, `2 >` reads as 2> (dash keeps the 2)
])
def test_redirections_leave_the_command_and_keep_their_order(script: str, argv: tuple[str, ...],
                                                             redirs: tuple[Redirect, ...]) -> None:
    assert parse_script(script) == seq(Command(argv, redirs))


def test_pipelines_flatten_and_may_end_in_a_compound_command() -> None:
    assert parse_script("a | b x | c") == seq(Pipeline((cmd("a"), cmd("b", "x"), cmd("c"))))
    assert parse_script("a > f | b") == seq(Pipeline((cmd("a", redirs=(Redirect(">", "f"),)), cmd("b"))))
    assert parse_script("a | while true; do b; done") == seq(
        Pipeline((cmd("a"), WhileLoop(seq(cmd("true")), seq(cmd("b"))))))
    assert parse_script("a | b && c") == seq(Pipeline((cmd("a"), cmd("b"))), ("&&", cmd("c")))


def test_loops_and_conditionals() -> None:
    assert parse_script("while true; do echo tick; sleep 5; done") == seq(
        WhileLoop(seq(cmd("true")), seq(cmd("echo", "tick"), cmd("sleep", "5"))))
    assert parse_script("until test -f /ready; do sleep 1; done") == seq(
        WhileLoop(seq(cmd("test", "-f", "/ready")), seq(cmd("sleep", "1")), until=True))
    assert parse_script("for i in 1 $N; do echo $i; done") == seq(
        ForLoop("i", ("1", "$N"), seq(cmd("echo", "$i"))))
    assert parse_script("for i\ndo echo\ndone") == seq(ForLoop("i", (), seq(cmd("echo"))))
    assert parse_script("if a; then b; else c; d; fi") == seq(If(seq(cmd("a")), seq(cmd("b")), seq(cmd("c"), cmd("d"))))
    assert parse_script("if a && b; then c; fi; e") == seq(
        If(seq(cmd("a"), ("&&", cmd("b"))), seq(cmd("c")), Seq()), cmd("e"))
    nested = parse_script("for f in a b; do if test $f = a; then echo A; fi; done")
    assert nested == seq(ForLoop("f", ("a", "b"), seq(If(seq(cmd("test", "$f", "=", "a")), seq(cmd("echo", "A"))))))


@pytest.mark.parametrize(("script", "message"), [
    ("if true; then echo", 'syntax error: unexpected end of file (expecting "fi")'),
    ("while true; echo; done", 'syntax error: unexpected end of file (expecting "do")'),
    ("for i in 1 2; echo $i; done", 'syntax error: unexpected echo (expecting "do")'),
    ("echo |", "syntax error: unexpected end of file"),
    ("echo | | cat", "syntax error: unexpected end of file"),
    ("if true; then echo; else", 'syntax error: unexpected end of file (expecting "fi")'),
])
def test_syntax_errors_are_worded_as_dash_words_them(script: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_script(script)
    assert str(raised.value) == message
    assert sh(script) == Ran(2, "", f"sh: {message}\n", 0.0)


def test_an_unterminated_quote_fails_in_the_tokenizer() -> None:
    with pytest.raises(ValueError, match="No closing quotation"):
        tokenize("echo 'open")
    assert (sh("echo 'open").code, sh("echo 'open").err) == (2, "sh: No closing quotation\n")


@settings(deadline=None, max_examples=300)
@given(st.lists(st.sampled_from(["a", "b", ";", "&&", "||", "|", ">", "<", "2", "&", "if", "then", "else", "fi",
                                 "while", "until", "do", "done", "for", "in", "\n", "'q'", "$X"]), max_size=14))
def test_any_word_soup_parses_to_nodes_or_fails_with_parse_error(words: list[str]) -> None:
    try:
        ast = parse_script(" ".join(words))
    except ParseError as exc:
        assert str(exc).startswith("syntax error: unexpected")
        return
    hash(ast)  # frozen all the way down: an AST can be cached and compared
    assert all(connector in (";", "&&", "||") for connector, _ in ast.items)


def test_the_interpreter_runs_each_shape() -> None:
    assert sh("false || echo yes && echo both; echo $?").out == "yes\nboth\n0\n"
    assert sh("for i in 1 2; do echo $i | grep 2; done").out == "2\n"
    assert sh("i=0; until test $i = 0; do echo never; done; echo done").out == "done\n"
    assert sh("if false; then echo a; else echo b; fi").out == "b\n"
    files: dict[str, str] = {}
    assert sh("echo a > /tmp/f; echo b >> /tmp/f; cat < /tmp/f | grep b", files).out == "b\n"
    assert files == {"/tmp/f": "a\nb\n"}
    assert sh("cat /nope 2>&1 | grep -c x; echo ${X}!", X="x").out == "x!\n"
    assert sh("echo oops >&2").err == "oops\n"
    looped = sh("while true; do echo spin; done")
    assert looped.code is None and looped.out.startswith("spin\nspin\n")  # charged a simulated second a pass
