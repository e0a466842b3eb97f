"""Probe evaluation against the application model, worded as the kubelet's prober words it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from chaoskit.sim.kubelet.process import Process


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    output: str = ""


def _port(value: Any, container: dict[str, Any]) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    for p in container.get("ports") or []:
        if p.get("name") == value:
            return int(p["containerPort"])
    return None


def run_probe(probe: dict[str, Any], container: dict[str, Any], proc: Process | None, pod_ip: str) -> ProbeResult:
    timeout = float(probe.get("timeoutSeconds", 1))
    if "httpGet" in probe:
        http = probe["httpGet"]
        port = _port(http.get("port"), container)
        host = http.get("host") or pod_ip
        path = http.get("path") or "/"
        scheme = str(http.get("scheme", "HTTP")).lower()
        url = f"{scheme}://{host}:{port if port is not None else http.get('port')}{path}"
        if port is None:
            return ProbeResult(False, f"strconv.Atoi: parsing {http.get('port')!r}: invalid syntax")
        reply = proc.http(port, "GET", path) if proc else None
        if reply is None:
            return ProbeResult(False, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused')
        if getattr(proc, "delay", 0.0) > timeout:
            return ProbeResult(False, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while '
                                      "awaiting headers)")
        if 200 <= reply.status < 400:
            return ProbeResult(True)
        return ProbeResult(False, f"HTTP probe failed with statuscode: {reply.status}")
    if "tcpSocket" in probe:
        port = _port(probe["tcpSocket"].get("port"), container)
        host = probe["tcpSocket"].get("host") or pod_ip
        if proc is not None and port in proc.ports:
            return ProbeResult(True)
        return ProbeResult(False, f"dial tcp {host}:{port}: connect: connection refused")
    if "exec" in probe:
        argv = [str(a) for a in probe["exec"].get("command") or []]
        if proc is None:
            return ProbeResult(False, "container not running")
        code, output, elapsed = proc.exec(argv)
        if elapsed > timeout:
            return ProbeResult(False, f"command {shlex.join(argv)!r} timed out".replace("'", '"'))
        return ProbeResult(code == 0, output.rstrip("\n"))
    if "grpc" in probe:
        port = probe["grpc"].get("port")
        if proc is not None and port in proc.ports:
            return ProbeResult(True)
        return ProbeResult(False, f'timeout: failed to connect service "{pod_ip}:{port}" within {int(timeout)}s: '
                                  "context deadline exceeded")
    return ProbeResult(False, "unknown probe handler")
