"""Run the shell model in a test: one script or argv, its exit code, stdout, stderr and the
simulated seconds it slept, plus a small fake cluster network for the network applets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaoskit.sim.kubelet.shell import Env, HttpReply, Outcome, Refused, Unreachable, drain, run_argv, run_script

SERVICE_IP, EMPTY_IP, POD_IP, OWN_IP = "10.96.0.11", "10.96.0.12", "10.244.1.7", "10.244.1.9"


@dataclass(frozen=True)
class Ran:
    code: int | None  # None: the script waits forever (or past drain's limit)
    out: str
    err: str
    slept: float


@dataclass
class FakeNet:
    """``web`` is a Service with a ready nginx-like backend, ``empty`` one without endpoints, ``pod``
    a pod; any other IP literal routes nowhere. Records what was connected to."""

    connects: list[tuple[str, int, str, str]] = field(default_factory=list)

    def resolve(self, name: str, namespace: str) -> tuple[str, str] | None:
        names = {"web": SERVICE_IP, "empty": EMPTY_IP, "pod": POD_IP}
        short = name.split(".")[0]
        if short in names and name in (short, f"{short}.{namespace}", f"{short}.{namespace}.svc.cluster.local"):
            return f"{short}.{namespace}.svc.cluster.local", names[short]
        if name.replace(".", "").isdigit():
            return name, name
        return None

    def candidates(self, name: str, namespace: str) -> list[str]:
        return [f"{name}.{namespace}.svc.cluster.local", f"{name}.svc.cluster.local", f"{name}.cluster.local", name]

    def connect(self, ip: str, port: int, method: str = "GET", path: str = "/") -> Outcome:
        self.connects.append((ip, port, method, path))
        if ip in (SERVICE_IP, POD_IP, OWN_IP) and port == 80:
            return HttpReply(404, "not here\n") if path.startswith("/missing") else HttpReply(200, f"page {path}\n")
        if ip == EMPTY_IP:
            return Refused()
        return Unreachable()

    def ping(self, ip: str) -> bool:
        return ip.startswith("10.244.")


def make_env(files: dict[str, str] | None = None, flavour: str = "busybox", tools: frozenset[str] | None = None,
             net: Any = None, **vars: str) -> tuple[Env, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    env = Env(dict(vars), files if files is not None else {}, out.append, lambda line: err.append(line + "\n"),
              flavour, "web-0", tools=tools, net=net, namespace="default", argv0="nginx -g daemon off;",
              pod_ip=OWN_IP)
    return env, out, err


def sh(script: str, files: dict[str, str] | None = None, flavour: str = "busybox",
       tools: frozenset[str] | None = None, net: Any = None, stdin: str | None = None, **vars: str) -> Ran:
    """``sh -c script`` in a fresh environment (``files`` is shared, so a test sees what it wrote)."""
    env, out, err = make_env(files, flavour, tools, net, **vars)
    env.stdin = stdin
    code, slept = drain(run_script(script, env))
    return Ran(code, "".join(out), "".join(err), slept)


def run(argv: list[str], files: dict[str, str] | None = None, flavour: str = "busybox",
        tools: frozenset[str] | None = None, net: Any = None, stdin: str | None = None) -> Ran:
    """``kubectl exec -- argv``: no shell, no expansion."""
    env, out, err = make_env(files, flavour, tools, net)
    env.stdin = stdin
    code, slept = drain(run_argv(argv, env))
    return Ran(code, "".join(out), "".join(err), slept)
