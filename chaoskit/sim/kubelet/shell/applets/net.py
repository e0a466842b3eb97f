"""The network tools a trainee reaches for from inside a pod, answered by the cluster network
(``env.net``): a Service without endpoints refuses, a wrong port on a ClusterIP hangs until the
tool's own timeout, a name outside the cluster is NXDOMAIN."""

from __future__ import annotations

from chaoskit.sim.kubelet.shell.applets.registry import applet
from chaoskit.sim.kubelet.shell.flavour import busybox_usage
from chaoskit.sim.kubelet.shell.steps import Env, HttpReply, Outcome, Refused, Run, Sleep, Unreachable, abs_path

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           418: "I'm a teapot", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}


def split_url(raw: str) -> tuple[str, int, str]:
    """(host, port, path); the scheme is dropped and the port defaults to 80."""
    rest = raw.split("://", 1)[1] if "://" in raw else raw
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port) if port.isdigit() else 80, "/" + path


def resolve(env: Env, host: str) -> tuple[str, str] | None:
    """/etc/hosts first (localhost, the pod's own name), then the cluster DNS."""
    if host in ("localhost", "127.0.0.1") and env.pod_ip:
        return host, env.pod_ip
    for line in env.files.get("/etc/hosts", "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and host in parts[1:] and "." in parts[0]:
            return host, parts[0] if parts[0] != "127.0.0.1" or not env.pod_ip else env.pod_ip
    return env.net.resolve(host, env.namespace) if env.net is not None else None


def fetch(env: Env, url: str) -> tuple[str, int, str | None, Outcome | None]:
    """(host, port, address, outcome) of a GET; address and outcome are None when the name does not
    resolve (or the shell has no network at all)."""
    host, port, path = split_url(url)
    found = resolve(env, host)
    if found is None or env.net is None:
        return host, port, None, None
    return host, port, found[1], env.net.connect(found[1], port, "GET", path)


@applet("nslookup")
def nslookup(args: list[str], env: Env) -> int:
    names = [a for a in args if not a.startswith("-")]
    if not names or env.net is None:
        env.err(busybox_usage("nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]"))
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


@applet("wget")
def wget(args: list[str], env: Env) -> Run:
    quiet = any(a in ("-q", "-qO-", "-qO") or (a.startswith("-q") and len(a) <= 4) for a in args)
    to_stdout = any(a in ("-O-", "-qO-") for a in args) or ("-O" in args and args[args.index("-O") + 1:][:1] == ["-"])
    timeout = 900.0
    if "-T" in args and args.index("-T") + 1 < len(args):
        timeout = float(args[args.index("-T") + 1])
    urls = [a for a in args if not a.startswith("-") and a != "-" and (args.index(a) == 0 or args[args.index(a) - 1]
                                                                       not in ("-O", "-T"))]
    if not urls:
        env.err(busybox_usage("wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] URL..."))
        return 1
    host, port, ip, outcome = fetch(env, urls[0])
    if ip is None:
        env.err(f"wget: bad address '{host}'")
        return 1
    if not quiet:
        env.err(f"Connecting to {host} ({ip}:{port})")
    if isinstance(outcome, Refused):
        env.err(f"wget: can't connect to remote host ({ip}): Connection refused")
        return 1
    if not isinstance(outcome, HttpReply):
        yield Sleep(timeout)
        env.err("wget: download timed out")
        return 1
    if outcome.status >= 400:
        env.err(f"wget: server returned error: HTTP/1.1 {outcome.status} {REASONS.get(outcome.status, '')}".rstrip())
        return 1
    if to_stdout:
        env.out(outcome.body)
    else:
        name = urls[0].rstrip("/").rsplit("/", 1)[-1] if urls[0].count("/") > 2 else "index.html"
        env.files[abs_path(name or "index.html", env)] = outcome.body
        if not quiet:
            env.err(f"saving to '{name}'\n{name:<18} 100% |********************************| {len(outcome.body):>5}  "
                    f"0:00:00 ETA\n'{name}' saved")
    return 0


@applet("curl")
def curl(args: list[str], env: Env) -> Run:
    urls = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in
                                                                         ("-o", "-m", "--max-time", "-X", "-H"))]
    if not urls:
        env.err("curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information")
        return 2
    timeout = 130.0
    for flag in ("-m", "--max-time"):
        if flag in args and args.index(flag) + 1 < len(args):
            timeout = float(args[args.index(flag) + 1])
    host, port, ip, outcome = fetch(env, urls[0])
    if ip is None:
        env.err(f"curl: (6) Could not resolve host: {host}")
        return 6
    if isinstance(outcome, Refused):
        env.err(f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server")
        return 7
    if not isinstance(outcome, HttpReply):
        yield Sleep(timeout)
        env.err(f"curl: (28) Failed to connect to {host} port {port} after {int(timeout * 1000)} ms: "
                "Couldn't connect to server")
        return 28
    if ("-f" in args or "--fail" in args) and outcome.status >= 400:
        env.err(f"curl: (22) The requested URL returned error: {outcome.status}")
        return 22
    if "-I" in args or "--head" in args:
        env.out(f"HTTP/1.1 {outcome.status} {REASONS.get(outcome.status, '')}\r\nContent-Type: "
                f"{outcome.content_type}\r\nContent-Length: {len(outcome.body)}\r\n\r\n")
    else:
        env.out(outcome.body)
    return 0


@applet("nc")
def nc(args: list[str], env: Env) -> Run:
    rest = [a for a in args if not a.startswith("-")]
    if len(rest) < 2 or not rest[1].isdigit() or env.net is None:
        env.err(busybox_usage("nc [OPTIONS] HOST PORT  - connect"))
        return 1
    host, port = rest[0], int(rest[1])
    found = resolve(env, host)
    if found is None:
        env.err(f"nc: bad address '{host}'")
        return 1
    outcome = env.net.connect(found[1], port)
    verbose = any("v" in a for a in args if a.startswith("-"))
    if isinstance(outcome, Unreachable):
        yield Sleep(float(args[args.index("-w") + 1]) if "-w" in args and args.index("-w") + 1 < len(args) else 60)
        env.err(f"nc: {host} ({found[1]}:{port}): Connection timed out")
        return 1
    if isinstance(outcome, Refused):
        env.err(f"nc: {host} ({found[1]}:{port}): Connection refused")
        return 1
    if verbose:
        env.err(f"{host} ({found[1]}:{port}) open")
    return 0


@applet("ping")
def ping(args: list[str], env: Env) -> Run:
    """ICMP: pods answer, ClusterIPs never do (they live only in kube-proxy's rules)."""
    rest = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in ("-c", "-W"))]
    count = int(args[args.index("-c") + 1]) if "-c" in args and args.index("-c") + 1 < len(args) else 4
    if not rest or env.net is None:
        env.err(busybox_usage("ping [OPTIONS] HOST"))
        return 1
    found = resolve(env, rest[0])
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
