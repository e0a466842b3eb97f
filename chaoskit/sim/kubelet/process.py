"""Application models: what the process in a container does, decided from the image's real
entrypoint and command, overridden by the container's ``command``/``args`` as Kubernetes does.

Each model is a generator of steps (sleep, allocate, run forever) plus an HTTP handler and a
signal handler, so probes, the Service proxy and OOM kills are answered by the same model.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from chaoskit.sim.kubelet.images import Repo
from chaoskit.sim.kubelet.shell import (
    COMMANDS,
    TOOLSETS,
    Env,
    Forever,
    HttpReply,
    Net,
    Run,
    Sleep,
    drain,
    run_argv,
    run_script,
)

MiB = 2**20
SHELLS = {"sh", "/bin/sh", "ash", "/bin/ash", "bash", "/bin/bash", "/usr/bin/bash", "/bin/busybox"}


class StartError(Exception):
    """The runtime could not start the process (exit 128, reason StartError)."""


def resolve_argv(repo: Repo, container: dict[str, Any]) -> list[str]:
    """Kubernetes' rule: command replaces ENTRYPOINT (and drops CMD); args replace CMD."""
    command = container.get("command")
    args = container.get("args")
    if command:
        return [str(c) for c in command] + [str(a) for a in (args or [])]
    entry = list(repo.entrypoint)
    return entry + ([str(a) for a in args] if args is not None else list(repo.cmd))


class Process:
    """A running program. Subclasses set ``memory``, ``ports`` and answer HTTP."""

    shutdown_seconds = 0.2   # time to exit after SIGTERM
    sigterm_code = 0         # exit code after a graceful SIGTERM (143 if it dies of it)

    def __init__(self, argv: list[str], env: dict[str, str], files: dict[str, str], flavour: str,
                 hostname: str, rng: random.Random, write: Callable[[str], None],
                 now: Callable[[], float] = lambda: 0.0) -> None:
        self.now = now
        self.on_exit: Callable[[int], None] = lambda code: None
        self.net: Net | None = None   # set by the kubelet: the cluster network seen from this pod
        self.namespace = "default"
        self.interactive = False      # the container has stdin open (stdin: true), as debug containers do
        self.pod_ip = ""
        self.argv = argv
        self.env = env
        self.files = files
        self.flavour = flavour
        self.hostname = hostname
        self.rng = rng
        self.write = write
        self.memory = 0
        self.ports: set[int] = set()
        self.cpu_millis = 0

    def run(self) -> Run:
        """The process body; returns the exit code."""
        yield Forever()
        return 0

    def http(self, port: int, method: str, path: str) -> HttpReply | None:
        """None means connection refused."""
        return None

    def stamp(self, fmt: str) -> str:
        return datetime.fromtimestamp(self.now(), UTC).strftime(fmt)

    @property
    def style(self) -> str:
        """busybox or gnu: how the image's tools word their errors."""
        return "gnu" if self.flavour.startswith("gnu") else "busybox"

    def has_tool(self, name: str) -> bool:
        return name.rsplit("/", 1)[-1] in TOOLSETS.get(self.flavour, frozenset())

    def shell_env(self, out: Callable[[str], None], err: Callable[[str], None]) -> Env:
        return Env(self.env, self.files, out, err, self.style, self.hostname, tools=TOOLSETS.get(self.flavour),
                   net=self.net, namespace=self.namespace, argv0=" ".join(self.argv), pod_ip=self.pod_ip)

    def exec(self, argv: list[str]) -> tuple[int, str, float]:
        """Run ``argv`` inside the container now: (exit code, output, seconds it would take)."""
        chunks: list[str] = []
        env = self.shell_env(chunks.append, lambda line: chunks.append(line + "\n"))
        code, elapsed = drain(run_argv(argv, env))
        return (-1 if code is None else code), "".join(chunks), elapsed


class ShellProcess(Process):
    """busybox/alpine and any image whose command is a shell or a shell applet."""

    sigterm_code = 143
    shutdown_seconds = float("inf")  # sh as PID 1 ignores SIGTERM: the kubelet must SIGKILL it

    def run(self) -> Run:
        self.memory = 1 * MiB
        env = self.shell_env(self.write, lambda line: self.write(line + "\n"))
        argv = self.argv
        if argv and argv[0] in SHELLS:
            if not self.has_tool(argv[0]):
                raise StartError(f'exec: "{argv[0]}": executable file not found in $PATH')
            if len(argv) >= 3 and argv[1] == "-c":
                return (yield from run_script(argv[2], env))
            if len(argv) >= 2 and not argv[1].startswith("-"):
                return (yield from run_script(self.files.get(argv[1], ""), env))
            if self.interactive:
                yield Forever()  # stdin is open: the shell waits for someone to attach
            return 0  # no stdin: the shell reads EOF and exits 0
        return (yield from run_argv(argv, env))


class NginxProcess(Process):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = self.env.get("NGINX_VERSION", "1.27.5")
        self.files.setdefault("/usr/share/nginx/html/index.html", NGINX_WELCOME)
        self.files.setdefault("/usr/share/nginx/html/50x.html", "<!DOCTYPE html>\n<html>\n<head>\n<title>Error"
                              "</title>\n</head>\n<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n")
        self.files.setdefault("/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF)

    def run(self) -> Run:
        if "daemon off;" not in " ".join(self.argv):
            self.memory = 3 * MiB
            return 0  # nginx daemonizes; PID 1 returns at once
        for line in (
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
            "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
            "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
        ):
            self.write(line + "\n")
        ts = self.stamp("%Y/%m/%d %H:%M:%S")
        self.write(f"{ts} [notice] 1#1: using the \"epoll\" event method\n")
        self.write(f"{ts} [notice] 1#1: nginx/{self.version}\n")
        self.write(f"{ts} [notice] 1#1: start worker processes\n")
        self.memory = 7 * MiB
        self.ports = {80}
        yield Forever()
        return 0

    def http(self, port: int, method: str, path: str) -> HttpReply | None:
        if port not in self.ports:
            return None
        if path.split("?")[0] in ("/", "/index.html"):
            return HttpReply(200, NGINX_WELCOME, "text/html")
        return HttpReply(404, "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 "
                              f"Not Found</h1></center>\r\n<hr><center>nginx/{self.version}</center>\r\n</body>\r\n"
                              "</html>\r\n", "text/html")


class PodinfoProcess(Process):
    """stefanprodan/podinfo: flags --port, --unhealthy, --unready, --stress-memory, --stress-cpu,
    --random-error; endpoints /healthz, /readyz, /readyz/enable|disable, /status/{code}, /panic."""

    shutdown_seconds = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        flags: dict[str, str] = {}
        for arg in self.argv[1:]:
            if arg.startswith("--"):
                key, _, value = arg[2:].partition("=")
                flags[key] = value or "true"
        self.flags = flags
        self.port = int(flags.get("port", "9898")) if flags.get("port", "9898").isdigit() else 9898
        self.healthy = flags.get("unhealthy", "false") != "true"
        self.ready = flags.get("unready", "false") != "true"
        self.version = "6.7.1"
        self.panicked = False

    def _log(self, msg: str, **extra: str) -> None:
        ts = self.stamp("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        self.write(json.dumps({"level": "info", "ts": ts, "caller": "podinfo/main.go:153", "msg": msg, **extra},
                              separators=(",", ":")) + "\n")

    def run(self) -> Run:
        self._log("Starting podinfo", version=self.version, revision="", port=str(self.port))
        stress = self.flags.get("stress-memory", "0")
        stress_mb = int(stress) if stress.isdigit() else 0
        self.memory = 12 * MiB
        if stress_mb:
            self._log("starting memory stress", size=f"{stress_mb}MB")
            yield Sleep(0.5)
            self.memory = 12 * MiB + stress_mb * MiB
        cpu = self.flags.get("stress-cpu", "0")
        self.cpu_millis = 1000 * int(cpu) if cpu.isdigit() else 0
        self.ports = {self.port}
        self._log("Starting HTTP Server.", addr=f":{self.port}")
        yield Forever()
        return 0

    def http(self, port: int, method: str, path: str) -> HttpReply | None:
        if port not in self.ports or self.panicked:
            return None
        route = path.split("?")[0].rstrip("/") or "/"
        if self.flags.get("random-error") == "true" and route not in ("/healthz", "/readyz") and \
                self.rng.randrange(3) == 0:
            return HttpReply(self.rng.choice([500, 501, 502, 503]), "")
        if route == "/healthz":
            return HttpReply(200, '{\n  "status": "OK"\n}\n', "application/json") if self.healthy \
                else HttpReply(503, "")
        if route == "/readyz":
            return HttpReply(200, '{\n  "status": "OK"\n}\n', "application/json") if self.ready \
                else HttpReply(503, "")
        if route == "/readyz/disable" and method == "POST":
            self.ready = False
            return HttpReply(202, "")
        if route == "/readyz/enable" and method == "POST":
            self.ready = True
            return HttpReply(202, "")
        if route.startswith("/status/"):
            code = route.rsplit("/", 1)[1]
            return HttpReply(int(code) if code.isdigit() and 100 <= int(code) < 600 else 400, "")
        if route == "/panic":
            self.panicked = True
            self.write(json.dumps({"level": "fatal", "msg": "Panic command received"}) + "\n")
            self.on_exit(255)
            return None
        if route in ("/", "/version"):
            return HttpReply(200, json.dumps({"hostname": self.hostname, "version": self.version,
                                              "message": f"greetings from podinfo v{self.version}"}, indent=2),
                             "application/json")
        if route == "/env":
            return HttpReply(200, json.dumps([f"{k}={v}" for k, v in self.env.items()], indent=2), "application/json")
        return HttpReply(404, "404 page not found\n")


class StressProcess(Process):
    """polinux/stress: ``--vm N --vm-bytes SIZE [--vm-hang S] [--timeout S]``."""

    sigterm_code = 143
    shutdown_seconds = 0.1

    def run(self) -> Run:
        args = self.argv[1:]
        opts: dict[str, str] = {}
        for i, arg in enumerate(args):
            if arg.startswith("-") and i + 1 < len(args):
                opts[arg.lstrip("-")] = args[i + 1]
        if not opts:
            self.write("`stress' imposes certain types of compute stress on your system\n\nUsage: stress [OPTION "
                       "[ARG]] ...\n")
            return 1
        workers = int(opts.get("vm", opts.get("m", "0")) or 0)
        size = _size(opts.get("vm-bytes", "256M"))
        self.write(f"stress: info: [1] dispatching hogs: {opts.get('cpu', '0')} cpu, {opts.get('io', '0')} io, "
                   f"{workers} vm, {opts.get('hdd', '0')} hdd\n")
        self.memory = MiB
        if workers:
            yield Sleep(0.2)
            self.memory = MiB + workers * size
        timeout = opts.get("timeout") or opts.get("t")
        if timeout:
            yield Sleep(float(timeout.rstrip("s")))
            self.write(f"stress: info: [1] successful run completed in {timeout.rstrip('s')}s\n")
            return 0
        yield Forever()
        return 0


def _size(text: str) -> int:
    mult = {"B": 1, "K": 1024, "M": MiB, "G": 1024 * MiB}
    unit = text[-1].upper()
    return int(float(text[:-1]) * mult[unit]) if unit in mult else int(text)


class DaemonProcess(Process):
    """Control-plane and add-on daemons: they start, listen and stay up."""

    DAEMON_PORTS: ClassVar[dict[str, set[int]]] = {
        "etcd": {2379, 2381}, "kube-apiserver": {6443}, "kube-controller-manager": {10257},
        "kube-scheduler": {10259}, "kube-proxy": {10256}, "/coredns": {53, 8080, 8181}, "/bin/kindnetd": set()}

    # (working set MiB, millicores) as a fresh kind cluster's metrics-server reports them
    DAEMON_USAGE: ClassVar[dict[str, tuple[int, int]]] = {
        "etcd": (45, 22), "kube-apiserver": (245, 41), "kube-controller-manager": (56, 14),
        "kube-scheduler": (23, 4), "kube-proxy": (19, 1), "/coredns": (16, 2), "/bin/kindnetd": (12, 1),
        "local-path-provisioner": (9, 1)}

    def run(self) -> Run:
        program = self.argv[0] if self.argv else ""
        mem, cpu = self.DAEMON_USAGE.get(program, (30, 5))
        self.memory, self.cpu_millis = mem * MiB, cpu
        self.ports = set(self.DAEMON_PORTS.get(program, set()))
        yield Forever()
        return 0

    def http(self, port: int, method: str, path: str) -> HttpReply | None:
        if port not in self.ports:
            return None
        if path.rstrip("/") in ("/health", "/healthz", "/livez", "/readyz", "/ready"):
            return HttpReply(200, "ok" if path != "/health" else "OK")
        return HttpReply(404, "404 page not found\n")


MODELS: dict[str, type[Process]] = {
    "shell": ShellProcess, "nginx": NginxProcess, "podinfo": PodinfoProcess, "stress": StressProcess,
    "daemon": DaemonProcess,
}


def model_for(repo: Repo, argv: list[str], tools: str | None = None) -> type[Process]:
    """Pick the model: the image's own program unless the command runs something else."""
    program = argv[0] if argv else ""
    base = program.rsplit("/", 1)[-1]
    if (program in SHELLS or base in COMMANDS) and base in TOOLSETS.get(tools or repo.tools, frozenset()):
        return ShellProcess
    if repo.model == "nginx" and (program == "/docker-entrypoint.sh" or base == "nginx"):
        return NginxProcess
    if repo.model == "podinfo" and base == "podinfo":
        return PodinfoProcess
    if repo.model == "stress" and base == "stress":
        return StressProcess
    if repo.model == "daemon":
        return DaemonProcess
    if repo.model == "shell" and repo.entrypoint and program == repo.entrypoint[0]:
        return ShellProcess
    raise StartError(f'exec: "{program}": executable file not found in $PATH')


NGINX_WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NGINX_DEFAULT_CONF = """server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""
