"""A small POSIX shell model: enough of ``sh -c`` for what container commands really do.

The face other modules import. Inside, the layers run bottom-up with no cycle:
``steps`` and ``flavour`` (vocabulary) and ``parser`` (text to AST), then ``applets`` (the commands
an image carries), then ``interpreter`` (runs the AST and owns ``sh``, which needs it).
"""

from __future__ import annotations

from chaoskit.sim.kubelet.shell.applets import APPLETS, BUILTINS, TOOLSETS, applet
from chaoskit.sim.kubelet.shell.interpreter import COMMANDS, drain, run_argv, run_script
from chaoskit.sim.kubelet.shell.steps import (
    Alloc,
    Env,
    ExitShell,
    Forever,
    HttpReply,
    Net,
    Outcome,
    Refused,
    Run,
    Sleep,
    Step,
    Unreachable,
)

__all__ = [
    "APPLETS", "BUILTINS", "COMMANDS", "TOOLSETS", "Alloc", "Env", "ExitShell", "Forever", "HttpReply", "Net",
    "Outcome", "Refused", "Run", "Sleep", "Step", "Unreachable", "applet", "drain", "run_argv", "run_script",
]
