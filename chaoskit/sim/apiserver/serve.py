"""``chaoskit sim serve``: start the engine and the API server, write kubeconfigs, run until a signal.

A served simulator is something a session leans on for its whole life (its kubeconfig is how the
session reverts its faults), so a restart on the same ``--state-dir`` must be the same server:
the same CA, credentials and port (:mod:`.statedir`) and the same cluster. The cluster is
snapshotted every few wall seconds while serving, atomically, and once more on a clean stop, so
a ``kill -9`` loses at most the last interval. Each snapshot is encoded on the engine's event loop
(between ticks, so it sees one consistent instant) and written and fsynced on a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from chaoskit.kube import tls
from chaoskit.kube.audit import AuditLog
from chaoskit.kube.times import iso
from chaoskit.sim import snapshot
from chaoskit.sim.apiserver.server import ApiServer, ssl_context
from chaoskit.sim.apiserver.statedir import Endpoint, StateDir
from chaoskit.sim.cluster import Cluster, ClusterConfig
from chaoskit.sim.errors import SimError
from chaoskit.sim.topology import Topology

SYSTEM_KUBECONFIG = "system.kubeconfig"
AUTH_MODES = ("token", "client-cert")
SNAPSHOT_INTERVAL = 5.0   # wall seconds between periodic snapshots: what a kill -9 loses at most
HEARTBEAT = 1.0           # wall seconds between heartbeats (how a restart learns when the last stop was)
MAX_SNAPSHOT_SHARE = 0.05  # the on-loop encoding takes at most this share of the loop: big clusters wait longer
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
T = TypeVar("T")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0             # 0: the port this state directory served on before, else any free one
    kubeconfig: Path | None = None
    state_dir: Path = Path(".chaoskit-sim")
    speed: float = 1.0
    workers: int = 2
    seed: int = 0
    auth: str = "token"  # or "client-cert": kubeconfigs carry client certificates, as kind's do
    snapshot_interval: float = SNAPSHOT_INTERVAL


def new_cluster(options: ServeOptions) -> Cluster:
    config = ClusterConfig(topology=Topology(workers=options.workers), start=float(int(time.time())),
                           seed=options.seed)
    return Cluster(config)


def restored_line(restored: snapshot.Restored, last_alive: float | None) -> str:
    """What a start says it brought back, and how much a crash lost."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(restored.saved_at))
    if restored.clean:
        how = " (taken at the last stop, which was clean)"
    elif last_alive is not None and restored.clean is False:
        lost = max(0, round(last_alive - restored.saved_at))
        how = f" ({lost} s before the last stop, which was not clean: changes after it are lost)"
    else:
        how = ""
    return (f"restored snapshot of {when}{how}: {restored.objects} objects, "
            f"simulator time {iso(restored.cluster.now)}")


async def serve(options: ServeOptions, announce: Callable[[str], None] = print,
                warn: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT, SIGTERM or SIGHUP; raises SimError (one line for the user) when it cannot."""
    warn = warn or (lambda line: print(line, file=sys.stderr))
    if options.speed <= 0:
        raise SimError(f"--speed must be positive, got {options.speed}")
    if options.auth not in AUTH_MODES:
        raise SimError(f"--auth must be one of {', '.join(AUTH_MODES)}, not {options.auth!r}")
    if not options.snapshot_interval > 0:
        raise SimError(f"--snapshot-interval must be positive, got {options.snapshot_interval}")
    state = StateDir.open(options.state_dir)
    try:
        await _serve(options, state, announce, warn)
    finally:
        state.close()


async def _serve(options: ServeOptions, state: StateDir, announce: Callable[[str], None],
                 warn: Callable[[str], None]) -> None:
    # Read everything first: a snapshot or credential that cannot be read stops us here, before
    # anything in the directory is rewritten.
    restored = snapshot.read(state.path)
    cluster = restored.cluster if restored is not None else new_cluster(options)
    before = state.endpoint()
    credentials = state.credentials(options.host, options.auth)
    _writing(state.save, credentials)  # the TLS context reads them from these files; unchanged ones stay
    server = ApiServer(cluster, credentials.tokens, _writing(AuditLog, state.path / "audit.log"), speed=options.speed)
    runner = web.AppRunner(server.app(), handle_signals=False, access_log=None)
    await runner.setup()
    loop = asyncio.get_running_loop()
    try:
        port = await _listen(runner, state, options, before)
        url = f"https://{options.host}:{port}"
        server.address = f"{options.host}:{port}"
        _writing(state.save_endpoint, Endpoint(options.host, port))
        kubeconfig = options.kubeconfig or state.path / "kubeconfig"
        _writing(tls.write_kubeconfig, kubeconfig, tls.kubeconfig(url, credentials.certs.ca_pem, credentials.trainee))
        _writing(tls.write_kubeconfig, state.path / SYSTEM_KUBECONFIG,
                 tls.kubeconfig(url, credentials.certs.ca_pem, credentials.system, user="chaoskit-system"))
        for note in credentials.notes:
            announce(note)
        if before is not None and credentials.kept and (before.host, before.port) != (options.host, port):
            announce(f"moved from https://{before.host}:{before.port} to {url}: the kubeconfigs are rewritten; "
                     "clients holding the old ones must read them again")
        if restored is not None:
            announce(restored_line(restored, state.last_alive))
        elif before is not None:
            announce(f"no snapshot in {state.path} (the last server stopped before writing one): a new cluster")
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, server.stop_event.set)
        engine = asyncio.create_task(server.run_engine())
        engine.add_done_callback(lambda _: server.stop_event.set())  # an engine that dies stops the server
        keeper = asyncio.create_task(_keep(cluster, state, options.snapshot_interval, server.stop_event, engine,
                                           warn))
        announce(f"chaoskit simulator ready at {url} (kubeconfig {kubeconfig})")
        try:
            await server.stop_event.wait()
        finally:
            server.stop_event.set()
            # Never cancelled: a periodic write in flight must land before the final one.
            ended = await asyncio.gather(engine, keeper, return_exceptions=True)
    finally:
        await runner.cleanup()
        server.audit_log.close()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    failure = next((e for e in ended if isinstance(e, BaseException)), None)
    if failure is not None:
        warn(f"the simulator's engine failed ({type(failure).__name__}: {failure}); the last periodic snapshot "
             f"in {state.path / snapshot.FILE} is kept")
        raise failure
    path = _writing(snapshot.save, cluster, state.path, clean=True)
    announce(f"stopped: snapshot written to {path}")


def _writing(write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a write into the state directory; a refusal (disk full, a read-only place) becomes one line."""
    try:
        return write(*args, **kwargs)
    except OSError as exc:
        raise SimError(f"cannot write {exc.filename or 'the state directory'}: {exc.strerror}") from exc


async def _listen(runner: web.AppRunner, state: StateDir, options: ServeOptions, before: Endpoint | None) -> int:
    """Bind the port asked for, else the one the kubeconfigs already name, else any free one."""
    reuse = options.port == 0 and before is not None
    port = before.port if reuse and before is not None else options.port
    context = ssl_context(state.path / "apiserver.crt", state.path / "apiserver.key",
                          state.path / "ca.crt" if options.auth == "client-cert" else None)
    site = web.TCPSite(runner, options.host, port, ssl_context=context)
    try:
        await site.start()
    except OSError as exc:
        if reuse:
            raise SimError(f"port {port}, which the kubeconfigs of {state.path} point at, is taken "
                           f"({exc.strerror}): stop whatever holds it, or pass --port to serve elsewhere "
                           "(the kubeconfigs are then rewritten)") from exc
        raise SimError(f"cannot listen on {options.host}:{port}: {exc.strerror}") from exc
    return int(runner.addresses[0][1]) if runner.addresses else port


async def _keep(cluster: Cluster, state: StateDir, interval: float, stop: asyncio.Event, engine: asyncio.Task[None],
                warn: Callable[[str], None]) -> None:
    """Heartbeat every second and snapshot every ``interval`` wall seconds until ``stop``.

    The interval stretches when encoding a big cluster would take more than MAX_SNAPSHOT_SHARE of
    the loop (requests wait while it runs): a 500-pod cluster encodes in ~0.07 s, within 5 s."""
    loop = asyncio.get_running_loop()
    due = loop.time() + interval
    failing = ""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, min(HEARTBEAT, due - loop.time())))
        if stop.is_set() or engine.done():
            return
        state.heartbeat()
        if loop.time() < due:
            continue
        started = time.perf_counter()
        try:
            data = snapshot.encode(cluster)
            cost = time.perf_counter() - started
            await asyncio.to_thread(snapshot.write, state.path, data)
            failing = ""
        except (OSError, TypeError, ValueError) as exc:
            cost = time.perf_counter() - started
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
            if cause != failing:  # once per cause, not every interval
                warn(f"warning: cannot write the snapshot in {state.path}: {cause}; retrying every "
                     f"{interval:g} s (a crash now loses everything since the last snapshot)")
                failing = cause
        due = loop.time() + max(interval, cost / MAX_SNAPSHOT_SHARE)
