"""``kubectl port-forward`` over WebSocket (subprotocol ``SPDY/3.1+portforward.k8s.io``).

Inside the WebSocket flows a raw SPDY/3.1 session. kubectl opens, per local connection, an
"error" and a "data" stream (SYN_STREAM with ``streamtype``, ``port``, ``requestid`` headers);
bytes on the data stream are an HTTP conversation that the pod's application model answers.
Header blocks are zlib streams primed with the SPDY/3 dictionary (from the spdy-py package; its
frame reader mis-reads flags, so the framing here is our own).
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from spdy.dictionary import zdict

from chaoskit.kube.status import BadRequest, not_found
from chaoskit.sim.cluster import Cluster
from chaoskit.sim.kubelet.process import Process
from chaoskit.sim.objects import get_path

PROTOCOL = "SPDY/3.1+portforward.k8s.io"
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 9
FLAG_FIN = 0x01
REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 404: "Not Found",
           500: "Internal Server Error", 503: "Service Unavailable"}


def control_frame(ftype: int, flags: int, data: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | 3, ftype, (flags << 24) | len(data)) + data


def data_frame(stream: int, flags: int, data: bytes) -> bytes:
    return struct.pack(">II", stream & 0x7FFFFFFF, (flags << 24) | len(data)) + data


@dataclass
class Conversation:
    """One forwarded connection: HTTP bytes in, answers out."""

    port: int
    data_stream: int = 0
    error_stream: int = 0
    buffer: bytes = b""
    closed: bool = False


@dataclass
class Session:
    ws: web.WebSocketResponse
    pod_name: str
    pod_uid: str
    procs: list[Process]
    inflate: Any = field(default_factory=lambda: zlib.decompressobj(zdict=zdict))
    deflate: Any = field(default_factory=lambda: zlib.compressobj(zdict=zdict))
    buffer: bytes = b""
    conversations: dict[str, Conversation] = field(default_factory=dict)
    by_stream: dict[int, Conversation] = field(default_factory=dict)

    def headers(self, block: bytes) -> dict[str, str]:
        raw = self.inflate.decompress(block)
        count = struct.unpack(">I", raw[:4])[0]
        pos, out = 4, {}
        for _ in range(count):
            (n,) = struct.unpack(">I", raw[pos:pos + 4])
            name = raw[pos + 4:pos + 4 + n].decode()
            pos += 4 + n
            (v,) = struct.unpack(">I", raw[pos:pos + 4])
            out[name] = raw[pos + 4:pos + 4 + v].decode()
            pos += 4 + v
        return out

    def header_block(self, pairs: dict[str, str]) -> bytes:
        raw = struct.pack(">I", len(pairs))
        for k, v in pairs.items():
            raw += struct.pack(">I", len(k)) + k.encode() + struct.pack(">I", len(v)) + v.encode()
        return bytes(self.deflate.compress(raw) + self.deflate.flush(zlib.Z_SYNC_FLUSH))

    async def send(self, frame: bytes) -> None:
        if not self.ws.closed:
            await self.ws.send_bytes(frame)

    async def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        while len(self.buffer) >= 8:
            first, second = struct.unpack(">II", self.buffer[:8])
            length = second & 0xFFFFFF
            if len(self.buffer) < 8 + length:
                return
            flags, body = second >> 24, self.buffer[8:8 + length]
            self.buffer = self.buffer[8 + length:]
            if first & 0x80000000:
                await self.control((first & 0xFFFF), flags, body)
            else:
                await self.data(first & 0x7FFFFFFF, flags, body)

    async def control(self, ftype: int, flags: int, body: bytes) -> None:
        if ftype == SYN_STREAM:
            stream = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
            hdrs = self.headers(body[10:])
            conv = self.conversations.setdefault(hdrs.get("requestid", "0"),
                                                 Conversation(int(hdrs.get("port", "0") or 0)))
            if hdrs.get("streamtype") == "error":
                conv.error_stream = stream
            else:
                conv.data_stream = stream
            self.by_stream[stream] = conv
            await self.send(control_frame(SYN_REPLY, 0, struct.pack(">I", stream) + self.header_block({})))
            if conv.data_stream and conv.error_stream:
                await self.check_listener(conv)
        elif ftype == PING:
            await self.send(control_frame(PING, 0, body[:4]))
        elif ftype == RST_STREAM:
            reset = self.by_stream.get(struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF)
            if reset is not None:
                reset.closed = True

    def listener(self, port: int) -> Process | None:
        return next((p for p in self.procs if port in p.ports), None)

    async def check_listener(self, conv: Conversation) -> None:
        if self.listener(conv.port) is None:
            message = (f"error forwarding port {conv.port} to pod {self.pod_uid}, uid : failed to execute portforward "
                       f"in network namespace \"/var/run/netns/cni-{self.pod_uid[:8]}\": failed to connect to "
                       f"localhost:{conv.port} inside namespace \"{self.pod_uid[:12]}\", IPv4: dial tcp4 "
                       f"127.0.0.1:{conv.port}: connect: connection refused IPv6 dial tcp6 [::1]:{conv.port}: "
                       "connect: connection refused ")
            await self.send(data_frame(conv.error_stream, FLAG_FIN, message.encode()))
            await self.send(data_frame(conv.data_stream, FLAG_FIN, b""))
            conv.closed = True

    async def data(self, stream: int, flags: int, body: bytes) -> None:
        conv = self.by_stream.get(stream)
        if conv is None or conv.closed or stream != conv.data_stream:
            return
        conv.buffer += body
        while True:
            request, conv.buffer = split_request(conv.buffer)
            if request is None:
                break
            await self.send(data_frame(stream, 0, self.answer(conv.port, request)))
        if flags & FLAG_FIN:
            await self.send(data_frame(stream, FLAG_FIN, b""))
            if conv.error_stream:
                await self.send(data_frame(conv.error_stream, FLAG_FIN, b""))
            conv.closed = True

    def answer(self, port: int, request: tuple[str, str]) -> bytes:
        method, path = request
        proc = self.listener(port)
        reply = proc.http(port, method, path) if proc is not None else None
        if reply is None:
            return b""
        body = reply.body.encode()
        head = (f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, '')}\r\nContent-Type: {reply.content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        return head.encode() + (body if method != "HEAD" else b"")


def split_request(buffer: bytes) -> tuple[tuple[str, str] | None, bytes]:
    """The first complete HTTP/1.x request in ``buffer`` as (method, path), and what remains."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None, buffer
    head = buffer[:end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value.strip())
    total = end + 4 + length
    if len(buffer) < total:
        return None, buffer
    method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("GET", "/")
    return (method, path), buffer[total:]


async def portforward_stream(request: web.Request, cluster: Cluster, namespace: str, name: str) -> web.StreamResponse:
    pod = cluster.store.try_get("Pod", namespace, name)
    if pod is None:
        raise not_found("pods", name)
    if get_path(pod, "status.phase") != "Running":
        raise BadRequest(f"pod {name} is not running")
    procs = [p for c in get_path(pod, "spec.containers", []) or []
             if (p := cluster.kubelet.process_of(namespace, name, c["name"])) is not None]
    ws = web.WebSocketResponse(protocols=(PROTOCOL,), autoping=True)
    if not ws.can_prepare(request).ok:
        raise BadRequest("the chaoskit simulator serves kubectl port-forward over WebSocket "
                         f"({PROTOCOL}) only; use kubectl v1.31 or newer")
    await ws.prepare(request)
    session = Session(ws, name, pod["metadata"]["uid"], procs)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await session.feed(msg.data)
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
    except (ConnectionResetError, zlib.error, struct.error):
        session.buffer = b""  # a client that vanished or spoke garbage ends its own session only
    finally:
        await ws.close()
        await asyncio.sleep(0)
    return ws
