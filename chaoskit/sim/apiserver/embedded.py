"""A served simulator inside this process, on its own thread and event loop.

``chaoskit selftest`` (and tests) use it: the real kubectl and the official client talk to it over
HTTPS exactly as to ``chaoskit sim serve``, while the cluster stays reachable in-process.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import TracebackType

from aiohttp import web

from chaoskit.kube import tls
from chaoskit.kube.audit import AuditLog
from chaoskit.kube.authz import Policy
from chaoskit.kube.identity import SYSTEM, TRAINEE
from chaoskit.sim.apiserver.server import ApiServer, ssl_context
from chaoskit.sim.cluster import Cluster, ClusterConfig


class EmbeddedServer:
    def __init__(self, state_dir: Path, speed: float = 50.0, config: ClusterConfig | None = None,
                 audit: bool = True, policy: Policy | None = None) -> None:
        """``policy``: hold the trainee's requests to it (a session's simulator); None leaves the
        trainee unrestricted, as ``chaoskit sim serve`` does."""
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        certs = tls.make_certs()
        tls.write_private(state_dir / "apiserver.crt", certs.cert_pem)
        tls.write_private(state_dir / "apiserver.key", certs.key_pem)
        trainee, system = tls.new_token(), tls.new_token()
        self.cluster = Cluster(config)
        self.api = ApiServer(self.cluster, {trainee: TRAINEE, system: SYSTEM},
                             AuditLog(state_dir / "audit.log" if audit else None), speed=speed, policy=policy)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._port = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name="chaoskit-embedded-apiserver")
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the embedded API server did not start")
        self.url = f"https://127.0.0.1:{self._port}"
        self.api.address = f"127.0.0.1:{self._port}"
        self.kubeconfig = state_dir / "kubeconfig"
        self.system_kubeconfig = state_dir / "system.kubeconfig"
        tls.write_kubeconfig(self.kubeconfig, tls.kubeconfig(self.url, certs.ca_pem, trainee))
        tls.write_kubeconfig(self.system_kubeconfig, tls.kubeconfig(self.url, certs.ca_pem, system,
                                                                    user="chaoskit-system"))

    async def _start(self) -> web.AppRunner:
        runner = web.AppRunner(self.api.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context(self.state_dir / "apiserver.crt",
                                                                          self.state_dir / "apiserver.key"))
        await site.start()
        self._port = int(runner.addresses[0][1])
        return runner

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._runner = self.loop.run_until_complete(self._start())
        self._engine = self.loop.create_task(self.api.run_engine())
        self._ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        async def shutdown() -> None:
            self.api.stop_event.set()
            await self._engine
            await self._runner.cleanup()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
        self.api.audit_log.close()

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
