"""Audit proxy overhead (``make bench``): the official client's GET of one pod and ``kubectl get
pods``, straight to a served simulator and through chaoskit's audit proxy (which authenticates,
canonicalises, authorises against the trainee's policy and audits every request).

Reported: GET pod p50 and p99 for each, the proxy's added latency at p50 and p99 (proxied minus
direct), and kubectl's median. The GETs alternate direct and proxied in blocks, so a neighbour's
load on a shared machine falls on both alike. Last, the CPU time of the proxy's per-request
judgement alone (canonical form, RequestInfo, header check, authorisation against the policy),
which a busy machine does not blur as it blurs wall-clock latency."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kube import start_server

from chaoskit.cluster import connect
from chaoskit.cluster.proxy import AuditProxy, Upstream
from chaoskit.kube.authz import Facts, Policy, authorize, header_refusal
from chaoskit.kube.requestinfo import canonical, request_info

ROUNDS = 600      # GETs per side
BLOCK = 50        # GETs in a row before switching side
WARMUP = 50
NS = "bench"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def judgement_us(pod: str) -> float:
    """CPU microseconds the proxy spends judging one GET pod (best of 7 runs of 5000)."""
    policy, facts = Policy(frozenset({NS})), Facts()
    headers = {"Host": "127.0.0.1", "User-Agent": "OpenAPI-Generator/31.0.0/python", "Accept": "application/json",
               "Authorization": "Bearer " + "x" * 43}
    target = f"/api/v1/namespaces/{NS}/pods/{pod}"

    def judge() -> None:
        info = request_info(canonical("GET", target))
        header_refusal(headers, policy.user)
        authorize(info, policy, facts)

    runs = timeit.Timer(judge, timer=time.process_time).repeat(number=5000, repeat=7)
    return min(runs) / 5000 * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "sim", speed=50.0, extra=("--auth", "client-cert"))
        admin = server.state_dir / "system.kubeconfig"
        try:
            for args in (("create", "namespace", NS), ("-n", NS, "create", "deployment", "web", "--image=nginx:1.27",
                                                      "--replicas=3"), ("-n", NS, "rollout", "status", "deploy/web")):
                assert server.run("--kubeconfig", str(admin), *args).ok
            proxy = AuditProxy(Upstream(str(admin), "chaoskit"), Path(tmp) / "proxy", Policy(frozenset({NS})),
                               time.time)
            through = proxy.kubeconfig(Path(tmp) / "trainee.kubeconfig", NS)
            pod = server.run("--kubeconfig", str(admin), "-n", NS, "get", "pods", "-o",
                             "jsonpath={.items[0].metadata.name}").stdout
            sides = {"direct": connect(admin), "proxied": connect(through)}
            samples: dict[str, list[float]] = {label: [] for label in sides}
            for kube in sides.values():
                for _ in range(WARMUP):
                    kube.get("Pod", NS, pod)
            while any(len(s) < ROUNDS for s in samples.values()):
                for label, kube in sides.items():
                    samples[label] += [timed(lambda kube=kube: kube.get("Pod", NS, pod)) for _ in range(BLOCK)]
            for label, config in (("direct", admin), ("proxied", through)):
                kubectl = statistics.median(timed(lambda config=config: subprocess.run(
                    [str(server.kubectl), "--kubeconfig", str(config), "-n", NS, "get", "pods"],
                    capture_output=True, check=True)) for _ in range(10))
                got = samples[label]
                print(f"{label:8s} client GET pod p50 {percentile(got, 50):6.2f} ms  p99 {percentile(got, 99):6.2f} ms"
                      f"   kubectl get pods p50 {kubectl:6.1f} ms")
            added = {q: percentile(samples["proxied"], q) - percentile(samples["direct"], q) for q in (50, 99)}
            print(f"proxy adds to GET pod: p50 {added[50]:+.2f} ms  p99 {added[99]:+.2f} ms")
            print(f"proxy's judgement of one GET pod: {judgement_us(pod):.1f} us CPU")
            proxy.stop()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
