"""Audit proxy overhead (``make bench``): ``kubectl get pods`` and the official client's GET of one
pod, straight to a served simulator and through chaoskit's audit proxy; medians and the ratio."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kube import start_server

from chaoskit.cluster import connect
from chaoskit.cluster.proxy import AuditProxy, Upstream
from chaoskit.kube.authz import Policy

ROUNDS = 30
NS = "bench"


def median_ms(action: object, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


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
            for label, config in (("direct", admin), ("proxied", through)):
                kube = connect(config)
                get = median_ms(lambda kube=kube: kube.get("Pod", NS, pod))
                kubectl = median_ms(lambda config=config: subprocess.run(
                    [str(server.kubectl), "--kubeconfig", str(config), "-n", NS, "get", "pods"],
                    capture_output=True, check=True), rounds=10)
                print(f"{label:8s} client GET pod p50 {get:6.2f} ms   kubectl get pods p50 {kubectl:6.1f} ms")
            proxy.stop()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
