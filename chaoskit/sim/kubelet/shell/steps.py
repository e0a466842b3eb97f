"""The shell's vocabulary, at the bottom of the import graph: what a running script yields, what it
sees (:class:`Env`), and the network it may reach (:class:`Net`).

Scripts are generators that yield steps (:class:`Sleep`, :class:`Alloc`, :class:`Forever`) and
return an exit code, so the kubelet, a probe and an exec stream can each drive the same script on
their own clock. The network is a Protocol, and the outcomes of a connection are defined here, so
the applets test outcomes with ``isinstance`` and ``kubelet/network.py`` implements the Protocol
without the shell importing it (which would be a cycle: the network asks processes for answers).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from chaoskit.sim.kubelet.shell.flavour import Wording, wording


@dataclass(frozen=True)
class Sleep:
    """Simulated time passes (``sleep 30`` is thirty simulator seconds, not thirty real ones)."""

    seconds: float


@dataclass(frozen=True)
class Alloc:
    """The process's working set becomes ``bytes`` (the kubelet compares it with the memory limit)."""

    bytes: int


@dataclass(frozen=True)
class Forever:
    """Nothing more happens until a signal."""


Step = Sleep | Alloc | Forever
Run = Generator[Step, None, int]


class ExitShell(Exception):
    """``exit N``: unwinds every loop and pipeline up to the script (or the interactive shell)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class HttpReply:
    """An application's answer to one HTTP request."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Refused:
    """Nothing listens (or a Service has no endpoints: kube-proxy rejects)."""


@dataclass(frozen=True)
class Unreachable:
    """No route: ICMP to a ClusterIP, or an address nothing owns."""


Outcome = HttpReply | Refused | Unreachable


class Net(Protocol):
    """The cluster network seen from inside a pod (implemented by ``kubelet.network.ClusterNet``)."""

    def resolve(self, name: str, namespace: str) -> tuple[str, str] | None:
        """(fully qualified name, address), or None for NXDOMAIN."""

    def candidates(self, name: str, namespace: str) -> list[str]:
        """The names the resolver tries, in order (what nslookup reports as NXDOMAIN)."""

    def connect(self, ip: str, port: int, method: str = "GET", path: str = "/") -> Outcome:
        """Open a connection and, if something answers HTTP, send one request."""

    def ping(self, ip: str) -> bool:
        """Whether ICMP echo to ``ip`` is answered."""


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
    net: Net | None = None               # the cluster network, for nslookup/wget/curl/nc/ping
    namespace: str = "default"
    cwd: str = "/"
    stdin: str | None = None             # the upstream output in a pipeline
    exit_requested: int | None = None    # set by `exit` (an interactive shell ends)
    argv0: str = "sh"                    # PID 1's command line, for ps
    pod_ip: str = ""                     # this pod's address (localhost reaches the pod's own containers)

    @property
    def words(self) -> Wording:
        """How this image's tools word their errors (BusyBox or GNU coreutils)."""
        return wording(self.flavour)


def abs_path(path: str, env: Env) -> str:
    """``path`` relative to the shell's working directory."""
    if path.startswith("/"):
        return path
    return (env.cwd.rstrip("/") + "/" + path) if path not in (".", "") else env.cwd


ROOT_DIRS = ("bin", "dev", "etc", "home", "lib", "proc", "root", "sys", "tmp", "usr", "var")
