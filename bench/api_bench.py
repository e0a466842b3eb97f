"""API server benchmark (``make bench``): a separate process drives 10 concurrent clients.

Prints, for get pod, list 100 pods as a Table and patch deployment: the handler latency p50/p99
read from the audit log, the client-side p50/p99 beside it and the sustained requests/s; then
the median wall time of ``kubectl get pods`` (warm discovery cache) against the simulator as a
ratio to ``kubectl version --client``, timed by hyperfine when it is installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kube import SimServer, kubectl_path, start_server

CLIENTS = 10
SECONDS = 4.0
NS = "bench"


def setup(server: SimServer) -> str:
    manifest = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: fleet, namespace: {NS}}}
spec:
  replicas: 100
  selector: {{matchLabels: {{app: fleet}}}}
  template:
    metadata: {{labels: {{app: fleet}}}}
    spec: {{containers: [{{name: app, image: "nginx:1.27"}}]}}
"""
    assert server.run("apply", "-f", "-", stdin=manifest).ok
    assert server.run("rollout", "status", "deploy/fleet", "-n", NS, "--timeout=300s").ok
    return server.run("get", "pods", "-n", NS, "-o", "jsonpath={.items[0].metadata.name}").stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(url: str, token: str, ca: str, scenario: str, pod: str) -> tuple[list[float], int, float]:
    import aiohttp

    ctx = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}", "User-Agent": f"chaoskit-bench/{scenario}"}
    if scenario == "get-pod":
        method, path, body = "GET", f"/api/v1/namespaces/{NS}/pods/{pod}", None
    elif scenario == "list-table":
        method, path, body = "GET", f"/api/v1/namespaces/{NS}/pods?limit=500", None
        headers["Accept"] = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    else:
        method, path, body = "PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/fleet", None
        headers["Content-Type"] = "application/strategic-merge-patch+json"
    latencies: list[float] = []
    done = 0
    stop = time.monotonic() + SECONDS
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=CLIENTS)) as session:
        async def worker(n: int) -> None:
            nonlocal done
            i = 0
            while time.monotonic() < stop:
                data = json.dumps({"metadata": {"annotations": {"bench": f"{n}-{i}"}}}).encode() \
                    if scenario == "patch-deployment" else body
                t0 = time.perf_counter()
                async with session.request(method, url + path, headers=headers, data=data) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append((time.perf_counter() - t0) * 1000)
                done += 1
                i += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(CLIENTS)))
        elapsed = time.monotonic() - started
    return latencies, done, elapsed


def load_child(argv: list[str]) -> None:
    url, token, ca, scenario, pod = argv
    latencies, done, elapsed = asyncio.run(load(url, token, ca, scenario, pod))
    print(json.dumps({"latencies": latencies, "done": done, "elapsed": elapsed}))


def handler_latencies(audit: Path, scenario: str) -> list[float]:
    out = []
    for line in audit.read_text().splitlines():
        rec = json.loads(line)
        if rec["userAgent"] == f"chaoskit-bench/{scenario}":
            out.append(float(rec["latencyMs"]))
    return out


def kubectl_ratio(server: SimServer) -> str:
    kubectl = str(kubectl_path())
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(server.state_dir)}
    get_cmd = f"{kubectl} get pods -n {NS}"
    version_cmd = f"{kubectl} version --client"
    if shutil.which("hyperfine"):
        export = server.state_dir / "hyperfine.json"
        subprocess.run(["hyperfine", "--warmup", "3", "--runs", "20", "-N", "--export-json", str(export),
                        get_cmd, version_cmd], check=True, capture_output=True, env=env)
        results = json.loads(export.read_text())["results"]
        medians = [r["median"] for r in results]
        tool = "hyperfine"
    else:
        medians = []
        for cmd in (get_cmd, version_cmd):
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                subprocess.run(cmd.split(), check=True, capture_output=True, env=env)
                times.append(time.perf_counter() - t0)
            medians.append(statistics.median(times))
        tool = "a timing loop (hyperfine not installed)"
    return (f"kubectl get pods (100 pods, warm discovery cache): median {medians[0] * 1000:.1f} ms; "
            f"kubectl version --client: {medians[1] * 1000:.1f} ms; ratio {medians[0] / medians[1]:.2f}x "
            f"(target < 1.5x; timed by {tool})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        load_child(sys.argv[2:])
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), speed=1.0)
        try:
            pod = setup(server)
            token = yaml.safe_load(server.kubeconfig.read_text())["users"][0]["user"]["token"]
            ca = str(server.state_dir / "ca.crt")
            for scenario in ("get-pod", "list-table", "patch-deployment"):
                out = subprocess.run([sys.executable, __file__, "--load", server.url, token, ca, scenario, pod],
                                     check=True, capture_output=True, text=True)
                result = json.loads(out.stdout)
                client = result["latencies"]
                handler = handler_latencies(server.state_dir / "audit.log", scenario)
                print(f"{scenario:17s} {result['done'] / result['elapsed']:7.0f} req/s with {CLIENTS} clients | "
                      f"handler p50 {percentile(handler, 0.5):5.2f} ms p99 {percentile(handler, 0.99):5.2f} ms "
                      f"(target p99 < 10 ms) | client p50 {percentile(client, 0.5):5.2f} ms "
                      f"p99 {percentile(client, 0.99):5.2f} ms")
            server.run("get", "pods", "-n", NS)  # warm the discovery cache
            print(kubectl_ratio(server))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
