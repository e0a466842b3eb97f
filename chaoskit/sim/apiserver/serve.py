"""``chaoskit sim serve``: start the engine and the API server, write kubeconfigs, run until a signal."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from chaoskit.kube import tls
from chaoskit.kube.audit import AuditLog
from chaoskit.kube.identity import SYSTEM, TRAINEE
from chaoskit.sim import snapshot
from chaoskit.sim.apiserver.server import ApiServer, ssl_context
from chaoskit.sim.cluster import Cluster, ClusterConfig
from chaoskit.sim.errors import SimError
from chaoskit.sim.topology import Topology

SYSTEM_KUBECONFIG = "system.kubeconfig"
AUTH_MODES = ("token", "client-cert")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    kubeconfig: Path | None = None
    state_dir: Path = Path(".chaoskit-sim")
    speed: float = 1.0
    workers: int = 2
    seed: int = 0
    auth: str = "token"  # or "client-cert": kubeconfigs carry client certificates, as kind's do


def build_cluster(options: ServeOptions) -> Cluster:
    restored = snapshot.load(options.state_dir)
    if restored is not None:
        return restored
    config = ClusterConfig(topology=Topology(workers=options.workers), start=float(int(time.time())),
                           seed=options.seed)
    return Cluster(config)


async def serve(options: ServeOptions, announce: Callable[[str], None] = print) -> None:
    if options.speed <= 0:
        raise SimError(f"--speed must be positive, got {options.speed}")
    state = options.state_dir
    state.mkdir(parents=True, exist_ok=True)
    cluster = build_cluster(options)
    certs = tls.make_certs(options.host)
    tls.write_private(state / "apiserver.crt", certs.cert_pem)
    tls.write_private(state / "apiserver.key", certs.key_pem)
    tls.write_private(state / "ca.crt", certs.ca_pem)
    if options.auth not in AUTH_MODES:
        raise SimError(f"--auth must be one of {', '.join(AUTH_MODES)}, not {options.auth!r}")
    trainee: str | tuple[bytes, bytes]
    system: str | tuple[bytes, bytes]
    if options.auth == "client-cert":
        trainee, system = tls.client_cert(certs, TRAINEE), tls.client_cert(certs, SYSTEM, ("system:masters",))
        tokens: dict[str, str] = {}
    else:
        trainee, system = tls.new_token(), tls.new_token()
        tokens = {trainee: TRAINEE, system: SYSTEM}
    server = ApiServer(cluster, tokens, AuditLog(state / "audit.log"), speed=options.speed)
    runner = web.AppRunner(server.app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port,
                       ssl_context=ssl_context(state / "apiserver.crt", state / "apiserver.key",
                                               state / "ca.crt" if options.auth == "client-cert" else None))
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise SimError(f"cannot listen on {options.host}:{options.port}: {exc.strerror}") from exc
    port = int(runner.addresses[0][1]) if runner.addresses else options.port
    url = f"https://{options.host}:{port}"
    server.address = f"{options.host}:{port}"
    kubeconfig = options.kubeconfig or state / "kubeconfig"
    tls.write_kubeconfig(kubeconfig, tls.kubeconfig(url, certs.ca_pem, trainee))
    tls.write_kubeconfig(state / SYSTEM_KUBECONFIG,
                         tls.kubeconfig(url, certs.ca_pem, system, user="chaoskit-system"))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop_event.set)
    engine = asyncio.create_task(server.run_engine())
    announce(f"chaoskit simulator ready at {url} (kubeconfig {kubeconfig})")
    try:
        await server.stop_event.wait()
    finally:
        server.stop_event.set()
        await engine
        await runner.cleanup()
        snapshot.save(cluster, state)
        server.audit_log.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
