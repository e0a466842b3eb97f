"""A served simulator survives ``kill -9``: the same kubeconfig keeps working, the cluster comes back
from its last periodic snapshot, and only what came after that snapshot is lost. Its files are
private from the start, a damaged snapshot is refused in one line and kept, and the port is kept.

The servers here run as subprocesses (``chaoskit sim serve``) and are killed for real; the file,
state-directory and snapshot-reader tests run in-process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from kube import SimServer, kubectl_path, start_server
from kubernetes import client, config

from chaoskit.kube import files, tls
from chaoskit.kube.audit import AuditLog
from chaoskit.kube.identity import IDENTITY_PATH, SYSTEM, TRAINEE
from chaoskit.kube.times import iso
from chaoskit.sim import Cluster, ClusterConfig, Topology, snapshot
from chaoskit.sim.apiserver.serve import ServeOptions, serve
from chaoskit.sim.apiserver.server import ApiServer
from chaoskit.sim.apiserver.statedir import Endpoint, StateDir
from chaoskit.sim.errors import SimError

READY = "chaoskit simulator ready at "
SPEED = 20.0
CRASHER = """
apiVersion: v1
kind: Pod
metadata: {name: keeper}
spec:
  containers: [{name: app, image: busybox:1.36, command: [sh, -c, "echo hello; exit 1"]}]
"""
RESTORED = re.compile(r"restored snapshot of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \((?P<how>[^)]*)\): "
                      r"(?P<objects>\d+) objects, simulator time (?P<now>\S+)$")


# ---------------------------------------------------------------------------------------------- helpers


@dataclass
class Started:
    server: SimServer
    said: list[str]  # what it printed before the ready line


def _serve(state: Path, *extra: str, kubeconfig: Path | None = None, umask: int = -1) -> Started:
    """Like ``kube.start_server``, but keeping the lines before the ready line (what was restored)."""
    stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - the child writes to it for its whole life
    proc = subprocess.Popen([sys.executable, "-m", "chaoskit", "sim", "serve", "--port", "0", "--state-dir",
                             str(state), "--speed", str(SPEED), *extra],
                            stdout=subprocess.PIPE, stderr=stderr, text=True, umask=umask)
    assert proc.stdout is not None
    said: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        if line.startswith(READY):
            url = line.split(" at ", 1)[1].split(" ", 1)[0]
            written = Path(line.rsplit("(kubeconfig ", 1)[1].rstrip(")\n"))
            stderr.close()
            return Started(SimServer(proc, state, kubeconfig or written, url, kubectl_path()), said)
        said.append(line.rstrip("\n"))
    proc.kill()
    proc.wait(10)
    stderr.seek(0)
    raise AssertionError(f"the simulator did not start: {said} {stderr.read()}")


def _refused(state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """A start that must fail: it exits on its own, before serving."""
    return subprocess.run([sys.executable, "-m", "chaoskit", "sim", "serve", "--port", "0", "--state-dir", str(state),
                           "--speed", str(SPEED), *extra], capture_output=True, text=True, timeout=120)


def _kubectl(server: SimServer, home: Path, *args: str, stdin: str | None = None) -> Any:
    """kubectl with its HOME and cache outside the state directory (whose files are all chaoskit's)."""
    return server.run(*args, stdin=stdin, env={"HOME": str(home), "KUBECACHEDIR": str(home / "cache")})


def _names(server: SimServer, home: Path, kind: str = "configmaps") -> set[str]:
    result = _kubectl(server, home, "get", kind, "-o", "jsonpath={.items[*].metadata.name}")
    assert result.ok, result.stderr
    return set(result.stdout.split())


def _sim_now(server: SimServer) -> float:
    """The simulator's clock, asked over raw HTTPS with the trainee's token and the kubeconfig's CA."""
    kc = yaml.safe_load(server.kubeconfig.read_text())
    ca = base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    host, port = server.url.removeprefix("https://").rsplit(":", 1)
    conn = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(cadata=ca), timeout=30)
    try:
        conn.request("GET", IDENTITY_PATH, headers={"Authorization": f"Bearer {kc['users'][0]['user']['token']}"})
        reply = conn.getresponse()
        assert reply.status == 200
        return float(json.loads(reply.read())["now"])
    finally:
        conn.close()


def _snapshot(state: Path) -> dict[str, Any]:
    return json.loads((state / snapshot.FILE).read_bytes())  # type: ignore[no-any-return]


def _wait_for_snapshot(state: Path, wanted: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict[str, Any]:
    """The first periodic snapshot that satisfies ``wanted``: waits on the file changing, not on a clock."""
    path = state / snapshot.FILE
    seen = -1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mtime = path.stat().st_mtime_ns if path.exists() else -1
        if mtime != seen:
            seen = mtime
            data = _snapshot(state) if mtime >= 0 else None
            if data is not None and wanted(data):
                return data
        time.sleep(0.05)
    raise AssertionError(f"no snapshot in {state} satisfied the condition within {timeout} s")


def _objects(data: dict[str, Any], kind: str, namespace: str = "default") -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in data["objects"]
            if o["kind"] == kind and o["metadata"].get("namespace") == namespace}


def _restarts(pod: dict[str, Any]) -> int:
    return int((pod.get("status", {}).get("containerStatuses") or [{}])[0].get("restartCount", 0))


def _wait_for_restarts(core: client.CoreV1Api, at_least: int, timeout: float = 120) -> None:
    """Until the crash-looping pod has restarted ``at_least`` times (a count, not an exact value:
    under load a poll may miss one restart)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = core.read_namespaced_pod("keeper", "default").status.container_statuses or []
        if statuses and statuses[0].restart_count >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError(f"pod keeper did not reach {at_least} restarts within {timeout} s")


def _freeze(pid: int, timeout: float = 30) -> None:
    """SIGSTOP, and wait until every thread has stopped (the snapshot writer thread included), so
    the snapshot file cannot change under the test's read."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread that just ended
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {timeout} s")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _stop(server: SimServer) -> None:
    if server.process.poll() is None:
        server.stop()


# ---------------------------------------------------------------------------------------------- kill -9


def test_kill_9_loses_only_what_came_after_the_last_snapshot(tmp_path: Path) -> None:
    state, home = tmp_path / "state", tmp_path / "home"
    first = start_server(state, speed=SPEED, extra=("--snapshot-interval", "2"))
    kubeconfig = tmp_path / "handed-out.kubeconfig"  # what a session holds: read once, never again
    shutil.copyfile(first.kubeconfig, kubeconfig)
    original = first.kubeconfig.read_bytes()
    second: SimServer | None = None
    try:
        python_client = config.new_client_from_config(config_file=str(kubeconfig))
        core = client.CoreV1Api(python_client)
        assert _kubectl(first, home, "create", "configmap", "before", "--from-literal=k=v").ok
        assert _kubectl(first, home, "apply", "-f", "-", stdin=CRASHER).ok
        _wait_for_restarts(core, 2)
        assert core.read_namespaced_config_map("before", "default").data == {"k": "v"}
        asked = _sim_now(first)
        _wait_for_snapshot(state, lambda d: d["now"] >= asked and "before" in _objects(d, "ConfigMap")
                           and _restarts(_objects(d, "Pod")["keeper"]) >= 2)
        # Write after that snapshot and freeze the server before the next one lands; if one did
        # land in between (a slow machine), it holds the write, so write again.
        for attempt in range(10):
            late = f"after-{attempt}"
            assert _kubectl(first, home, "create", "configmap", late).ok
            _freeze(first.process.pid)
            at_kill = _snapshot(state)
            if late not in _objects(at_kill, "ConfigMap"):
                break
            os.kill(first.process.pid, signal.SIGCONT)
        else:
            raise AssertionError("every write landed in a snapshot before the server could be frozen")
        os.kill(first.process.pid, signal.SIGKILL)
        assert first.process.wait(30) == -signal.SIGKILL

        started = _serve(state, "--snapshot-interval", "2", kubeconfig=kubeconfig)
        second = started.server
        assert second.url == first.url                       # the same port
        assert first.kubeconfig.read_bytes() == original     # the same CA and token
        restored = RESTORED.match(started.said[-1])
        assert restored is not None, started.said
        assert restored["how"].endswith("before the last stop, which was not clean: changes after it are lost")
        assert restored["now"] == iso(at_kill["now"]) and int(restored["objects"]) == len(at_kill["objects"])
        assert at_kill["now"] >= asked

        # Exactly what the last snapshot held: the late write is the only configmap missing.
        kept = set(_objects(at_kill, "ConfigMap"))
        assert _names(second, home) == kept
        assert {"before", *(f"after-{i}" for i in range(attempt))} | {"kube-root-ca.crt"} == kept
        assert {c.metadata.name for c in core.list_namespaced_config_map("default").items} == kept
        assert _sim_now(second) >= at_kill["now"]

        # The crash-looping pod carries on from its count, with its previous container's log.
        before_kill = _restarts(_objects(at_kill, "Pod")["keeper"])
        got = _kubectl(second, home, "get", "pod", "keeper", "-o",
                       "jsonpath={.status.containerStatuses[0].restartCount}")
        assert got.ok and int(got.stdout) >= before_kill
        assert _kubectl(second, home, "logs", "keeper", "--previous").stdout == "hello\n"
        _wait_for_restarts(core, int(got.stdout) + 1)
    finally:
        if first.process.poll() is None:
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(30)
        if second is not None:
            assert second.stop() == 0


def test_client_certificates_and_the_official_client_survive_a_kill(tmp_path: Path) -> None:
    state, home = tmp_path / "state", tmp_path / "home"
    first = start_server(state, speed=SPEED, extra=("--auth", "client-cert", "--snapshot-interval", "3600"))
    kubeconfig = tmp_path / "handed-out.kubeconfig"
    shutil.copyfile(first.kubeconfig, kubeconfig)
    second: SimServer | None = None
    try:
        api = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
        assert [n.metadata.name for n in api.list_namespace().items][:1] == ["default"]
        assert "client-certificate-data" in kubeconfig.read_text()
        first.process.kill()
        first.process.wait(30)
        restarted = _serve(state, "--auth", "client-cert", kubeconfig=kubeconfig)
        second = restarted.server
        assert restarted.said == [f"no snapshot in {state} (the last server stopped before writing one): "
                                  "a new cluster"]
        assert second.url == first.url
        assert first.kubeconfig.read_bytes() == kubeconfig.read_bytes()
        # The same client object, built before the kill, reconnects with what it already holds.
        assert "default" in {n.metadata.name for n in api.list_namespace().items}
        assert _kubectl(second, home, "get", "nodes").ok
    finally:
        if first.process.poll() is None:
            first.process.kill()
            first.process.wait(30)
        if second is not None:
            assert second.stop() == 0


def test_an_engine_that_dies_stops_the_server_and_keeps_the_last_snapshot(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster the engine left half-way through a change is not written over the last good snapshot."""
    said: list[str] = []

    async def broken_engine(self: ApiServer) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(ApiServer, "run_engine", broken_engine)
    options = ServeOptions(state_dir=tmp_path / "state", workers=0)
    with pytest.raises(RuntimeError, match="the engine broke"):
        asyncio.run(serve(options, announce=said.append, warn=said.append))
    assert said[0].startswith(READY)
    assert said[1] == (f"the simulator's engine failed (RuntimeError: the engine broke); the last periodic snapshot "
                       f"in {tmp_path / 'state' / snapshot.FILE} is kept")
    assert not (tmp_path / "state" / snapshot.FILE).exists()
    StateDir.open(tmp_path / "state").close()  # and the directory was released


# ---------------------------------------------------------------------------------------------- files


def test_every_file_is_private_from_the_start_even_under_umask_0(tmp_path: Path) -> None:
    state, home = tmp_path / "fresh" / "state", tmp_path / "home"
    elsewhere = tmp_path / "kc" / "trainee.kubeconfig"
    started = _serve(state, "--snapshot-interval", "1", "--kubeconfig", str(elsewhere), umask=0)
    server = started.server
    try:
        assert _kubectl(server, home, "create", "secret", "generic", "pw", "--from-literal=password=hunter2").ok
        _wait_for_snapshot(state, lambda d: "pw" in _objects(d, "Secret"))
    finally:
        assert server.stop() == 0
    names = sorted(p.name for p in state.iterdir())
    assert names == ["apiserver.crt", "apiserver.key", "audit.log", "ca.crt", "ca.key", "lock", "server.json",
                     "snapshot.json", "system.kubeconfig", "tokens.csv"]
    for path in state.iterdir():
        assert path.is_file() and _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"
    for directory in (state, state.parent, elsewhere.parent):
        assert _mode(directory) == 0o700, f"{directory} is {oct(_mode(directory))}"
    assert _mode(elsewhere) == 0o600


def test_write_private_never_widens_follows_or_leaves_half_a_file(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "a" / "b" / "secret"
        files.write_private(target, b"one")
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700 and _mode(target.parent.parent) == 0o700
        victim = tmp_path / "victim"
        victim.write_text("untouched")
        link = tmp_path / "a" / "link"
        link.symlink_to(victim)
        files.write_private(link, "two")  # replaces the link itself, never writes through it
        assert victim.read_text() == "untouched" and not link.is_symlink() and link.read_text() == "two"
        assert [p.name for p in target.parent.iterdir()] == ["secret"]  # no temporary left behind
        leftover = target.parent / f".secret.123.abcd{files.TEMP_SUFFIX}"
        leftover.write_bytes(b"half")
        assert files.remove_temps(target.parent) == [leftover] and target.read_bytes() == b"one"
    finally:
        os.umask(old)


def test_audit_log_is_created_private_and_an_old_open_one_is_narrowed(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        fresh = AuditLog(tmp_path / "logs" / "audit.log")
        fresh.close()
        assert _mode(tmp_path / "logs" / "audit.log") == 0o600 and _mode(tmp_path / "logs") == 0o700
        legacy = tmp_path / "legacy.log"
        legacy.write_text('{"verb":"get"}\n')
        legacy.chmod(0o644)
        log = AuditLog(legacy)
        log.close()
        assert _mode(legacy) == 0o600 and legacy.read_text() == '{"verb":"get"}\n'  # appended to, not replaced
    finally:
        os.umask(old)


# ---------------------------------------------------------------------------------------------- port and lock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_port_is_kept_and_a_taken_one_is_said_not_dodged(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = start_server(state, speed=SPEED)
    port = int(server.url.rsplit(":", 1)[1])
    assert server.stop() == 0
    endpoint = (state / "server.json").read_bytes()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        refused = _refused(state)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 1 and len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert lines[0].startswith(f"error: port {port}, which the kubeconfigs of {state} point at, is taken")
    assert "--port" in lines[0] and refused.stdout == ""
    assert (state / "server.json").read_bytes() == endpoint

    again = _serve(state)
    assert again.server.url == server.url
    assert again.server.stop() == 0
    restored = RESTORED.match(again.said[-1])
    assert restored is not None and restored["how"] == "taken at the last stop, which was clean"

    elsewhere = _free_port()
    moved = _serve(state, "--port", str(elsewhere))
    try:
        assert moved.server.url == f"https://127.0.0.1:{elsewhere}"
        assert any(line.startswith(f"moved from https://127.0.0.1:{port} to ") for line in moved.said)
        assert f":{elsewhere}" in (state / "kubeconfig").read_text()
    finally:
        assert moved.server.stop() == 0
    after_move = start_server(state, speed=SPEED)
    assert after_move.url == f"https://127.0.0.1:{elsewhere}"  # --port 0 keeps the new one
    assert after_move.stop() == 0


def test_one_server_per_state_dir(tmp_path: Path) -> None:
    server = start_server(tmp_path / "state", speed=SPEED)
    try:
        refused = _refused(tmp_path / "state")
    finally:
        assert server.stop() == 0
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == (f"error: state directory {tmp_path / 'state'} is in use by another chaoskit "
                                      f"sim serve (pid {server.process.pid}): stop it first, or use another "
                                      "--state-dir")


# ---------------------------------------------------------------------------------------------- damaged snapshots


@pytest.fixture(scope="module")
def served_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory a server left after a clean stop: credentials, kubeconfigs, log, snapshot."""
    state = tmp_path_factory.mktemp("served") / "state"
    server = start_server(state, speed=SPEED)
    assert server.stop() == 0
    return state


def _truncated(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _wrong_shape(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["objects"][0]["metadata"] = "pod"
    return json.dumps(data).encode()


def _wrong_format(raw: bytes) -> bytes:
    return json.dumps({**json.loads(raw), "format": 7}).encode()


@pytest.mark.parametrize(("damage", "said"), [
    (lambda raw: b"this is not json", "is not a snapshot: not JSON (Expecting value: line 1 column 1)"),
    (_wrong_shape, "is not a valid snapshot: $.objects[0].metadata: must be an object, not string"),
    (_wrong_format, "is a snapshot of format 7, which this chaoskit does not read (it reads format 1)"),
    (_truncated, "is truncated: the JSON stops mid-value after"),
    (lambda raw: json.dumps(json.loads(raw)["objects"]).encode(), "is not a snapshot: a JSON array, not an object"),
], ids=["not-json", "wrong-shape", "wrong-format", "truncated", "an-array"])
def test_a_damaged_snapshot_is_one_line_and_nothing_is_touched(served_once: Path, tmp_path: Path,
                                                               damage: Callable[[bytes], bytes], said: str) -> None:
    state = tmp_path / "state"
    shutil.copytree(served_once, state)
    path = state / snapshot.FILE
    path.write_bytes(damage(path.read_bytes()))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in state.iterdir() if p.name != "lock"}
    refused = _refused(state)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 1 and len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert lines[0].startswith(f"error: {path}: {said}")
    assert lines[0].endswith("the file is left as it is: move it away (or use another --state-dir) "
                             "to start a fresh cluster")
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in state.iterdir() if p.name != "lock"}
    assert after == before


@pytest.mark.parametrize(("raw", "said"), [
    (b"", "is empty"),
    (b"\xff\xfe{}", "is not a snapshot (not UTF-8 text at byte 0)"),
    (b'{"format": 1, "now": NaN}', "is not a snapshot: NaN is not a JSON number"),
    (b'{"format": 1, "now": 1e999}', "is not a snapshot: 1e999 is out of range"),
    (b"[" * 100_000, "is not a snapshot (JSON nested too deeply)"),
    (b'{"format": 1, "objects": [', "is truncated: the JSON stops mid-value after 26 bytes"),
    (b'{"objects": []}', "is not a snapshot: it has no format number"),
], ids=["empty", "not-utf8", "nan", "infinite", "deep", "cut", "no-format"])
def test_unreadable_snapshot_files_are_named_with_what_is_wrong(tmp_path: Path, raw: bytes, said: str) -> None:
    path = tmp_path / snapshot.FILE
    path.write_bytes(raw)
    with pytest.raises(snapshot.StateFileError) as err:
        snapshot.read(tmp_path)
    assert str(err.value) == f"{path}: {said}; {snapshot.START_FRESH}"
    assert path.read_bytes() == raw


@pytest.fixture(scope="module")
def small_snapshot() -> dict[str, Any]:
    cluster = Cluster(ClusterConfig(topology=Topology(workers=1)))
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crash", "namespace": "default"},
                   "spec": {"containers": [{"name": "app", "image": "busybox:1.36",
                                            "command": ["sh", "-c", "echo hi; exit 1"]}]}})
    cluster.advance(60)
    return snapshot.state(cluster)


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(-1e6, 1e6)
                     | st.text(max_size=6),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                  max_size=3), max_leaves=6)


@settings(deadline=None, max_examples=150)
@given(data=st.data())
def test_any_damage_to_a_snapshot_restores_or_is_one_line(small_snapshot: dict[str, Any], data: st.DataObject) -> None:
    """Damage anywhere the restore reads (the envelope, the configuration, the id generator, an
    object's identity, the kubelets' records): it restores, or fails with one line naming the file."""
    damaged = copy.deepcopy(small_snapshot)
    top = data.draw(st.sampled_from(["format", "saved_at", "config", "now", "rv", "next_cluster_ip", "rng",
                                     "objects", "kubelets", "clean"]))
    parent: Any = damaged
    key: Any = top
    if top == "objects" and data.draw(st.booleans()):  # into one object's kind, apiVersion or metadata
        parent = damaged["objects"][data.draw(st.integers(0, len(damaged["objects"]) - 1))]
        key = data.draw(st.sampled_from(["kind", "apiVersion", "metadata"]))
    for _ in range(data.draw(st.integers(0, 4))):
        child = parent.get(key) if isinstance(parent, dict) else parent[key]
        if isinstance(child, dict) and child:
            parent, key = child, data.draw(st.sampled_from(sorted(child)))
        elif isinstance(child, list) and child:
            parent, key = child, data.draw(st.integers(0, len(child) - 1))
        else:
            break
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = data.draw(_JSON)
    try:
        restored = snapshot.restore(damaged, "snap.json")
    except snapshot.StateFileError as err:
        message = str(err)
        assert message.startswith("snap.json: ") and "\n" not in message and len(message) < 400
        assert message.endswith("to start a fresh cluster")
    else:
        assert isinstance(restored, Cluster)


def test_a_snapshot_an_older_chaoskit_wrote_still_restores(small_snapshot: dict[str, Any], tmp_path: Path) -> None:
    older = {k: v for k, v in small_snapshot.items() if k not in ("saved_at", "clean")}
    (tmp_path / snapshot.FILE).write_text(json.dumps(older))
    restored = snapshot.read(tmp_path)
    assert restored is not None and restored.clean is None
    assert restored.saved_at == (tmp_path / snapshot.FILE).stat().st_mtime
    assert restored.objects == len(older["objects"]) and restored.cluster.now == older["now"]
    pods = restored.cluster.pods("default")
    assert [p["metadata"]["name"] for p in pods] == ["crash"]


# ---------------------------------------------------------------------------------------------- state dir


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def _first_run(path: Path, auth: str = "token", host: str = "127.0.0.1") -> tuple[StateDir, Any]:
    held = StateDir.open(path)
    made = held.credentials(host, auth)
    held.save(made)
    held.save_endpoint(Endpoint(host, 6443))
    return held, made


def test_credentials_are_kept_and_renewed_only_when_they_must_be(state_dir: Path) -> None:
    held, made = _first_run(state_dir)
    assert made.kept is False and set(made.tokens.values()) == {TRAINEE, SYSTEM}
    assert held.last_alive is None
    held.heartbeat()
    held.close()
    again = StateDir.open(state_dir)
    assert again.last_alive is not None
    kept = again.credentials("127.0.0.1", "token")
    assert kept.kept and kept.notes == () and kept.tokens == made.tokens and kept.certs == made.certs
    # A new --host needs a serving certificate naming it; the CA (what kubeconfigs trust) stays.
    moved = again.credentials("10.1.2.3", "token")
    assert moved.certs.ca_pem == made.certs.ca_pem and moved.certs.cert_pem != made.certs.cert_pem
    assert tls.covers(moved.certs.cert_pem, "10.1.2.3") and moved.notes == ("renewed the serving certificate for "
                                                                            "10.1.2.3",)
    # A serving certificate about to expire is renewed from the same CA.
    short, key = tls.serving_cert(made.certs.ca_pem, made.certs.ca_key_pem, "127.0.0.1", days=0)
    files.write_private(state_dir / "apiserver.crt", short)
    files.write_private(state_dir / "apiserver.key", key)
    renewed = again.credentials("127.0.0.1", "token")
    assert renewed.certs.ca_pem == made.certs.ca_pem and tls.not_after(renewed.certs.cert_pem) > time.time() + 86400
    # Client certificates are made once and kept too.
    certs = again.credentials("127.0.0.1", "client-cert")
    again.save(certs)
    assert again.credentials("127.0.0.1", "client-cert").trainee == certs.trainee
    again.close()


def test_damaged_credentials_are_one_line_naming_the_file(state_dir: Path) -> None:
    held, _ = _first_run(state_dir)
    held.close()
    key = (state_dir / "ca.key").read_bytes()
    (state_dir / "ca.key").write_bytes(tls.make_ca()[1])  # someone else's key
    with contextlib.closing(StateDir.open(state_dir)) as again, pytest.raises(snapshot.StateFileError) as err:
        again.credentials("127.0.0.1", "token")
    assert str(err.value).startswith(f"{state_dir / 'ca.crt'}: is not usable with ca.key (the key does not belong "
                                     "to the certificate)")
    (state_dir / "ca.key").write_bytes(key)
    (state_dir / "tokens.csv").write_text("only-one-column\n")
    with contextlib.closing(StateDir.open(state_dir)) as again, pytest.raises(snapshot.StateFileError) as err:
        again.credentials("127.0.0.1", "token")
    assert str(err.value).startswith(f"{state_dir / 'tokens.csv'}: is not readable (line 1: expected "
                                     "token,user,uid[,groups])")
    (state_dir / "server.json").write_text("[]")
    with contextlib.closing(StateDir.open(state_dir)) as again, pytest.raises(snapshot.StateFileError):
        again.endpoint()


def test_a_held_state_dir_is_refused(state_dir: Path) -> None:
    held = StateDir.open(state_dir)
    try:
        with pytest.raises(SimError, match=rf"in use by another chaoskit sim serve \(pid {os.getpid()}\)"):
            StateDir.open(state_dir)
    finally:
        held.close()
    StateDir.open(state_dir).close()  # released with the descriptor, as a kill -9 releases it
