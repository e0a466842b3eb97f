"""``kubectl exec`` over WebSocket (subprotocol v5.channel.k8s.io), answered by the shell model.

Binary messages carry a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 resize,
255 close (``[255, 0]`` is stdin EOF). A non-zero exit is a Status with reason NonZeroExitCode, so
kubectl prints ``command terminated with exit code N`` and exits with N. With ``-it`` the user
gets a shell with a prompt, echo, backspace, Ctrl-C and Ctrl-D.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator
from typing import Any

from aiohttp import WSMsgType, web

from chaoskit.kube.status import BadRequest
from chaoskit.sim.cluster import Cluster
from chaoskit.sim.kubelet.process import SHELLS, Process
from chaoskit.sim.kubelet.shell import BUILTINS, Env, Forever, Sleep, run_argv, run_script

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")


def success() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def nonzero(argv: list[str], code: int) -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [{' '.join(argv)}], "
                       f"exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def missing_binary(program: str, exec_id: str) -> dict[str, Any]:
    detail = (f'error executing command in container: failed to exec in container: failed to start exec "{exec_id}": '
              "OCI runtime exec failed: exec failed: unable to start container process: exec: "
              f'"{program}": executable file not found in $PATH: unknown')
    return {"metadata": {}, "status": "Failure", "message": f"Internal error occurred: {detail}",
            "reason": "InternalError", "details": {"causes": [{"message": detail}]}, "code": 500}


class ExecSession:
    def __init__(self, ws: web.WebSocketResponse, proc: Process, tty: bool, speed: float) -> None:
        self.ws = ws
        self.proc = proc
        self.tty = tty
        self.speed = speed
        self.pending: list[tuple[int, str | bytes]] = []
        self.env = Env(dict(proc.env), proc.files, self._out, self._err, proc.style, proc.hostname,
                       tools=proc.shell_env(self._out, self._err).tools, net=proc.net, namespace=proc.namespace,
                       argv0=" ".join(proc.argv), pod_ip=proc.pod_ip)

    def _out(self, text: str | bytes) -> None:
        self.pending.append((STDOUT, text))

    def _err(self, text: str) -> None:
        self.pending.append((STDOUT if self.tty else STDERR, text + "\n"))

    async def flush(self) -> None:
        for channel, text in self.pending:
            if isinstance(text, bytes):
                await self.ws.send_bytes(bytes([channel]) + text)
                continue
            if self.tty:
                text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            await self.ws.send_bytes(bytes([channel]) + text.encode())
        self.pending.clear()

    async def drive(self, gen: Generator[Any, None, int]) -> int | None:
        """Run a shell generator in simulator time; None if the client went away first."""
        try:
            step = next(gen)
            while True:
                await self.flush()
                if isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds / self.speed)
                elif isinstance(step, Forever):
                    await self._until_closed()
                    return None
                if self.ws.closed:
                    return None
                step = gen.send(None)
        except StopIteration as done:
            await self.flush()
            return int(done.value or 0)

    async def _until_closed(self) -> None:
        async for msg in self.ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR) or (
                    msg.type == WSMsgType.BINARY and msg.data[:1] == bytes([CLOSE])):
                return

    async def read_stdin(self) -> str:
        chunks: list[bytes] = []
        async for msg in self.ws:
            if msg.type == WSMsgType.BINARY and msg.data:
                if msg.data[0] == STDIN:
                    chunks.append(msg.data[1:])
                elif msg.data[0] == CLOSE:
                    break
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        return b"".join(chunks).decode("latin-1")  # lossless: tar reads it back as bytes

    async def run_once(self, argv: list[str], want_stdin: bool) -> int | None:
        if want_stdin and not self.tty:
            self.env.stdin = await self.read_stdin()
        return await self.drive(run_argv(argv, self.env))

    def prompt(self, argv: list[str]) -> str:
        cwd = self.env.cwd
        if argv[0].endswith("bash"):
            return f"root@{self.proc.hostname}:{cwd}# "
        return f"{cwd} # " if self.proc.style == "busybox" else "# "

    async def interactive(self, argv: list[str]) -> int | None:
        line = ""
        await self.ws.send_bytes(bytes([STDOUT]) + self.prompt(argv).encode())
        async for msg in self.ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                return None
            if msg.type != WSMsgType.BINARY or not msg.data:
                continue
            channel, payload = msg.data[0], msg.data[1:]
            if channel == CLOSE:
                return 0
            if channel != STDIN:
                continue  # resize and the like
            echo = ""
            for char in payload.decode(errors="replace"):
                if char in "\r\n":
                    await self.ws.send_bytes(bytes([STDOUT]) + (echo + "\r\n").encode())
                    echo = ""
                    code = await self.drive(run_script(line, self.env)) if line.strip() else 0
                    line = ""
                    if code is None:
                        return None
                    if self.env.exit_requested is not None:
                        return self.env.exit_requested
                    echo = self.prompt(argv)
                elif char in "\x7f\b":
                    if line:
                        line = line[:-1]
                        echo += "\b \b"
                elif char == "\x03":
                    line = ""
                    echo += "^C\r\n" + self.prompt(argv)
                elif char == "\x04":
                    if not line:
                        await self.ws.send_bytes(bytes([STDOUT]) + (echo + "exit\r\n").encode())
                        return 0
                elif char == "\x1b" or (not char.isprintable() and char != "\t"):
                    continue
                else:
                    line += char
                    echo += char
            if echo:
                await self.ws.send_bytes(bytes([STDOUT]) + echo.encode())
        return None

    async def finish(self, argv: list[str], code: int) -> None:
        status = success() if code == 0 else nonzero(argv, code)
        await self.ws.send_bytes(bytes([ERROR]) + json.dumps(status).encode())


async def _open(request: web.Request, cluster: Cluster, namespace: str, name: str, speed: float,
                what: str) -> tuple[Process, web.WebSocketResponse, ExecSession]:
    """Find the container's process (errors come before the upgrade, as kubelet's do), then upgrade."""
    proc = cluster.kubelet.exec_process(namespace, name, request.query.get("container") or None)
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True)
    if not ws.can_prepare(request).ok:
        raise BadRequest(f"the chaoskit simulator serves kubectl {what} over WebSocket (v5.channel.k8s.io) only; "
                         "use kubectl v1.30 or newer")
    await ws.prepare(request)
    return proc, ws, ExecSession(ws, proc, request.query.get("tty") == "true", speed)


async def exec_stream(request: web.Request, cluster: Cluster, namespace: str, name: str,
                      speed: float) -> web.StreamResponse:
    argv = request.query.getall("command", [])
    proc, ws, session = await _open(request, cluster, namespace, name, speed, "exec")
    tty = session.tty
    try:
        if not argv:
            await session.finish(["<none>"], 1)
        elif argv[0] not in BUILTINS and not proc.has_tool(argv[0]):
            await ws.send_bytes(bytes([ERROR]) + json.dumps(
                missing_binary(argv[0], cluster.ids.hex(64))).encode())
        else:
            interactive = tty and request.query.get("stdin") == "true" and argv[0] in SHELLS and len(argv) == 1
            code = await (session.interactive(argv) if interactive
                          else session.run_once(argv, request.query.get("stdin") == "true"))
            if code is not None and not ws.closed:
                await session.finish(argv, code)
    finally:
        await ws.close()
    return ws


async def attach_stream(request: web.Request, cluster: Cluster, namespace: str, name: str,
                        speed: float) -> web.StreamResponse:
    """Attach to a container's main process: a waiting shell becomes interactive (kubectl debug);
    any other process streams what it writes from now on."""
    container = request.query.get("container") or None
    proc, ws, session = await _open(request, cluster, namespace, name, speed, "attach")
    try:
        if proc.interactive and proc.argv and proc.argv[0] in SHELLS:
            code = await session.interactive(proc.argv[:1])
            if code is not None:
                proc.on_exit(code)  # the shell was the container's main process: the container ends
                if not ws.closed:  # attach reports no exit code: the stream just ends
                    await session.finish(proc.argv[:1], 0)
        else:
            await _follow_output(session, cluster, namespace, name, container)
    finally:
        await ws.close()
    return ws


async def _follow_output(session: ExecSession, cluster: Cluster, namespace: str, name: str,
                         container: str | None) -> None:
    target = container or ""
    if not target:
        pod = cluster.store.get("Pod", namespace, name)
        target = pod["spec"]["containers"][0]["name"]
    seen = len(cluster.kubelet.logs(namespace, name, target) or [])
    reader = asyncio.ensure_future(session._until_closed())
    try:
        while not reader.done():
            lines = cluster.kubelet.logs(namespace, name, target) or []
            for _, line in lines[seen:]:
                session.pending.append((STDOUT, line + "\n"))
            seen = len(lines)
            await session.flush()
            await asyncio.wait([reader], timeout=0.2)
    finally:
        reader.cancel()
