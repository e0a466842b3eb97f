"""The applet table and the decorator that fills it.

An applet is a plain function ``(args, env) -> exit code``; ``@applet("name")`` registers it as a
step generator (the interpreter's one calling convention), so only applets that really wait
(``sleep``, ``ping``, a ``wget`` that times out) are written as generators. ``builtin=True`` marks a
command the shell itself provides: it runs even in an image that carries no such file (``echo`` in
a distroless image), where an applet is ``not found`` unless the image's toolset lists it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from chaoskit.sim.kubelet.shell.steps import Env, Run

Applet = Callable[[list[str], Env], Run]
F = TypeVar("F", bound=Callable[[list[str], Env], Any])

APPLETS: dict[str, Applet] = {}
BUILTIN_NAMES: set[str] = set()


def applet(*names: str, builtin: bool = False) -> Callable[[F], F]:
    """Register the decorated function under each of ``names``; the function itself is returned
    unchanged, so a test can call a plain applet directly."""

    def register(fn: F) -> F:
        run = cast(Applet, fn) if inspect.isgeneratorfunction(fn) else _as_run(fn)
        for name in names:
            if name in APPLETS:
                raise ValueError(f"applet {name!r} is registered twice")
            APPLETS[name] = run
            if builtin:
                BUILTIN_NAMES.add(name)
        return fn

    return register


def _as_run(fn: Callable[[list[str], Env], int]) -> Applet:
    """A plain applet as a step generator that yields nothing."""

    def run(args: list[str], env: Env) -> Run:
        yield from ()
        return fn(args, env)

    run.__name__ = run.__qualname__ = getattr(fn, "__name__", "applet")
    return run
