"""kubectl exec against the simulator: one-off commands, exit codes, an interactive shell through a
pty, and diagnosing Services from inside the cluster (DNS, wget, a wrong targetPort)."""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path

import pytest
from kube import SimServer


@pytest.fixture(scope="module")
def net(sim: SimServer) -> str:
    ns = "exec-tests"
    manifest = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: exec-other}}
---
apiVersion: v1
kind: Pod
metadata: {{name: client, namespace: {ns}}}
spec:
  containers: [{{name: client, image: "busybox:1.36", command: [sleep, "3600"],
                env: [{{name: GREETING, value: hello}}]}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: exec-other}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: "nginx:1.27"}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: exec-other}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: broken, namespace: exec-other}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: empty, namespace: {ns}}}
spec:
  selector: {{app: nothing}}
  ports: [{{port: 80}}]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    assert sim.run("wait", "--for=condition=Ready", "pod/client", "-n", ns, "--timeout=60s").ok
    assert sim.run("rollout", "status", "deploy/web", "-n", "exec-other", "--timeout=60s").ok
    return ns


def test_one_off_output_and_exit_codes(sim: SimServer, net: str) -> None:
    ok = sim.run("exec", "client", "-n", net, "--", "sh", "-c", "echo out; echo err >&2; echo $GREETING")
    assert ok.ok and (ok.stdout, ok.stderr) == ("out\nhello\n", "err\n")
    failed = sim.run("exec", "client", "-n", net, "--", "sh", "-c", "exit 3")
    assert failed.code == 3 and failed.stderr.strip() == "command terminated with exit code 3"
    missing = sim.run("exec", "client", "-n", net, "--", "bash")
    assert missing.code == 1
    assert 'exec: "bash": executable file not found in $PATH' in missing.stderr
    unknown = sim.run("exec", "client", "-n", net, "--", "sh", "-c", "frobnicate")
    assert unknown.code == 127 and "sh: frobnicate: not found" in unknown.stderr


def test_files_kubelet_writes(sim: SimServer, net: str) -> None:
    resolv = sim.run("exec", "client", "-n", net, "--", "cat", "/etc/resolv.conf").stdout
    assert resolv == (f"search {net}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
                      "options ndots:5\n")
    hosts = sim.run("exec", "client", "-n", net, "--", "cat", "/etc/hosts").stdout
    assert hosts.startswith("# Kubernetes-managed hosts file.\n") and hosts.rstrip().endswith("\tclient")
    assert sim.run("exec", "client", "-n", net, "--", "hostname").stdout == "client\n"


def test_dns_and_http_from_inside(sim: SimServer, net: str) -> None:
    same_ns_fail = sim.run("exec", "client", "-n", net, "--", "nslookup", "web")
    assert same_ns_fail.code == 1 and f"** server can't find web.{net}.svc.cluster.local: NXDOMAIN" in \
        same_ns_fail.stdout
    cross = sim.run("exec", "client", "-n", net, "--", "nslookup", "web.exec-other")
    assert cross.ok and "Name:\tweb.exec-other.svc.cluster.local\nAddress: 10.96." in cross.stdout
    page = sim.run("exec", "client", "-n", net, "--", "wget", "-qO-", "http://web.exec-other")
    assert page.ok and "<title>Welcome to nginx!</title>" in page.stdout
    broken = sim.run("exec", "client", "-n", net, "--", "wget", "-qO-", "http://broken.exec-other")
    assert broken.code == 1 and "wget: can't connect to remote host (10.96." in broken.stderr
    assert "): Connection refused" in broken.stderr
    empty = sim.run("exec", "client", "-n", net, "--", "wget", "-qO-", "-T", "2", "http://empty")
    assert empty.code == 1 and "Connection refused" in empty.stderr
    ping = sim.run("exec", "client", "-n", net, "--", "ping", "-c", "1", "web.exec-other")
    assert ping.code == 1 and "100% packet loss" in ping.stdout


def _read(fd: int, seconds: float) -> str:
    """What the terminal shows within ``seconds``, returning early once a prompt is back."""
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if out.endswith(b"# ") and b"\n" in out:
            break
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


def test_interactive_shell_through_a_pty(sim: SimServer, net: str) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes kubectl on a real terminal
        os.environ["KUBECONFIG"] = str(sim.kubeconfig)
        os.execv(str(sim.kubectl), ["kubectl", "exec", "-it", "client", "-n", net, "--", "sh"])
    try:
        assert _read(fd, 3).endswith("/ # ")
        os.write(fd, b"echo $GREETING\r")
        assert "hello\r\n/ # " in _read(fd, 2)
        os.write(fd, b"cd /etc; pwd\r")
        assert "/etc\r\n/etc # " in _read(fd, 2)
        os.write(fd, b"ecxo\x7f\x7fho fixed\r")
        assert "fixed\r\n" in _read(fd, 2)
        os.write(fd, b"cat /etc/resolv.conf\r")
        resolv = _read(fd, 2)
        assert f"search {net}.svc.cluster.local svc.cluster.local cluster.local\r\nnameserver 10.96.0.10" in resolv
        os.write(fd, b"nslookup empty\r")
        assert f"Name:\tempty.{net}.svc.cluster.local\r\nAddress: 10.96." in _read(fd, 2)
        os.write(fd, b"nslookup web.exec-other\r")
        assert "Name:\tweb.exec-other.svc.cluster.local" in _read(fd, 2)
        os.write(fd, b"wget -qO- http://web.exec-other | grep title\r")
        assert "<title>Welcome to nginx!</title>" in _read(fd, 2)
        os.write(fd, b"wget -qO- http://empty\r")
        assert "Connection refused" in _read(fd, 2)
        os.write(fd, b"wget -qO- http://broken.exec-other\r")
        assert "Connection refused" in _read(fd, 2)
        os.write(fd, b"sleep 100\x03")
        assert _read(fd, 1)  # Ctrl-C on a line being typed starts a fresh prompt
        os.write(fd, b"\rexit 5\r")
        _read(fd, 3)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WEXITSTATUS(status) == 5


def test_exec_into_a_container_that_is_not_running(sim: SimServer, net: str) -> None:
    manifest = f"""
apiVersion: v1
kind: Pod
metadata: {{name: pulling, namespace: {net}}}
spec:
  containers: [{{name: app, image: "nginx:0.0.0-nope"}}]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    result = sim.run("exec", "pulling", "-n", net, "--", "sh")
    assert result.code == 1
    assert result.stderr.strip() == 'error: unable to upgrade connection: container not found ("app")'


def test_top_shows_the_models_usage(sim: SimServer) -> None:
    manifest = """
apiVersion: v1
kind: Pod
metadata: {name: hog, namespace: exec-tests}
spec:
  containers:
  - name: hog
    image: ghcr.io/stefanprodan/podinfo:6.7.1
    command: [./podinfo, --stress-memory=300, --stress-cpu=1]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    assert sim.run("wait", "--for=condition=Ready", "pod/hog", "-n", "exec-tests", "--timeout=60s").ok
    pods = sim.run("top", "pod", "hog", "-n", "exec-tests")
    assert pods.ok and pods.stdout.splitlines()[1].split() == ["hog", "1001m", "312Mi"]
    nodes = sim.run("top", "nodes")
    assert nodes.ok and nodes.stdout.startswith("NAME ") and "CPU(%)" in nodes.stdout
    assert len(nodes.stdout.splitlines()) == 4


def test_debug_attaches_a_busybox_shell_to_a_pod(sim: SimServer, net: str) -> None:
    assert sim.run("rollout", "status", "deploy/web", "-n", "exec-other", "--timeout=60s").ok
    pod = sim.run("get", "pods", "-n", "exec-other", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}").stdout
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["KUBECONFIG"] = str(sim.kubeconfig)
        os.execv(str(sim.kubectl), ["kubectl", "debug", "-it", pod, "-n", "exec-other", "--image=busybox:1.36",
                                    "--target=web"])
    try:
        banner = _read(fd, 8)
        assert "Defaulting debug container name to debugger-" in banner and banner.endswith("/ # ")
        os.write(fd, b"wget -qO- http://localhost | grep title\r")
        assert "<title>Welcome to nginx!</title>" in _read(fd, 3)
        os.write(fd, b"exit 0\r")
        assert "Session ended" in _read(fd, 3)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WEXITSTATUS(status) == 0
    ended = sim.run("wait", f"pod/{pod}", "-n", "exec-other", "--timeout=30s",
                    "--for=jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.exitCode}=0")
    assert ended.ok, ended.stderr  # the debug container ended with the shell


def test_cp_both_ways(sim: SimServer, net: str, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello from the laptop\n")
    up = sim.run("cp", str(note), f"{net}/client:/tmp/note.txt")
    assert up.ok, up.stderr
    assert sim.run("exec", "client", "-n", net, "--", "cat", "/tmp/note.txt").stdout == "hello from the laptop\n"
    back = tmp_path / "back.txt"
    down = sim.run("cp", f"{net}/client:/tmp/note.txt", str(back))
    assert down.ok and back.read_text() == "hello from the laptop\n"
    missing = sim.run("cp", f"{net}/client:/nope", str(tmp_path / "x"))
    assert missing.code == 1 and "tar: /nope: No such file or directory" in missing.stdout + missing.stderr


def test_port_forward_a_service(sim: SimServer, net: str) -> None:
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(sim.kubectl), "port-forward", "svc/web", "-n", "exec-other", f"{port}:80"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"KUBECONFIG": str(sim.kubeconfig)})
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{port} -> 80")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200 and b"<title>Welcome to nginx!</title>" in resp.read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/missing", timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 404
        else:
            raise AssertionError("a missing page should be a 404")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_wrong_target_port_diagnosed_from_inside_then_fixed(sim: SimServer, net: str) -> None:
    """The scenario trainees meet: endpoints exist, yet the Service refuses connections."""
    manifest = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: shop, namespace: {net}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: shop}}}}
  template:
    metadata: {{labels: {{app: shop}}}}
    spec: {{containers: [{{name: shop, image: "ghcr.io/stefanprodan/podinfo:6.7.1"}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: shop, namespace: {net}}}
spec:
  selector: {{app: shop}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
    assert sim.run("apply", "-f", "-", stdin=manifest).ok
    assert sim.run("rollout", "status", "deploy/shop", "-n", net, "--timeout=60s").ok
    refused = sim.run("exec", "client", "-n", net, "--", "wget", "-qO-", "http://shop")
    assert refused.code == 1 and "Connection refused" in refused.stderr
    endpoints = sim.run("get", "endpoints", "shop", "-n", net, "-o", "jsonpath={.subsets[0].ports[0].port}")
    assert endpoints.stdout == "8080"  # the clue: endpoints point at a port nothing listens on
    assert sim.run("patch", "svc", "shop", "-n", net, "--type=json",
                   "-p", '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9898}]').ok
    fixed = sim.run("exec", "client", "-n", net, "--", "wget", "-qO-", "http://shop")
    assert fixed.ok and '"message": "greetings from podinfo v6.7.1"' in fixed.stdout
