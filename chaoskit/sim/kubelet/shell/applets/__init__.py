"""The applets an image may carry, and which image carries which (:data:`TOOLSETS`).

Adding an applet: write ``def name(args, env) -> int`` in the module of its kind (files, text,
net, system), decorate it with ``@applet("name")``, and add the name to the toolsets of the images
that really ship it. ``tests/test_shell_applets.py`` checks that every toolset name runs.
"""

from __future__ import annotations

from chaoskit.sim.kubelet.shell.applets import builtin, files, net, system, text
from chaoskit.sim.kubelet.shell.applets.registry import APPLETS, BUILTIN_NAMES, Applet, applet

BUILTINS = frozenset(BUILTIN_NAMES)
"""Commands that run in any image (the shell's own builtins)."""

_BASE = frozenset({"sleep", "cat", "env", "printenv", "touch", "rm", "mkdir", "hostname", "date", "sh", "ls", "id",
                   "whoami", "uname", "grep", "head", "tail", "tar"})
TOOLSETS: dict[str, frozenset[str]] = {
    "busybox": _BASE | {"ash", "ps", "nslookup", "wget", "nc", "ping"},
    "busybox+curl": _BASE | {"ash", "ps", "nslookup", "wget", "nc", "ping", "curl"},
    "gnu": _BASE | {"bash", "curl"},
    "gnu-bare": _BASE | {"bash"},
    "none": frozenset(),
}
"""What each image's filesystem carries, by ``Repo.tools`` (``images.py``); shells included."""

__all__ = ["APPLETS", "BUILTINS", "TOOLSETS", "Applet", "applet", "builtin", "files", "net", "system", "text"]
