"""The audit proxy: the trainee's door to a real cluster.

An HTTPS reverse proxy on loopback in front of the cluster's API server. The trainee's
kubeconfig holds a token only this proxy knows; the proxy forwards each request with the user's
own credentials (whatever their kubeconfig carries: bearer token, client certificate, an exec
plugin), writes one audit line per request in the simulator's format, and refuses writes outside
the session's scope with a 403 worded as RBAC words it. Watches and log follows are streamed
chunk by chunk; exec, attach and port-forward (WebSocket) are relayed frame by frame. Grading
reads the proxy's log exactly as it reads the simulator's, so it works the same on every backend.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import aiohttp
from aiohttp import WSMsgType, web
from kubernetes import client, config
from yarl import URL

from chaoskit.cluster.kube import KUBECONFIG_ERRORS, kubeconfig_error
from chaoskit.cluster.scope import Scope
from chaoskit.errors import ConfigError
from chaoskit.i18n import _
from chaoskit.kube import tls
from chaoskit.kube.audit import AuditLog, AuditRecord, grace_period, wall_iso
from chaoskit.kube.identity import CONTROL_PREFIX, TRAINEE
from chaoskit.kube.requestinfo import Canonical, RequestInfo, canonical, request_info
from chaoskit.kube.status import (
    BadRequest,
    Forbidden,
    ServiceUnavailable,
    StatusError,
    Unauthorized,
    status_response,
)
from chaoskit.kube.times import iso_micro

SENT = web.RequestKey("sent", int)  # the status already on the wire (0: nothing yet)
CANONICAL = web.RequestKey("canonical", Canonical)
# Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
DROP_REQUEST = frozenset({"host", "authorization", "connection", "keep-alive", "proxy-connection", "te",
                          "trailer", "transfer-encoding", "upgrade", "content-length",
                          "impersonate-user", "impersonate-group", "impersonate-uid"})
DROP_RESPONSE = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "trailer",
                           "upgrade"})
WS_HEADERS = frozenset({"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
                        "sec-websocket-protocol"})


def forbidden_message(info: RequestInfo, why: str) -> str:
    """RBAC's wording (``pods "x" is forbidden: User "trainee" cannot delete resource ...``), with the
    reason appended the way a webhook authorizer's reason is."""
    if not info.resource_request:
        return f'forbidden: User "{TRAINEE}" cannot {info.verb} path "{info.path}": {why}'
    what = f'{info.resource} "{info.name}"' if info.name and info.resource != "namespaces" else info.resource
    resource = f"{info.resource}/{info.subresource}" if info.subresource else info.resource
    where = f'in the namespace "{info.namespace}"' if info.namespace and info.resource != "namespaces" \
        else "at the cluster scope"
    return (f'{what} is forbidden: User "{TRAINEE}" cannot {info.verb} resource "{resource}" in API group '
            f'"{info.group}" {where}: {why}')


class Upstream:
    """The user's credentials for the real API server, resolved by the official client's loader."""

    def __init__(self, kubeconfig: str | None, context: str) -> None:
        self.cfg = client.Configuration()
        try:
            config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=self.cfg,
                                    persist_config=False)
        except KUBECONFIG_ERRORS as exc:
            raise kubeconfig_error(kubeconfig, exc, context) from exc
        self.url = str(self.cfg.host).rstrip("/")
        if self.cfg.verify_ssl:
            self.ssl: ssl.SSLContext | bool = ssl.create_default_context(cafile=self.cfg.ssl_ca_cert)
        else:
            self.ssl = False
        if self.cfg.cert_file:
            ctx = self.ssl if isinstance(self.ssl, ssl.SSLContext) else _insecure()
            ctx.load_cert_chain(self.cfg.cert_file, self.cfg.key_file)
            self.ssl = ctx

    def headers(self) -> dict[str, str]:
        token = self.cfg.get_api_key_with_prefix("BearerToken")  # refreshes exec-plugin tokens
        return {"Authorization": token} if token else {}


def _insecure() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class AuditProxy:
    """The proxy on its own thread and event loop, as :class:`EmbeddedServer` runs the simulator."""

    def __init__(self, upstream: Upstream, state_dir: Path, scope: Scope, now: Callable[[], float]) -> None:
        self.upstream = upstream
        self.scope = scope
        self.now = now
        self.token = tls.new_token()
        state_dir.mkdir(parents=True, exist_ok=True)
        self.certs = tls.make_certs()
        tls.write_private(state_dir / "proxy.crt", self.certs.cert_pem)
        tls.write_private(state_dir / "proxy.key", self.certs.key_pem)
        self.state_dir = state_dir
        self.audit_log = AuditLog(state_dir / "audit.log")
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="chaoskit-audit-proxy")
        self._thread.start()
        if not self._ready.wait(60) or self._error is not None:
            raise ConfigError(_("the audit proxy did not start: {error}").format(error=self._error))
        self.url = f"https://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ lifecycle

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self._runner = self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the constructor, which raises it as ConfigError
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> web.AppRunner:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
                                             auto_decompress=False)
        app = web.Application(client_max_size=16 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        # handler_cancellation: a trainee's ^C on 'kubectl get -w' ends the upstream watch too.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=True,
                               shutdown_timeout=5.0)
        await runner.setup()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.state_dir / "proxy.crt"), str(self.state_dir / "proxy.key"))
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        self._port = int(runner.addresses[0][1])
        return runner

    def stop(self) -> None:
        async def shutdown() -> None:
            await self.session.close()  # ends streams in flight, so the server's shutdown does not wait
            await self._runner.cleanup()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
        self.audit_log.close()

    def __enter__(self) -> AuditProxy:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def kubeconfig(self, path: Path, namespace: str) -> Path:
        """The trainee's kubeconfig: this proxy, its token, the session's namespace."""
        doc = tls.kubeconfig(self.url, self.certs.ca_pem, self.token, user=TRAINEE)
        doc["contexts"][0]["context"]["namespace"] = namespace
        tls.write_kubeconfig(path, doc)
        return path

    # ------------------------------------------------------------------ requests

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer (or refuse) one request; its audit line is written however it ends, also when
        the trainee hangs up a watch, a log follow or a port-forward (the handler is cancelled)."""
        started = time.perf_counter()
        body = b"" if _is_upgrade(request) else await request.read()
        authorized = request.headers.get("Authorization", "") == f"Bearer {self.token}"
        request[SENT] = 0
        try:
            response = await self._answer(request, body, authorized)
            request[SENT] = response.status
            return response
        finally:
            self.audit(request, body, request[SENT] or 499, TRAINEE if authorized else "", started)

    async def _answer(self, request: web.Request, body: bytes, authorized: bool) -> web.StreamResponse:
        try:
            if not authorized:
                return status_response(Unauthorized())
            # One spelling of the request from here on: authorised, audited and forwarded as is.
            req = request[CANONICAL] = canonical(request.method, request.raw_path)
            info = request_info(req)
            if req.path.startswith(CONTROL_PREFIX):
                return status_response(Forbidden(forbidden_message(info, "chaoskit's own controls")))
            if why := self.scope.refusal(req, _body_name(body)):
                return status_response(Forbidden(forbidden_message(info, why)))
            if _is_upgrade(request):
                return await self.relay_websocket(request, req)
            if request.headers.get("Upgrade"):
                return status_response(BadRequest(f"the chaoskit audit proxy relays WebSocket streams only, not "
                                                  f"{request.headers['Upgrade']}; use kubectl 1.31 or newer"))
            return await self.forward(request, req, body)
        except StatusError as err:
            return status_response(err)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            if request[SENT]:
                raise  # already answering: nothing better to send
            return status_response(ServiceUnavailable(f"the audit proxy cannot reach the API server at "
                                                      f"{self.upstream.url}: {exc}"))

    def _url(self, req: Canonical) -> URL:
        """The upstream URL, taken as already encoded so that nothing re-normalises it."""
        return URL(self.upstream.url + req.target, encoded=True)

    async def forward(self, request: web.Request, req: Canonical, body: bytes) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROP_REQUEST}
        headers.update(self.upstream.headers())
        async with self.session.request(req.method, self._url(req), headers=headers,
                                        data=body or None, ssl=self.upstream.ssl, allow_redirects=False) as up:
            response = web.StreamResponse(status=up.status, reason=up.reason)
            for key, value in up.headers.items():
                if key.lower() not in DROP_RESPONSE:
                    response.headers.add(key, value)
            await response.prepare(request)
            request[SENT] = up.status
            try:
                async for chunk in up.content.iter_any():  # a watch or a log follow: pass on as it comes
                    await response.write(chunk)
                await response.write_eof()
            except (ConnectionResetError, aiohttp.ClientError):
                pass  # one side hung up; the other is closed by leaving this block
            return response

    async def relay_websocket(self, request: web.Request, req: Canonical) -> web.StreamResponse:
        """exec, attach, port-forward: connect upstream first, answer with the subprotocol it chose."""
        protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in DROP_REQUEST and k.lower() not in WS_HEADERS}
        headers.update(self.upstream.headers())
        try:
            upstream = await self.session.ws_connect(self._url(req), protocols=protocols,
                                                     headers=headers, ssl=self.upstream.ssl, autoping=False,
                                                     max_msg_size=0)
        except aiohttp.WSServerHandshakeError as exc:
            return status_response(UpgradeFailed(exc.status, f"upgrade request failed: {exc.message}"))
        ws = web.WebSocketResponse(protocols=(upstream.protocol,) if upstream.protocol else (), autoping=False,
                                   max_msg_size=0)
        await ws.prepare(request)
        request[SENT] = 101
        await asyncio.gather(_pump(ws, upstream), _pump(upstream, ws))
        await ws.close()
        await upstream.close()
        return ws

    def audit(self, request: web.Request, body: bytes, code: int, user: str, started: float) -> None:
        """The request's line, naming what it really addressed (its canonical form; a request
        refused before it had one is recorded by its method and raw target only)."""
        req = request.get(CANONICAL)
        info = request_info(req) if req is not None else RequestInfo(False, request.method.lower())
        grace = None
        if request.method == "DELETE":
            grace = grace_period(body, request.query.get("gracePeriodSeconds"))
        self.audit_log.write(AuditRecord(
            wallTime=wall_iso(), simTime=iso_micro(self.now()), user=user,
            userAgent=request.headers.get("User-Agent", ""),
            kubectlCommand=request.headers.get("Kubectl-Command", ""),
            kubectlSession=request.headers.get("Kubectl-Session", ""), verb=info.verb, resource=info.resource,
            subresource=info.subresource, namespace="" if info.resource == "namespaces" else info.namespace,
            name=info.name, code=code, latencyMs=round((time.perf_counter() - started) * 1000, 3),
            method=request.method, uri=req.target if req is not None else request.raw_path,
            gracePeriodSeconds=grace))


class UpgradeFailed(StatusError):
    """The upstream refused a WebSocket upgrade: its status, passed on."""

    reason = "Failure"

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


async def _pump(source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
                sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> None:
    async for msg in source:
        if sink.closed:
            break
        if msg.type == WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        elif msg.type == WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type == WSMsgType.PING:
            await sink.ping(msg.data)
        elif msg.type == WSMsgType.PONG:
            await sink.pong(msg.data)
    if not sink.closed:
        await sink.close()


def _is_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _body_name(body: bytes) -> str:
    try:
        doc = json.loads(body) if body[:1] == b"{" else {}
    except ValueError:
        return ""
    return str((doc.get("metadata") or {}).get("name", "")) if isinstance(doc, dict) else ""
