"""The simulator's API server in this process over plain HTTP, driven with raw ``http.client``.

Abuse and fuzz tests talk to it the way an attacker would (no kubectl to clean the request up),
and look inside the cluster between requests. The engine runs on the server's loop as in
``chaoskit sim serve``, so a test can check that the clock still moves.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from chaoskit.kube.audit import AuditLog
from chaoskit.kube.identity import TRAINEE
from chaoskit.sim import Cluster
from chaoskit.sim.apiserver.server import ApiServer
from chaoskit.sim.cluster import ClusterConfig

TOKEN = "abuse-test-token"


@dataclass
class Answer:
    status: int
    body: bytes
    headers: http.client.HTTPMessage

    def json(self) -> Any:
        return json.loads(self.body)


class PlainServer:
    def __init__(self, speed: float = 50.0, config: ClusterConfig | None = None, **options: Any) -> None:
        self.cluster = Cluster(config)
        self.api = ApiServer(self.cluster, {TOKEN: TRAINEE}, AuditLog(None), speed=speed, **options)
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0

        async def start() -> web.AppRunner:
            runner = web.AppRunner(self.api.app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = int(runner.addresses[0][1])
            return runner

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.runner = self.loop.run_until_complete(start())
            self.engine = self.loop.create_task(self.api.run_engine())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True, name="plain-apiserver")
        self.thread.start()
        if not ready.wait(30):
            raise RuntimeError("the plain API server did not start")

    def call(self, fn: Any) -> Any:
        """Run ``fn()`` on the server's loop (the cluster is not thread-safe) and return its result."""
        async def inner() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(inner(), self.loop).result(60)

    def request(self, method: str, path: str, body: bytes | str | None = None, content_type: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 60) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = {"Authorization": f"Bearer {TOKEN}", **(headers or {})}
            if content_type is not None:
                all_headers["Content-Type"] = content_type
            data = body.encode() if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=all_headers)
            reply = conn.getresponse()
            return Answer(reply.status, reply.read(), reply.headers)
        finally:
            conn.close()

    def socket(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    @property
    def engine_alive(self) -> bool:
        return not self.engine.done()

    def stop(self) -> None:
        async def shutdown() -> None:
            self.api.stop_event.set()
            await self.engine
            await self.runner.cleanup()

        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(60)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
        self.loop.close()
