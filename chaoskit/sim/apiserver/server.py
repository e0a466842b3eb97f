"""The aiohttp application: authentication, routing, streaming, the audit log and shutdown.

One asyncio loop runs both the HTTP server and the engine (through the :class:`Runner`), so
handlers read and write the store without locks; watches and log follows are long-lived
streams that wait on events and never block other requests.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from chaoskit.kube.audit import AuditLog, AuditRecord, grace_period, wall_iso
from chaoskit.kube.authz import Policy
from chaoskit.kube.identity import IDENTITY_KIND, IDENTITY_PATH, SYSTEM, TRAINEE
from chaoskit.kube.requestinfo import Canonical, RequestInfo, canonical, request_info
from chaoskit.kube.status import (
    BadRequest,
    Forbidden,
    Gone,
    InternalError,
    MethodNotAllowed,
    NotFound,
    StatusError,
    Unauthorized,
    status_response,
)
from chaoskit.kube.times import iso_micro
from chaoskit.sim.apiserver import discovery, metrics, openapi, portforward, resources, streams, subresources, wire
from chaoskit.sim.apiserver.paths import NOT_FOUND, Target, parse
from chaoskit.sim.apiserver.trainee import TraineeGuard
from chaoskit.sim.cluster import Cluster
from chaoskit.sim.guard import LOG
from chaoskit.sim.printing import TABLES, table
from chaoskit.sim.runner import Runner
from chaoskit.sim.store import Watcher

VERSION = {
    "major": "1", "minor": "37", "emulationMajor": "1", "emulationMinor": "37", "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "36", "gitVersion": "v1.37.1+chaoskit", "gitCommit": "chaoskit-simulator",
    "gitTreeState": "clean", "buildDate": "2026-11-01T00:00:00Z", "goVersion": "go1.25.3", "compiler": "gc",
    "platform": "linux/amd64",
}
UNSUPPORTED_STREAMS = {
    "resize": "in-place pod resize is not available on the chaoskit simulator; change the Deployment instead",
}
BOOKMARK_ANNOTATION = "k8s.io/initial-events-end"
LINGER = 1.0  # seconds an unread request body is drained after the answer before the connection closes
WRITE_GRACE = 5.0  # seconds past a watch's timeout a blocked write may still finish
REQUEST_SETTLE_BUDGET = 0.5  # wall seconds of controller work a write waits for before it is answered
ENDPOINTS_DEPRECATED = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


@dataclass
class Audit:
    """What the handler learned about a request, for its audit line."""

    verb: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""


class Timeout(StatusError):
    """The request-timeout filter's 504 (``--request-timeout`` 1m0s): here, a body that stopped arriving."""

    code = 504
    reason = "Timeout"

    def __init__(self) -> None:
        super().__init__("Timeout: request did not complete within requested timeout - context deadline exceeded",
                         {})


class Aborts:
    """Clients that hang up mid-request: the first is logged, later ones only counted, so a client
    aborting thousands of requests cannot flood ``chaoskit sim serve``'s stderr."""

    def __init__(self) -> None:
        self.count = 0

    def note(self, request: web.Request) -> web.Response:
        self.count += 1
        if self.count == 1:
            LOG.warning("a client closed its connection mid-request (%s %s); further aborted connections are "
                        "counted, not logged", request.method, request.rel_url.path)
        return web.Response(status=CLIENT_CLOSED)


CLIENT_CLOSED = 499  # what the audit log records for a request its client abandoned
ABORTS = Aborts()
AUDIT = web.RequestKey("audit", Audit)
BODY = web.RequestKey("body", bytes)
CANONICAL = web.RequestKey("canonical", Canonical)
INFO = web.RequestKey("info", RequestInfo)
USER = web.RequestKey("user", str)


def json_response(body: Any, code: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(body=json.dumps(body, separators=(",", ":")).encode(), status=code,
                        headers={"Content-Type": content_type})


@dataclass
class ApiServer:
    cluster: Cluster
    tokens: dict[str, str]
    audit_log: AuditLog
    speed: float = 1.0
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    address: str = "127.0.0.1:6443"
    control: dict[str, Callable[[str, Any], Any]] = field(default_factory=dict)
    # kube-apiserver's http.Server ReadHeaderTimeout (32 s): a connection that has not sent a
    # complete request head by then is closed. aiohttp's keep-alive timer is the one that covers
    # a half-sent head, so idle keep-alive connections are closed after the same time.
    header_timeout: float = 32.0
    # The request-timeout filter's 60 s: a body still not complete by then is answered 504.
    body_timeout: float = 60.0
    policy: Policy | None = None  # a session's trainee policy (chaoskit.kube.authz); None: unrestricted

    def __post_init__(self) -> None:
        self.runner = Runner(self.cluster.loop, self.speed)
        self.trainee = TraineeGuard(self.cluster, self.policy, self.read_body) if self.policy is not None else None

    # ------------------------------------------------------------------ app

    def app(self) -> web.Application:
        application = web.Application(middlewares=[self.middleware], client_max_size=wire.MAX_BODY,
                                      handler_args={"keepalive_timeout": self.header_timeout,
                                                    "lingering_time": LINGER})
        application.router.add_route("*", "/{tail:.*}", self.dispatch)
        return application

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        started = time.perf_counter()
        request[AUDIT] = audit = Audit(verb=request.method.lower())
        user = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer ").strip())
        if not user and cert_user(request) in (TRAINEE, SYSTEM):
            user = cert_user(request)
        request[USER] = user or ""
        try:
            if not user:
                raise Unauthorized()
            request[CANONICAL] = canonical(request.method, request.raw_path)
            info = request[INFO] = request_info(request[CANONICAL])
            if self.trainee is not None and user == TRAINEE:
                await self.trainee.check(request, request[CANONICAL], info)
            response = await handler(request)
        except StatusError as err:
            response = status_response(err)
        except ConnectionResetError:
            response = ABORTS.note(request)  # logged once; aiohttp would print a traceback per connection
        except asyncio.CancelledError:
            raise
        except web.HTTPException:
            raise
        except Exception as exc:  # the server never crashes on a request
            response = status_response(InternalError(f"Internal error occurred: {type(exc).__name__}: {exc}"))
        # what the request addressed, read as the audit proxy reads it, so both logs agree
        info = request.get(INFO) or RequestInfo(False, audit.verb, request.path)
        self.audit_log.write(AuditRecord(
            wallTime=wall_iso(), simTime=iso_micro(self.cluster.now), user=user or "",
            userAgent=request.headers.get("User-Agent", ""),
            kubectlCommand=request.headers.get("Kubectl-Command", ""),
            kubectlSession=request.headers.get("Kubectl-Session", ""), verb=info.verb, resource=info.resource,
            subresource=info.subresource, namespace="" if info.resource == "namespaces" else info.namespace,
            name=info.name, code=response.status,
            latencyMs=round((time.perf_counter() - started) * 1000, 3), method=request.method,
            uri=request[CANONICAL].target if CANONICAL in request else request.raw_path,
            gracePeriodSeconds=await _grace(request) if request.method == "DELETE" else None))
        return response

    # ------------------------------------------------------------------ routing

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request[CANONICAL].path
        if path in ("/healthz", "/readyz", "/livez") or path.startswith(("/healthz/", "/readyz/", "/livez/")):
            return web.Response(text="ok")
        if path == "/version":
            return web.json_response(VERSION)
        if path.startswith("/chaoskit/"):
            return await self.control_endpoint(request)
        accept = request.headers.get("Accept", "")
        if path == "/api" or path == "/apis":
            if "g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" in accept:
                return json_response(discovery.aggregated(path == "/api"), content_type=discovery.AGGREGATED)
            body = discovery.api_versions(self.address) if path == "/api" else discovery.group_list()
            return web.json_response(body)
        if path.startswith("/openapi/v3"):
            return self.openapi(path)
        if path == "/openapi/v2":
            raise NotFound(NOT_FOUND)
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"] and len(parts) == 2:
            return web.json_response(discovery.resource_list("", "v1"))
        if parts and parts[0] == "apis" and len(parts) == 2:
            found = discovery.group(parts[1])
            if found is None:
                raise NotFound(NOT_FOUND)
            return web.json_response(found)
        if parts and parts[0] == "apis" and len(parts) == 3:
            listing = discovery.resource_list(parts[1], parts[2])
            if not listing["resources"]:
                raise NotFound(NOT_FOUND)
            return web.json_response(listing)
        return await self.resource(request, parse(path))

    def openapi(self, path: str) -> web.Response:
        if path.rstrip("/") == "/openapi/v3":
            return web.json_response(openapi.index())
        doc = openapi.lookup(path.removeprefix("/openapi/v3/").strip("/"))
        if doc is None:
            raise NotFound(NOT_FOUND)
        return web.json_response(doc)

    async def resource(self, request: web.Request, target: Target) -> web.StreamResponse:
        audit: Audit = request[AUDIT]
        audit.resource, audit.subresource = target.kind.plural, target.subresource or ""
        audit.namespace, audit.name = target.namespace or "", target.name or ""
        query = {k: v for k, v in request.query.items()}
        method = request.method
        accept = request.headers.get("Accept", "")
        content_type = request.headers.get("Content-Type", "")
        raw = await self.read_body(request)
        if "protobuf" in content_type and method in ("PUT", "PATCH"):
            raise resources.UnsupportedMedia("the chaoskit simulator accepts protobuf bodies only for create "
                                             "(kubectl create <kind>); send JSON for updates and patches")
        sub = target.subresource
        if sub == "portforward" and target.name is not None:
            audit.verb = "create"  # a WebSocket GET is authorised as create (kube.requestinfo)
            return await portforward.portforward_stream(request, self.cluster, target.namespace or "default",
                                                        target.name)
        if sub in ("exec", "attach") and target.name is not None:
            audit.verb = "create"
            stream = streams.exec_stream if sub == "exec" else streams.attach_stream
            return await stream(request, self.cluster, target.namespace or "default", target.name, self.speed)
        if sub in UNSUPPORTED_STREAMS:
            audit.verb = "create" if method == "POST" else "get"
            raise BadRequest(UNSUPPORTED_STREAMS[sub])
        if sub == "proxy":
            audit.verb = method.lower()
            proxied = subresources.proxy(self.cluster, target, method, request.query_string)
            return web.Response(body=proxied.body, status=proxied.status,
                                headers={"Content-Type": proxied.content_type})
        if sub == "log":
            audit.verb = "get"
            return await self.logs(request, target, query)
        watching = query.get("watch") in ("true", "1") or target.legacy_watch
        if target.kind.group == "metrics.k8s.io":
            audit.verb = "get" if target.name else "list"
            if method != "GET" or watching:
                raise MethodNotAllowed()
            return json_response(metrics.answer(self.cluster, target, query))
        self.cluster.store.warnings.clear()
        if method == "GET":
            if target.name is None:
                audit.verb = "watch" if watching else "list"
                if watching:
                    return await self.watch(request, target, query, accept)
                reply = resources.list_reply(self.cluster, target, query, accept)
            else:
                audit.verb = "get"
                if watching:
                    audit.verb = "watch"
                    query["fieldSelector"] = f"metadata.name={target.name}"
                    return await self.watch(request, Target(target.kind, target.namespace, None), query, accept)
                reply = resources.scale_reply(self.cluster, target) if sub == "scale" else \
                    resources.get(self.cluster, target, query, accept)
        elif method == "POST":
            audit.verb = "create"
            body = resources.decode_body(raw, content_type, target.kind)
            if sub == "eviction":
                reply = subresources.evict(self.cluster, target, body)
            elif sub == "binding" or (target.kind.kind == "Pod" and sub is None and isinstance(body, dict)
                                      and body.get("kind") == "Binding"):
                reply = subresources.bind(self.cluster, target, body)
            elif target.name is not None:
                raise MethodNotAllowed()
            else:
                reply = resources.create(self.cluster, target, body, query, _json_size(raw, content_type))
        elif method == "PUT":
            audit.verb = "update"
            if target.name is None:
                raise MethodNotAllowed()
            reply = resources.update(self.cluster, target, resources.decode_body(raw, content_type, target.kind),
                                     query, _json_size(raw, content_type))
        elif method == "PATCH":
            audit.verb = "patch"
            if target.name is None:
                raise MethodNotAllowed()
            reply = resources.patch(self.cluster, target, raw, content_type, query)
        elif method == "DELETE":
            audit.verb = "delete" if target.name else "deletecollection"
            reply = resources.delete(self.cluster, target, raw, query) if target.name else \
                resources.delete_collection(self.cluster, target, raw, query)
        else:
            raise MethodNotAllowed()
        admitted = list(self.cluster.store.warnings)  # admission's, before controllers write on their own
        if method != "GET":
            self.settle()
        self.cluster.store.warnings.clear()
        response = json_response(reply.body, reply.code)
        for warning in ((ENDPOINTS_DEPRECATED,) if target.kind.kind == "Endpoints" else ()) + \
                (*reply.warnings, *admitted):
            header = warning_header(warning)
            if header is not None:
                response.headers.add("Warning", header)
        return response

    # ------------------------------------------------------------------ streams

    async def watch(self, request: web.Request, target: Target, query: dict[str, str],
                    accept: str) -> web.StreamResponse:
        labels, fields = resources.selectors(target, query)
        kind = target.kind.kind
        as_table = resources.wants_table(accept) and kind in TABLES
        initial = query.get("sendInitialEvents") == "true"
        if initial and as_table:
            raise resources.InvalidWatch("sendInitialEvents is not supported for Table watches")
        rv = query.get("resourceVersion", "")
        replay_from: int | None = None
        if rv not in ("", "0") and not initial:
            try:
                replay_from = int(rv)
            except ValueError as exc:
                raise BadRequest(f'resourceVersion: Invalid value: "{rv}": must be an integer') from exc
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                           "Transfer-Encoding": "chunked"})
        await response.prepare(request)
        wake = asyncio.Event()
        watcher: Watcher | None = None
        try:
            try:
                watcher = self.cluster.store.watch(kind, target.namespace, replay_from, labels, fields)
            except Gone as err:
                await self._send(response, {"type": "ERROR", "object": err.status()})
                return response
            watcher.notify = wake.set
            sent_header = False
            if replay_from is None:
                current = self.cluster.store.list(kind, target.namespace, labels, fields)
                for obj in current:
                    sent_header = await self._send_event(response, "ADDED", kind, obj, as_table, sent_header, query)
                if initial:
                    await self._send(response, {"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": target.kind.api_version,
                        "metadata": {"resourceVersion": str(self.cluster.store.rv),
                                     "annotations": {BOOKMARK_ANNOTATION: "true"}}}})
            timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds", "").isdigit() else 1800.0
            deadline = time.monotonic() + timeout
            # A client that stops reading blocks a write; at the watch's deadline the connection is cut.
            async with asyncio.timeout(timeout + WRITE_GRACE):
                while not self.stop_event.is_set():
                    while (ev := watcher.pop()) is not None:
                        if as_table:
                            sent_header = await self._send_event(response, ev.type, kind, ev.obj, as_table,
                                                                 sent_header, query)
                            continue
                        if ev.wire is None:
                            ev.wire = json.dumps({"type": ev.type, "object": ev.obj},
                                                 separators=(",", ":")).encode() + b"\n"
                        await response.write(ev.wire)
                    if watcher.terminated:
                        break  # fell behind: the stream ends, as the cacher's forget() ends it
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    wake.clear()
                    if watcher.pending:
                        continue
                    try:
                        await asyncio.wait_for(wake.wait(), timeout=min(remaining, 1.0))
                    except TimeoutError:
                        if request.transport is None or request.transport.is_closing():
                            break
        except (ConnectionResetError, ConnectionError):
            return response  # the client went away mid-stream: stop sending (finally closes the watch)
        except TimeoutError:
            if request.transport is not None:
                request.transport.abort()
            return response
        finally:
            if watcher is not None:
                watcher.close()
        return response

    async def _send_event(self, response: web.StreamResponse, etype: str, kind: str, obj: Any, as_table: bool,
                          sent_header: bool, query: dict[str, str]) -> bool:
        if as_table:
            tbl = table(kind, [obj], self.cluster.now, obj["metadata"].get("resourceVersion", ""),
                        query.get("includeObject", "Metadata"))
            if sent_header:
                tbl["columnDefinitions"] = []
            await self._send(response, {"type": etype, "object": tbl})
            return True
        await self._send(response, {"type": etype, "object": obj})
        return sent_header

    @staticmethod
    async def _send(response: web.StreamResponse, event: dict[str, Any]) -> None:
        await response.write(json.dumps(event, separators=(",", ":")).encode() + b"\n")

    async def logs(self, request: web.Request, target: Target, query: dict[str, str]) -> web.StreamResponse:
        assert target.name is not None
        ns = target.namespace or "default"
        pod = self.cluster.store.get("Pod", ns, target.name)
        container = subresources.log_container(pod, query.get("container"))
        previous = query.get("previous") == "true"
        lines = subresources.log_lines(self.cluster, pod, container, previous)
        text = subresources.format_logs(lines, query, self.cluster.now)
        if query.get("follow") != "true" or previous:
            return web.Response(text=text, content_type="text/plain")
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(text.encode())
        seen = len(lines)
        stamps = query.get("timestamps") == "true"
        uid = pod["metadata"]["uid"]
        try:
            while not self.stop_event.is_set():
                await asyncio.sleep(0.1)
                current = self.cluster.store.try_get("Pod", ns, target.name)
                if current is None or current["metadata"]["uid"] != uid:
                    break
                fresh = self.cluster.kubelet.logs(ns, target.name, container) or []
                if len(fresh) < seen:  # the container restarted: follow ends, as kubectl's does
                    break
                for t, line in fresh[seen:]:
                    await response.write(((subresources.rfc3339_nano(t) + " ") if stamps else "").encode()
                                         + line.encode() + b"\n")
                seen = len(fresh)
                proc = self.cluster.kubelet.process_of(ns, target.name, container)
                if proc is None:
                    break
        except (ConnectionResetError, ConnectionError):
            return response  # the client stopped following
        return response

    # ------------------------------------------------------------------ the system user's control endpoint

    async def control_endpoint(self, request: web.Request) -> web.StreamResponse:
        audit: Audit = request[AUDIT]
        audit.resource = "chaoskit"
        path = request[CANONICAL].path
        if path == IDENTITY_PATH and request.method == "GET":
            # Any authenticated user may ask: chaoskit's safety guard recognises a simulator by it,
            # and a session on a served simulator keeps its clock in step with the cluster's.
            return web.json_response({"kind": IDENTITY_KIND, "gitVersion": VERSION["gitVersion"],
                                      "now": self.cluster.now, "speed": self.speed})
        if request[USER] != SYSTEM:
            raise Forbidden(f'forbidden: User "{request[USER]}" cannot {request.method.lower()} path '
                            f'"{path}"', {"kind": "", "name": ""})
        parts = [p for p in path.split("/") if p]
        # /chaoskit/v1/nodes/{name}/kubelet  body {"running": bool}
        if len(parts) == 5 and parts[:3] == ["chaoskit", "v1", "nodes"] and parts[4] == "kubelet":
            name = parts[3]
            audit.name = name
            if name not in self.cluster.kubelet.agents:
                raise NotFound(f'nodes "{name}" not found', {"name": name, "kind": "nodes"})
            agent = self.cluster.kubelet.agents[name]
            if request.method == "GET":
                return web.json_response({"node": name, "running": agent.running})
            if request.method not in ("PUT", "POST"):
                raise MethodNotAllowed()
            try:
                body = json.loads(await request.read())
                running = bool(body["running"])
            except (ValueError, KeyError, TypeError) as exc:
                raise BadRequest('expected a body like {"running": false}') from exc
            audit.verb = "update"
            if running:
                self.cluster.start_kubelet(name)
            else:
                self.cluster.stop_kubelet(name)
            return web.json_response({"node": name, "running": running})
        raise NotFound(NOT_FOUND)

    # ------------------------------------------------------------------ bodies

    async def read_body(self, request: web.Request) -> bytes:
        """The request body, at most 3 MiB (413 beyond, as limitedReadBody answers) and within
        ``body_timeout`` (504 after it, and the connection is closed)."""
        if BODY in request:
            return request[BODY]
        if not request.body_exists:
            request[BODY] = b""
            return b""
        if request.content_length is not None and request.content_length > wire.MAX_BODY:
            raise wire.too_large()
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    chunk = await request.content.readany()
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > wire.MAX_BODY:
                        raise wire.too_large()
                    chunks.append(chunk)
        except TimeoutError:
            raise Timeout() from None  # answered, then the unread body lingers at most LINGER s
        request[BODY] = body = b"".join(chunks)
        return body

    # ------------------------------------------------------------------ lifecycle

    def settle(self) -> None:
        """Let the controllers react to a write before answering, within a wall-clock budget: a
        normal write's effects are visible in the answer, a 20 000-pod scale-up finishes in
        the engine's later ticks instead of holding this request (and every other) for seconds."""
        loop = self.cluster.loop
        loop.deadline = time.perf_counter() + REQUEST_SETTLE_BUDGET
        try:
            self.cluster.settle()
        finally:
            loop.deadline = None

    async def run_engine(self) -> None:
        await self.runner.run(self.stop_event)


def _json_size(raw: bytes, content_type: str) -> int | None:
    """The body's size when it bounds the stored object's (JSON); None for YAML, whose aliases can grow it."""
    return None if "yaml" in content_type.lower() else len(raw)


def warning_header(text: str) -> str | None:
    """net.NewWarningHeader: code 299, agent "-", the text quoted with backslash and quote escaped;
    a text with control characters is not a valid warning and is dropped, as the recorder drops it."""
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return None
    return '299 - "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ssl_context(cert_file: Path, key_file: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """The serving context; with ``client_ca``, client certificates it signed are verified (and
    optional, so bearer tokens keep working), as kube-apiserver's --client-ca-file does."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert_file), str(key_file))
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(str(client_ca))
    return ctx


def cert_user(request: web.Request) -> str:
    """The user a verified client certificate names (its subject CN), or ''."""
    transport = request.transport
    peer = transport.get_extra_info("peercert") if transport is not None else None
    for rdn in (peer or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


async def _grace(request: web.Request) -> int | None:
    """The grace period a DELETE asked for, for the audit log (from the body the handler read)."""
    return grace_period(request.get(BODY, b""), request.query.get("gracePeriodSeconds"))
