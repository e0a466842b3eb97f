"""The applet table: how an applet is added, and that every image's toolset names a command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from shell_helpers import Ran, sh

from chaoskit.sim.kubelet.images import CATALOGUE
from chaoskit.sim.kubelet.shell import APPLETS, BUILTINS, COMMANDS, TOOLSETS, Env, Sleep, applet
from chaoskit.sim.kubelet.shell.applets import registry


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    """Names a test registers, removed again afterwards so the table stays as shipped."""
    names: list[str] = []
    yield names
    for name in names:
        APPLETS.pop(name, None)
        registry.BUILTIN_NAMES.discard(name)


def test_a_plain_function_becomes_a_command(scratch: list[str]) -> None:
    scratch.append("greet")

    @applet("greet")
    def greet(args: list[str], env: Env) -> int:
        env.out(f"hello {' '.join(args) or env.hostname}\n")
        return 3

    assert sh("greet; greet you") == Ran(3, "hello web-0\nhello you\n", "", 0.0)
    assert sh("greet", tools=frozenset({"sh"})) == Ran(127, "", "sh: greet: not found\n", 0.0)
    assert sh("greet", tools=frozenset({"greet"})).code == 3


def test_a_generator_applet_keeps_its_steps(scratch: list[str]) -> None:
    scratch.append("nap")

    @applet("nap")
    def nap(args: list[str], env: Env) -> Iterator[Sleep]:
        yield Sleep(float(args[0]))
        return 0

    assert sh("nap 4; nap 2") == Ran(0, "", "", 6.0)


def test_a_name_is_registered_once(scratch: list[str]) -> None:
    with pytest.raises(ValueError, match="'cat' is registered twice"):
        applet("cat")(lambda args, env: 0)
    assert "cat" in APPLETS


def test_every_toolset_names_a_command_and_every_image_a_toolset() -> None:
    for tools in TOOLSETS.values():
        assert tools <= COMMANDS, tools - COMMANDS
    for repo in CATALOGUE.values():
        assert repo.tools in TOOLSETS
        for tag in repo.tags:
            assert repo.tools_for(tag) in TOOLSETS
    assert set(APPLETS) >= BUILTINS and not BUILTINS & TOOLSETS["busybox"]
    assert {"sh", "ash", "bash"} <= COMMANDS - set(APPLETS)  # the shells live in the interpreter
