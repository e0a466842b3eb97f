"""Real-cluster backends without Docker: a separately started ``chaoskit sim serve`` with client
certificates (as kind's kubeconfigs carry) stands in for a remote cluster, reached only through
its kubeconfig; the trainee only through the audit proxy. Guard, scope, crash-safe revert,
neighbouring sessions, dry run and the kind CLI's error paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube import SimServer, start_server
from test_session import CHAOSKIT, SEVEN, Session, assert_good, assert_wrong, good_and_wrong

from chaoskit.cluster.access import refusal
from chaoskit.cluster.scope import Scope
from chaoskit.errors import ConfigError
from chaoskit.kube.authz import Policy
from chaoskit.kube.requestinfo import canonical, request_info
from chaoskit.scenario.loader import builtin_dir

# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    """The 'remote cluster': its own process, client-certificate credentials, 30x like sessions."""
    server = start_server(tmp_path_factory.mktemp("remote"), speed=30.0, extra=("--auth", "client-cert"))
    try:
        yield server
    finally:
        server.stop()


def admin(server: SimServer) -> Path:
    """The cluster-admin kubeconfig (client certificate, CN system:chaoskit, O system:masters)."""
    return server.state_dir / "system.kubeconfig"


def kube_args(server: SimServer) -> tuple[str, ...]:
    return ("--backend", "kube", "--kubeconfig", str(admin(server)))


def renamed(server: SimServer, tmp: Path, context: str, server_url: str | None = None) -> Path:
    doc = yaml.safe_load(admin(server).read_text())
    doc["contexts"][0]["name"] = doc["current-context"] = context
    if server_url:
        doc["clusters"][0]["cluster"]["server"] = server_url
    path = tmp / f"{context}.kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def ck(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHAOSKIT, *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "CHAOSKIT_HOME": str(home)})


def remote_writes(server: SimServer, since: int) -> list[dict[str, Any]]:
    """Every write the remote cluster saw after byte ``since`` of its audit log."""
    text = (server.state_dir / "audit.log").read_text()[since:]
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [r for r in lines if r["method"] not in ("GET", "HEAD")]


def audit_size(server: SimServer) -> int:
    return len((server.state_dir / "audit.log").read_text())


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for session in (tmp_path / "sessions").glob("*") if (tmp_path / "sessions").exists() else ():
        ck(tmp_path, "stop", "--session", session.name)


# ---------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(("method", "path", "query", "expect"), [
    ("GET", "/api/v1/namespaces/shop/pods", "", ("list", "", "pods", "", "shop", "")),
    ("GET", "/api/v1/namespaces/shop/pods", "watch=true", ("watch", "", "pods", "", "shop", "")),
    ("GET", "/api/v1/watch/namespaces/shop/pods", "", ("watch", "", "pods", "", "shop", "")),
    ("GET", "/api/v1/namespaces/shop/pods/web-1/log", "", ("get", "", "pods", "log", "shop", "web-1")),
    ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", "", ("patch", "apps", "deployments", "", "shop", "web")),
    ("DELETE", "/api/v1/namespaces/shop/pods", "", ("deletecollection", "", "pods", "", "shop", "")),
    ("DELETE", "/api/v1/namespaces/shop", "", ("delete", "", "namespaces", "", "shop", "shop")),
    ("PUT", "/api/v1/namespaces/shop/finalize", "", ("update", "", "namespaces", "finalize", "shop", "shop")),
    ("POST", "/api/v1/namespaces", "", ("create", "", "namespaces", "", "", "")),
    ("PATCH", "/api/v1/nodes/w1", "", ("patch", "", "nodes", "", "", "w1")),
])
def test_request_info_reads_paths_as_the_api_server_does(method: str, path: str, query: str,
                                                        expect: tuple[str, ...]) -> None:
    info = request_info(canonical(method, f"{path}?{query}" if query else path))
    assert info.resource_request
    assert (info.verb, info.group, info.resource, info.subresource, info.namespace, info.name) == expect


@pytest.mark.parametrize(("method", "path", "body", "nodes", "refused"), [
    ("GET", "/api/v1/namespaces/kube-system/pods", "", False, ""),
    ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", "", False, ""),
    ("DELETE", "/api/v1/namespaces/kube-system/pods/etcd", "", True, 'namespace "kube-system" is never touched'),
    ("DELETE", "/api/v1/namespaces/team-b/pods/x", "", True, 'namespace "team-b" is outside this session'),
    ("POST", "/api/v1/namespaces", "shop", False, ""),
    ("POST", "/api/v1/namespaces", "other", False, 'namespace "other" was not created by this session'),
    ("DELETE", "/api/v1/namespaces/default", "", False, 'namespace "default" was not created by this session'),
    ("PATCH", "/api/v1/nodes/w1", "", False, "node-level changes are not allowed in this session"),
    ("PATCH", "/api/v1/nodes/w1", "", True, ""),
    ("PUT", "/chaoskit/v1/nodes/w1/kubelet", "", False, "node-level changes are not allowed in this session"),
    ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "", True, "cluster-scoped clusterroles is outside"),
    ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "", False, ""),
])
def test_scope_allows_writes_only_inside_the_session(method: str, path: str, body: str, nodes: bool,
                                                     refused: str) -> None:
    why = Scope(frozenset({"shop"}), nodes=nodes).refusal(canonical(method, path), body)
    assert why.startswith(refused) if refused else why == ""


LOOP = "https://127.0.0.1:6443"


@pytest.mark.parametrize(("context", "server", "simulator", "providers", "allow", "accepted"), [
    ("kind-chaoskit", LOOP, False, ["kind://docker/chaoskit/a"], None, True),
    ("kind-chaoskit", "https://10.0.0.5:6443", False, ["kind://docker/chaoskit/a"], None, False),
    ("kind-chaoskit", LOOP, False, ["aws:///eu-west-1a/i-0abc"], None, False),
    ("kind-chaoskit", LOOP, False, [], None, False),
    ("chaoskit", LOOP, True, [], None, True),
    ("chaoskit", LOOP, False, ["kind://docker/chaoskit/a"], None, False),
    ("chaoskit", "https://sim.example.com", True, [], None, False),
    ("prod-eu-1", LOOP, True, ["kind://x"], None, False),
    ("prod-eu-1", "https://k8s.prod.example.com", False, [], "prod-eu-1", True),
    ("prod-eu-1", "https://k8s.prod.example.com", False, [], "prod-eu", False),
])
def test_guard_accepts_only_kind_or_the_simulator_unless_allowed_by_name(
        context: str, server: str, simulator: bool, providers: list[str], allow: str | None,
        accepted: bool) -> None:
    why = refusal(context, server, simulator, providers, allow)
    assert (why == "") is accepted
    if not accepted:
        assert why.startswith(f'refusing to run chaos on context "{context}"')
        assert why.endswith(f"pass --allow-context {context}")


def test_admission_on_a_real_cluster_refuses_before_anything_is_created() -> None:
    """A cluster that is not a simulator: no node faults without the flag, no node stops without
    kind, no speed-up. All decided from the scenario and the guard's facts, with no request."""
    from chaoskit.catalog import catalogue
    from chaoskit.cluster.access import Access
    from chaoskit.errors import SafetyError
    from chaoskit.session.control import admit

    scenarios = catalogue()
    prod = Access("kube", "prod-eu-1", "https://k8s.prod.example.com")
    with pytest.raises(SafetyError, match=r"scenario node-taint injects node-level faults; .* need --allow-node"):
        admit(scenarios["node-taint"], "s1", 1.0, prod)
    allowed = Access("kube", "prod-eu-1", "https://k8s.prod.example.com", allow_node_faults=True)
    with pytest.raises(ConfigError, match="scenario node-not-ready stops a node, which chaoskit can do only on kind"):
        admit(scenarios["node-not-ready"], "s1", 1.0, allowed)
    with pytest.raises(ConfigError, match="a real cluster runs at 1x"):
        admit(scenarios["oom-killed"], "s1", 30.0, prod)
    with pytest.raises(ConfigError, match="must be a valid label value"):
        admit(scenarios["oom-killed"], "my session!", 1.0, None)


# ---------------------------------------------------------------------- the guard, end to end


def test_a_production_context_is_refused_then_allowed_by_name(served: SimServer, home: Path) -> None:
    prod = renamed(served, home, "prod-eu-1")
    before = audit_size(served)
    refused = ck(home, "start", "oom-killed", "--backend", "kube", "--kubeconfig", str(prod), "--json")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith('error: refusing to run chaos on context "prod-eu-1": it is neither a kind')
    assert "pass --allow-context prod-eu-1" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (home / "sessions").exists() or not list((home / "sessions").iterdir())
    assert audit_size(served) == before  # refused on its name alone: not even a read reached the cluster
    wrong = ck(home, "start", "oom-killed", "--backend", "kube", "--kubeconfig", str(prod),
               "--allow-context", "prod-eu")
    assert wrong.returncode == 1 and 'context "prod-eu-1"' in wrong.stderr
    allowed = ck(home, "start", "oom-killed", "--backend", "kube", "--kubeconfig", str(prod),
                 "--allow-context", "prod-eu-1", "--json")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["context"] == "prod-eu-1"


def test_kind_backend_uses_the_kind_context_and_checks_the_server(served: SimServer, home: Path) -> None:
    """The simulator's nodes carry kind's providerID, so a kind-NAME context to it passes the kind
    rule; the same context pointing off this machine is refused before any request."""
    kind = renamed(served, home, "kind-chaoskit")
    dry = ck(home, "start", "node-taint", "--backend", "kind", "--kubeconfig", str(kind), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "context kind-chaoskit" in dry.stdout
    far = renamed(served, home, "kind-far", server_url="https://192.0.2.10:6443")
    refused = ck(home, "start", "oom-killed", "--backend", "kind", "--cluster-name", "far", "--kubeconfig", str(far))
    assert refused.returncode == 1
    assert "its server https://192.0.2.10:6443 is not a loopback address" in refused.stderr
    missing = ck(home, "start", "oom-killed", "--backend", "kind", "--cluster-name", "nope", "--kubeconfig",
                 str(kind))
    assert missing.returncode == 1 and "'chaoskit cluster up'" in missing.stderr


def test_a_node_the_cluster_lacks_is_refused_at_start(served: SimServer, home: Path) -> None:
    """kind names nodes after the cluster: a scenario naming game-worker fails fast on 'chaoskit'."""
    import shutil

    root = builtin_dir()
    folder = home / "extra"
    shutil.copytree(root / "templates", folder / "templates")
    data = yaml.safe_load((root / "node-not-ready.yaml").read_text())
    data["id"] = "node-elsewhere"
    data["faults"][0]["target"]["name"] = "game-worker"
    (folder / "node-elsewhere.yaml").write_text(yaml.safe_dump(data))
    before = audit_size(served)
    out = ck(home, "start", "node-elsewhere", "--scenarios", str(folder), *kube_args(served))
    assert out.returncode == 1, out.stdout
    assert out.stderr.startswith("error: scenario node-elsewhere targets node game-worker, which context chaoskit "
                                 "does not have")
    assert remote_writes(served, before) == [] and not (home / "sessions").exists()


def test_dry_run_prints_the_plan_and_touches_nothing(served: SimServer, home: Path) -> None:
    before = audit_size(served)
    out = ck(home, "start", "incident-red-herring", *kube_args(served), "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["namespace"].startswith("chaoskit-incident-red-herring-")
    assert plan["faults"] and all({"at", "type", "target", "describe"} <= set(f) for f in plan["faults"])
    assert any(f["red_herring"] for f in plan["faults"])
    kinds = {m["kind"] for m in plan["manifests"]}
    assert "Deployment" in kinds and all(m["metadata"]["namespace"] == plan["namespace"] for m in plan["manifests"])
    assert all(m["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "chaoskit" for m in plan["manifests"])
    assert remote_writes(served, before) == []
    assert not (home / "sessions").exists()


# ---------------------------------------------------------------------- the seven scenarios on the kube backend


@pytest.mark.parametrize(("sid", "alerts"), SEVEN)
def test_kube_backend_grades_the_seven_and_stays_in_its_namespaces(served: SimServer, home: Path, sid: str,
                                                                   alerts: bool) -> None:
    """The reference fix passes, the known-wrong fix fails, as on the simulator; two sessions at
    once on one cluster (node faults wait for the cluster to be theirs alone); the cluster saw no
    write outside the two session namespaces."""
    before = audit_size(served)
    good, wrong = good_and_wrong(home, sid, alerts, *kube_args(served), together=sid != "node-taint")
    assert_good(good)
    assert_wrong(wrong)
    sessions = sorted((home / "sessions").iterdir())
    namespaces = {json.loads((d / "session.json").read_text())["namespace"] for d in sessions}
    writes = remote_writes(served, before)
    # a namespace's create names it only in the body: one create per session
    assert sum(r["resource"] == "namespaces" and r["verb"] == "create" for r in writes) == 2
    outside = [f"{r['method']} {r['uri']}" for r in writes
               if not (r["namespace"] in namespaces or (r["resource"] == "namespaces" and r["name"] in namespaces)
                       or (r["resource"] == "namespaces" and r["verb"] == "create")
                       or (sid == "node-taint" and r["resource"] == "nodes"))]
    assert outside == []
    assert_proxied(sessions)


def assert_proxied(sessions: list[Path]) -> None:
    """Each session's own audit log (the proxy's) holds the trainee's requests and nothing else."""
    for session in sessions:
        proxied = [json.loads(line) for line in (session / "cluster" / "audit.log").read_text().splitlines()]
        assert proxied and {r["user"] for r in proxied} == {"trainee"}


def assert_selftest(out: subprocess.CompletedProcess[str], ids: list[str]) -> None:
    results = json.loads(out.stdout)
    failing = {r["id"]: [s for s in r["steps"] if not s["ok"]] for r in results if not r["passed"]}
    assert out.returncode == 0 and failing == {}, failing
    assert [r["id"] for r in results] == ids
    for r in results:
        names = [s["name"] for s in r["steps"]]
        assert "checks fail after injection" in names and any(n.startswith("wrong 1:") for n in names)
        assert "revert restores the baseline" in names


def test_selftest_of_the_seven_on_the_kube_backend(tmp_path: Path) -> None:
    """Its own served simulator at 100x (the selftest's usual speed), cleaned up after each path."""
    fast = start_server(tmp_path / "fast", speed=100.0, extra=("--auth", "client-cert"))
    try:
        ids = [sid for sid, _ in SEVEN]
        out = ck(tmp_path, "selftest", *ids, *kube_args(fast), "--json")
        assert_selftest(out, ids)
        assert all(any(s["name"].startswith("alternative 1:") for s in r["steps"]) for r in json.loads(out.stdout))
        left = fast.run("get", "namespaces", "-l", "app.kubernetes.io/managed-by=chaoskit", "-o", "name")
        assert left.ok and all("Terminating" in fast.run("get", n, "--no-headers").stdout
                               for n in left.stdout.split())
        tainted = fast.run("get", "nodes", "-o", "jsonpath={.items[*].spec.taints[*].key}").stdout.split()
        assert tainted == ["node-role.kubernetes.io/control-plane"]
    finally:
        fast.stop()


# ---------------------------------------------------------------------- the audit proxy itself


@pytest.mark.parametrize("credentials", ["client-cert", "token"])
def test_audit_proxy_streams_and_refuses(served: SimServer, sim: SimServer, tmp_path: Path,
                                         credentials: str) -> None:
    """Watches, log follows, exec and port-forward pass through; writes outside the scope and
    chaoskit's own controls are refused as RBAC words it; every request gets an audit line."""
    import re
    import urllib.request

    from chaoskit.cluster.proxy import AuditProxy, Upstream

    cluster = served if credentials == "client-cert" else sim
    assert ("client-certificate-data" in admin(cluster).read_text()) is (credentials == "client-cert")
    ns = f"proxy-{credentials}"
    for command in (("create", "namespace", ns), ("-n", ns, "create", "deployment", "web", "--image=nginx:1.27"),
                    ("-n", ns, "rollout", "status", "deploy/web", "--timeout=60s")):
        assert cluster.run("--kubeconfig", str(admin(cluster)), *command).ok
    proxy = AuditProxy(Upstream(str(admin(cluster)), "chaoskit"), tmp_path, Policy(frozenset({ns})), time.time)
    try:
        env = {"KUBECONFIG": str(proxy.kubeconfig(tmp_path / "trainee.kubeconfig", ns))}
        assert cluster.run("get", "pods", env=env).stdout.startswith("NAME")
        pod = cluster.run("get", "pods", "-o", "jsonpath={.items[0].metadata.name}", env=env).stdout
        assert cluster.run("exec", pod, "--", "echo", "through the proxy", env=env).stdout == "through the proxy\n"
        watch = cluster.run("get", "pods", "--watch", "--request-timeout=2s", env=env)
        assert pod in watch.stdout
        forward = subprocess.Popen([str(cluster.kubectl), "port-forward", f"pod/{pod}", ":80"], text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**env, "HOME": str(tmp_path)})
        try:
            assert forward.stdout is not None
            port = re.search(r"127\.0\.0\.1:(\d+)", forward.stdout.readline())
            assert port, "kubectl port-forward printed no local port"
            page = urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/", timeout=20).read()
            assert b"Welcome to nginx!" in page
        finally:
            forward.terminate()
            forward.wait(timeout=20)
        follow = subprocess.Popen([str(cluster.kubectl), "logs", "-f", pod], text=True, stdout=subprocess.PIPE,
                                  env={**env, "HOME": str(tmp_path)})
        assert follow.stdout is not None
        assert follow.stdout.readline().startswith("/docker-entrypoint.sh")
        follow.terminate()
        follow.wait(timeout=20)
        denied = cluster.run("-n", "kube-system", "delete", "pod", "etcd-chaoskit-control-plane", env=env)
        assert denied.stderr.strip() == (
            'Error from server (Forbidden): pods "etcd-chaoskit-control-plane" is forbidden: User "trainee" cannot '
            'delete resource "pods" in API group "" in the namespace "kube-system": outside the session\'s '
            f'namespace ("{ns}") the trainee may only read')
        control = cluster.run("get", "--raw", "/chaoskit/v1/nodes/chaoskit-worker/kubelet", env=env)
        assert not control.ok and "forbidden" in control.stderr
    finally:
        proxy.stop()
        cluster.run("--kubeconfig", str(admin(cluster)), "delete", "namespace", ns, "--wait=false")
    lines = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert {r["user"] for r in lines} == {"trainee"}
    seen = {(r["verb"], r["resource"], r["subresource"], r["code"]) for r in lines}
    assert {("list", "pods", "", 200), ("create", "pods", "exec", 101), ("watch", "pods", "", 200),
            ("create", "pods", "portforward", 101), ("get", "pods", "log", 200), ("delete", "pods", "", 403)} <= seen
    assert all(r["kubectlCommand"].startswith("kubectl ") for r in lines if r["resource"] == "pods")


@pytest.mark.parametrize("kind", ["exec-plugin", "token-file"])
def test_audit_proxy_uses_credentials_from_exec_plugins_and_token_files(sim: SimServer, tmp_path: Path,
                                                                        kind: str) -> None:
    """Cloud kubeconfigs carry an exec plugin or a token file rather than the token itself; the proxy
    resolves them with the official client's loader."""
    from chaoskit.cluster.proxy import AuditProxy, Upstream

    doc = yaml.safe_load(admin(sim).read_text())
    token = doc["users"][0]["user"].pop("token")
    if kind == "exec-plugin":
        credential = json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                                 "status": {"token": token}})
        doc["users"][0]["user"]["exec"] = {"apiVersion": "client.authentication.k8s.io/v1", "command": "/bin/sh",
                                           "args": ["-c", f"echo '{credential}'"], "interactiveMode": "Never"}
    else:
        (tmp_path / "token").write_text(token)
        doc["users"][0]["user"]["tokenFile"] = str(tmp_path / "token")
    config = tmp_path / "cloud.kubeconfig"
    config.write_text(yaml.safe_dump(doc))
    proxy = AuditProxy(Upstream(str(config), "chaoskit"), tmp_path / "proxy", Policy(frozenset({"default"})),
                       time.time)
    try:
        env = {"KUBECONFIG": str(proxy.kubeconfig(tmp_path / "trainee.kubeconfig", "default"))}
        nodes = sim.run("get", "nodes", "-o", "name", env=env)
        assert nodes.ok and "node/chaoskit-worker" in nodes.stdout.split(), nodes.stderr
    finally:
        proxy.stop()
    lines = [json.loads(line) for line in (tmp_path / "proxy" / "audit.log").read_text().splitlines()]
    assert ("list", "nodes", 200) in {(r["verb"], r["resource"], r["code"]) for r in lines}


def test_audit_proxy_answers_with_a_status_when_the_cluster_is_gone(tmp_path: Path) -> None:
    from chaoskit.cluster.proxy import AuditProxy, Upstream

    dead = start_server(tmp_path / "dead", speed=1.0)
    proxy = AuditProxy(Upstream(str(admin(dead)), "chaoskit"), tmp_path / "proxy", Policy(frozenset({"default"})),
                       time.time)
    try:
        dead.stop()
        env = {"KUBECONFIG": str(proxy.kubeconfig(tmp_path / "trainee.kubeconfig", "default"))}
        out = dead.run("get", "pods", "--request-timeout=20s", env=env)
        assert not out.ok and out.stderr.endswith(
            "Error from server (ServiceUnavailable): the server is currently unable to handle the request\n")
        from chaoskit.cluster import KubeError, connect

        unreachable = r"the audit proxy cannot reach the API server at https://127\.0\.0\.1:"
        with pytest.raises(KubeError, match=unreachable) as err:
            connect(tmp_path / "trainee.kubeconfig").get("Pod", "default", "web")
        assert err.value.code == 503 and err.value.reason == "ServiceUnavailable"
    finally:
        proxy.stop()
    codes = {(r["verb"], r["resource"], r["code"]) for r in
             map(json.loads, (tmp_path / "proxy" / "audit.log").read_text().splitlines())}
    assert ("get", "pods", 503) in codes


# ---------------------------------------------------------------------- crash-safe revert, neighbours


def memory_limit(server: SimServer, ns: str) -> str:
    res = server.run("--kubeconfig", str(admin(server)), "-n", ns, "get", "deploy", "checkout", "-o",
                     "jsonpath={.spec.template.spec.containers[0].resources.limits.memory}")
    assert res.ok, res.stderr
    return res.stdout


def test_reset_after_the_session_process_was_killed(served: SimServer, home: Path) -> None:
    s = Session(home, "oom-killed", *kube_args(served))
    ns = s.info["namespace"]
    baseline = memory_limit(served, ns)
    s.wait(lambda: s.events("injected"))
    assert memory_limit(served, ns) != baseline
    meta = json.loads((s.dir / "session.json").read_text())
    os.killpg(int(meta["pid"]), signal.SIGKILL)
    s.wait(lambda: json.loads(s.ck("sessions", "--json").stdout)[0]["state"] == "dead")
    first = json.loads(s.ck("reset", "--json").stdout)
    assert len(first["restored"]) == 2 and first["left"] == [] and first["baseline"] == []
    assert not first["namespace_deleted"] and memory_limit(served, ns) == baseline
    again = json.loads(s.ck("reset", "--json").stdout)
    assert again["restored"] == [] and again["left"] == [] and again["baseline"] == []
    text = s.ck("reset").stdout
    assert text.startswith(f"session {s.info['session']} stopped: 0 change(s) reverted") and "baseline healthy" in text
    frozen = json.loads(s.ck("status", "--json").stdout)
    time.sleep(0.5)  # 15 simulated seconds at 30x: an ended session's clock must not move
    assert json.loads(s.ck("status", "--json").stdout)["elapsed"] == frozen["elapsed"]
    assert frozen["state"] == "stopped" and frozen["backend"] == "kube" and frozen["context"] == "chaoskit"
    done = json.loads(s.ck("stop", "--json").stdout)
    assert done["namespace_deleted"]


def test_reset_after_a_reboot_never_kills_a_stranger(served: SimServer, home: Path) -> None:
    """After a reboot the recorded pid may belong to anyone: reset must leave that process alone."""
    s = Session(home, "oom-killed", *kube_args(served))
    ns = s.info["namespace"]
    baseline = memory_limit(served, ns)
    s.wait(lambda: s.events("injected"))
    meta = json.loads((s.dir / "session.json").read_text())
    os.killpg(int(meta["pid"]), signal.SIGKILL)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        (s.dir / "session.json").write_text(json.dumps({**meta, "pid": stranger.pid, "state": "running"}))
        out = json.loads(s.ck("reset", "--json").stdout)
        assert len(out["restored"]) == 2 and memory_limit(served, ns) == baseline
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_two_sessions_share_a_cluster_without_touching_each_other(served: SimServer, home: Path) -> None:
    a = Session(home, "oom-killed", *kube_args(served))
    b = Session(home, "bad-image", *kube_args(served))
    assert a.info["namespace"] != b.info["namespace"]
    other = b.info["namespace"]
    refused = a.kubectl(f"kubectl -n {other} scale deploy checkout --replicas=0")
    assert refused.returncode == 1
    # the other session's namespace is not even readable: kubectl's first GET is refused
    assert (f'deployments.apps "checkout" is forbidden: User "trainee" cannot get resource "deployments" '
            f'in API group "apps" in the namespace "{other}": namespace "{other}" belongs to another chaoskit '
            "session" in refused.stderr)
    raw = a.kubectl(f"kubectl -n {other} patch deploy checkout --subresource=scale --type=merge "
                    "-p '{\"spec\":{\"replicas\":0}}'")
    assert raw.returncode == 1 and 'cannot get resource "deployments/scale"' in raw.stderr
    node = ck(home, "start", "node-taint", *kube_args(served))
    assert node.returncode == 1 and "refusing node-level faults: another session is active" in node.stderr
    a.until_pods_show("CrashLoopBackOff")
    b.until_pods_show("ImagePullBackOff")
    assert "CrashLoopBackOff" not in b.kubectl("kubectl get pods").stdout
    for s, cause, fix in ((a, "memory-limit-too-low", "kubectl set resources deploy/checkout --limits=memory=128Mi"),
                          (b, "image-not-found", "kubectl rollout undo deploy/checkout")):
        s.ck("diagnose", "--session", s.info["session"], "--cause", cause, "--resource", "deploy/checkout")
        assert s.kubectl(fix).returncode == 0
    docs = [s.finish() for s in (a, b)]
    assert [d["truth"]["causes"] for d in docs] == [["memory-limit-too-low"], ["image-not-found"]]
    assert all(d["fixed"] for d in docs), [d["parts"]["remediation"] for d in docs]


# ---------------------------------------------------------------------- the kind CLI without kind


def test_cluster_commands_explain_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "CHAOSKIT_HOME": str(tmp_path)}
    out = subprocess.run([CHAOSKIT, "cluster", "up"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("error: kind not found on PATH.") and len(out.stderr.strip().splitlines()) == 1
    assert "--backend sim" in out.stderr and "needs neither" in out.stderr
    for name, code in (("kind", 0), ("docker", 1)):  # a Docker client without an engine is not enough
        (empty / name).write_text(f"#!/bin/sh\nexit {code}\n")
        (empty / name).chmod(0o755)
    out = subprocess.run([CHAOSKIT, "cluster", "status"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 1 and out.stderr.startswith("error: no Docker engine answers (docker info failed).")


def test_kind_configuration_and_node_control(tmp_path: Path) -> None:
    from chaoskit.cluster.kind import config
    from chaoskit.cluster.nodes import KindNodes

    doc = config(2, "kindest/node:v1.33.1")
    assert [n["role"] for n in doc["nodes"]] == ["control-plane", "worker", "worker"]  # type: ignore[index]
    assert doc["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    log = tmp_path / "docker.log"
    docker = tmp_path / "docker"
    docker.write_text(f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" = inspect ] && echo false\nexit 0\n')
    docker.chmod(0o755)
    nodes = KindNodes(str(docker))
    nodes.set_running("chaoskit-worker", False)
    assert nodes.running("chaoskit-worker") is False
    nodes.set_running("chaoskit-worker", True)
    with pytest.raises(ConfigError, match="chaoskit never stops chaoskit-control-plane"):
        nodes.set_running("chaoskit-control-plane", False)
    assert log.read_text().splitlines() == ["stop chaoskit-worker",
                                           "inspect -f {{.State.Running}} chaoskit-worker", "start chaoskit-worker"]


# ---------------------------------------------------------------------- a real kind cluster


@pytest.fixture(scope="module")
def kind_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ...]]:
    """The kind cluster 'chaoskit' (the node scenarios name its nodes, chaoskit-worker), made for
    these tests and deleted after them; the start options that reach it."""
    from chaoskit.cluster.kind import Kind

    if "chaoskit" in Kind().clusters():
        pytest.skip("a kind cluster named chaoskit already exists; these tests make and delete their own")
    home = tmp_path_factory.mktemp("kind")
    up = ck(home, "cluster", "up", "--name", "chaoskit", "--workers", "2")
    assert up.returncode == 0, up.stderr
    try:
        yield ("--backend", "kind", "--allow-node-faults")
    finally:
        ck(home, "cluster", "down", "--name", "chaoskit")


@pytest.mark.kind
def test_kind_cluster_status_and_node_fault_guard(kind_cluster: tuple[str, ...], home: Path) -> None:
    status = ck(home, "cluster", "status")
    assert status.returncode == 0 and "chaoskit-worker2  Ready=True" in status.stdout
    refused = ck(home, "start", "node-not-ready", "--backend", "kind")
    assert refused.returncode == 1 and "--allow-node-faults" in refused.stderr


@pytest.mark.kind
def test_kind_selftest_of_the_seven_and_a_stopped_node(kind_cluster: tuple[str, ...], tmp_path: Path) -> None:
    """The same self-test as on the kube backend, plus node-not-ready (docker stop / docker start)."""
    ids = [sid for sid, _ in SEVEN] + ["node-not-ready"]
    assert_selftest(ck(tmp_path, "selftest", *ids, *kind_cluster, "--json"), ids)


@pytest.mark.kind
@pytest.mark.parametrize(("sid", "alerts"), SEVEN)
def test_kind_backend_grades_the_seven(kind_cluster: tuple[str, ...], home: Path, sid: str, alerts: bool,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same end-to-end grading as on the kube backend, at 1x with waits stretched to match."""
    monkeypatch.setenv("CHAOSKIT_TEST_SPEED", "1")
    good, wrong = good_and_wrong(home, sid, alerts, *kind_cluster, together=sid != "node-taint")
    assert_good(good)
    assert_wrong(wrong)
    assert_proxied(sorted((home / "sessions").iterdir()))
