"""The audit proxy: the trainee's door to a real cluster, and the trainee's RBAC.

An HTTPS reverse proxy on loopback in front of the cluster's API server. The trainee's
kubeconfig holds a token only this proxy knows; the proxy forwards each request with the
facilitator's own credentials (whatever their kubeconfig carries: bearer token, client
certificate, an exec plugin), so it must itself be the trainee's RBAC. Each request is, in order:

1. authenticated, before a byte of its body is read (a wrong token costs the sender nothing but
   a 401 and a closed connection);
2. made canonical (:mod:`chaoskit.kube.requestinfo`): one spelling, authorised, audited and
   forwarded as it is, so no path trick means one thing here and another upstream;
3. refused if it carries ``Impersonate-*`` or ``X-Remote-*`` headers, then authorised by
   :func:`chaoskit.kube.authz.authorize` (403s worded as RBAC words them);
4. read, at most 3 MiB as kube-apiserver's ``--max-request-body-bytes`` default allows (413);
5. for a write that must be seen whole (pods and pod templates, RBAC, the session namespace),
   judged on the cluster's own dry run of it (:mod:`chaoskit.cluster.guard`);
6. forwarded: watches and log follows chunk by chunk, exec, attach and port-forward (WebSocket)
   frame by frame.

Every request gets one audit line in the simulator's format, allowed or refused, naming what it
really addressed; grading reads the proxy's log exactly as it reads the simulator's.
"""

from __future__ import annotations

import asyncio
import hmac
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

from chaoskit.cluster.guard import Admission, Neighbourhood, Reply
from chaoskit.cluster.kube import KUBECONFIG_ERRORS, kubeconfig_error
from chaoskit.errors import ConfigError
from chaoskit.i18n import _
from chaoskit.kube import tls
from chaoskit.kube.admit import guarded
from chaoskit.kube.audit import AuditLog, AuditRecord, grace_period, wall_iso
from chaoskit.kube.authz import Policy, authorize, forbidden, header_refusal
from chaoskit.kube.identity import TRAINEE
from chaoskit.kube.requestinfo import Canonical, RequestInfo, canonical, request_info
from chaoskit.kube.reviews import answer, is_self_review
from chaoskit.kube.status import (
    BadRequest,
    RequestEntityTooLarge,
    ServiceUnavailable,
    StatusError,
    Unauthorized,
    status_response,
)
from chaoskit.kube.times import iso_micro

SENT = web.RequestKey("sent", int)  # the status already on the wire (0: nothing yet)
CANONICAL = web.RequestKey("canonical", Canonical)
INFO = web.RequestKey("info", RequestInfo)
BODY = web.RequestKey("body", bytes)
MAX_BODY = 3 * 2**20  # kube-apiserver's MaxRequestBodyBytes default (3 MiB)
# Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
DROP_REQUEST = frozenset({"host", "authorization", "connection", "keep-alive", "proxy-connection", "te",
                          "trailer", "transfer-encoding", "upgrade", "content-length", "proxy-authorization"})
DROP_RESPONSE = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "trailer",
                           "upgrade"})
WS_HEADERS = frozenset({"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
                        "sec-websocket-protocol"})


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

    def __init__(self, upstream: Upstream, state_dir: Path, policy: Policy, now: Callable[[], float]) -> None:
        self.upstream = upstream
        self.policy = policy
        self.now = now
        self.token = tls.new_token()
        self.expected = f"Bearer {self.token}".encode()
        self.neighbourhood = Neighbourhood(policy, self.fetch)
        self.admission = Admission(policy, self.fetch)
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
        app = web.Application(client_max_size=MAX_BODY)
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
        authorized = hmac.compare_digest(request.headers.get("Authorization", "").encode(), self.expected)
        request[SENT] = 0
        try:
            response = await self._answer(request, authorized)
            request[SENT] = response.status
            return response
        finally:
            self.audit(request, request.get(BODY, b""), request[SENT] or 499, TRAINEE if authorized else "",
                       started)

    async def _answer(self, request: web.Request, authorized: bool) -> web.StreamResponse:
        try:
            if not authorized:
                return _closing(status_response(Unauthorized()))  # the body stays unread
            # One spelling of the request from here on: authorised, audited and forwarded as is.
            req = request[CANONICAL] = canonical(request.method, request.raw_path)
            info = request[INFO] = request_info(req)
            if refused := header_refusal(request.headers, self.policy.user):
                return status_response(refused)
            hood = self.neighbourhood
            facts = hood.facts if hood.fresh(info.namespace) else await hood.refreshed()
            decision = authorize(info, self.policy, facts)
            if not decision.allowed:
                return status_response(forbidden(info, self.policy.user, decision.reason))
            if _is_upgrade(request):
                return await self.relay_websocket(request, req)
            if request.headers.get("Upgrade"):
                return status_response(BadRequest(f"the chaoskit audit proxy relays WebSocket streams only, not "
                                                  f"{request.headers['Upgrade']}; use kubectl 1.31 or newer"))
            try:
                body = request[BODY] = await _read_body(request)
            except RequestEntityTooLarge as err:
                return _closing(status_response(err))
            if is_self_review(info):   # answered for the trainee, not forwarded to answer for the facilitator
                return web.json_response(answer(info, self.policy, facts, body,
                                                request.headers.get("Content-Type", "")), status=201)
            if not guarded(info):
                return await self.forward(request, req, body)
            async with self.admission.lock(info):
                judged = await self.admission.judge(info, req.method, req.target, body,
                                                    request.headers.get("Content-Type", ""), facts)
                if isinstance(judged, StatusError):
                    return status_response(judged)
                if isinstance(judged, Reply):
                    return web.Response(body=judged.body, status=judged.status,
                                        headers={"Content-Type": judged.content_type})
                return await self.forward(request, req, body)
        except StatusError as err:
            return status_response(err)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            if request[SENT]:
                raise  # already answering: nothing better to send
            return status_response(ServiceUnavailable(f"the audit proxy cannot reach the API server at "
                                                      f"{self.upstream.url}: {exc}"))

    async def fetch(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Reply:
        """One small request upstream with the facilitator's credentials, read whole (the
        guard's reads and dry runs)."""
        sent = {"Accept": "application/json", "Accept-Encoding": "identity", **headers, **self.upstream.headers()}
        async with self.session.request(method, URL(self.upstream.url + target, encoded=True), headers=sent,
                                        data=body or None, ssl=self.upstream.ssl, allow_redirects=False) as up:
            return Reply(up.status, up.headers.get("Content-Type", "application/json"), await up.read())

    def _url(self, req: Canonical) -> URL:
        """The upstream URL, taken as already encoded so that nothing re-normalises it."""
        return URL(self.upstream.url + req.target, encoded=True)

    async def forward(self, request: web.Request, req: Canonical, body: bytes) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROP_REQUEST}
        headers.update(self.upstream.headers())
        async with self.session.request(req.method, self._url(req), headers=headers, data=body or None,
                                        ssl=self.upstream.ssl, allow_redirects=False,
                                        skip_auto_headers=("Accept-Encoding",)) as up:
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
        info = request.get(INFO) or RequestInfo(False, request.method.lower(), req.path if req else "")
        grace = None
        if request.method == "DELETE":
            grace = grace_period(body, req.param("gracePeriodSeconds") if req else None)
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


def _closing(response: web.Response) -> web.Response:
    """A refusal after which the connection closes, so an unread body is never drained."""
    response.force_close()
    return response


async def _read_body(request: web.Request) -> bytes:
    """The body, refused past :data:`MAX_BODY` as kube-apiserver's ``limitedReadBody`` refuses it."""
    if not request.body_exists:
        return b""
    too_large = RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY}")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
