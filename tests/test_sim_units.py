"""Small pieces: time formatting, images, the shell model, quantities, the runner."""

from __future__ import annotations

import pytest
from helpers import deployment
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoskit.kube.quantity import QuantityError, bytes_of, millicores, parse
from chaoskit.sim import Cluster
from chaoskit.sim.clock import Loop
from chaoskit.sim.errors import SimError
from chaoskit.sim.kubelet import images
from chaoskit.sim.kubelet.shell import Env, Sleep, drain, run_script
from chaoskit.sim.kubelet.status import go_duration
from chaoskit.sim.printing import human_duration, render
from chaoskit.sim.runner import Runner


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (150, "2m30s"), (599, "9m59s"), (600, "10m"),
    (10799, "179m"), (10800, "3h"), (11000, "3h3m"), (8 * 3600, "8h"), (47 * 3600, "47h"), (48 * 3600, "2d"),
    (50 * 3600, "2d2h"), (8 * 86400, "8d"), (400 * 86400, "400d"), (800 * 86400, "2y70d"), (-0.5, "0s"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_go_duration() -> None:
    assert go_duration(0.5) == "500ms"
    assert go_duration(1.5) == "1.5s"
    assert go_duration(10) == "10s"


def test_image_references() -> None:
    ref = images.parse("nginx")
    assert (ref.canonical, ref.registry, ref.tag) == ("docker.io/library/nginx:latest", "docker.io", "latest")
    assert images.parse("ghcr.io/stefanprodan/podinfo:6.7.1").repository == "ghcr.io/stefanprodan/podinfo"
    assert images.parse("localhost:5000/app:1").registry == "localhost:5000"
    assert images.pull_error(images.parse("nginx:1.27")) is None
    assert images.pull_error(images.parse("registry.invalid/app:1.0")).endswith(
        "dial tcp: lookup registry.invalid on 172.18.0.1:53: no such host")
    with pytest.raises(images.InvalidImage, match="repository name \\(library/Nginx\\) must be lowercase"):
        images.parse("Nginx:1.27")
    with pytest.raises(images.InvalidImage, match="invalid reference format"):
        images.parse("nginx::1")


def run(script: str, files: dict[str, str] | None = None) -> tuple[int, str, float]:
    out: list[str] = []
    env = Env({"NAME": "web"}, files if files is not None else {}, out.append, lambda s: out.append(s + "\n"))
    code, slept = drain(run_script(script, env))
    return (-1 if code is None else code), "".join(out), slept


def test_shell_model() -> None:
    assert run("echo hello $NAME; exit 3") == (3, "hello web\n", 0.0)
    assert run("false && echo no || echo yes") == (0, "yes\n", 0.0)
    assert run("sleep 5; sleep 2m") == (0, "", 125.0)
    assert run("frobnicate") == (127, "sh: frobnicate: not found\n", 0.0)
    assert run("for i in 1 2 3; do echo $i; done") == (0, "1\n2\n3\n", 0.0)
    assert run("if [ -f /tmp/x ]; then echo yes; else echo no; fi") == (0, "no\n", 0.0)
    files: dict[str, str] = {}
    assert run("touch /tmp/x; cat /tmp/x && rm /tmp/x; cat /tmp/x", files)[0] == 1
    endless = run_script("while true; do echo tick; sleep 10; done", Env({}, {}, lambda s: None, lambda s: None))
    assert [next(endless) for _ in range(3)] == [Sleep(10.0)] * 3
    assert run("sleep infinity")[0] == -1
    assert run("echo 'unterminated")[0] == 2
    files = {}
    assert run("echo hi > /tmp/x; echo more >> /tmp/x; cat /tmp/x; cat nope 2>/dev/null; echo $?", files) == (
        0, "hi\nmore\n1\n", 0.0)
    assert files == {"/tmp/x": "hi\nmore\n"}
    assert run("printf 'a\\nb\\nab\\n' | grep a | tail -n 1") == (0, "ab\n", 0.0)
    assert run("grep x < /tmp/none")[0] == 1


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=60))
def test_shell_never_raises(script: str) -> None:
    code, _, _ = run(script)
    assert isinstance(code, int)


def test_quantities() -> None:
    assert bytes_of("128Mi") == 128 * 2**20
    assert bytes_of("1G") == 10**9
    assert millicores("250m") == 250 and millicores("1.5") == 1500 and millicores(2) == 2000
    assert parse("1e3") == 1000
    with pytest.raises(QuantityError):
        parse("12 apples")


def test_runner_follows_wall_time_times_speed() -> None:
    wall = [100.0]
    loop = Loop(0.0)
    fired: list[float] = []
    loop.call_at(30.0, lambda: fired.append(loop.now))
    runner = Runner(loop, speed=10.0, wall=lambda: wall[0])
    wall[0] += 2.0
    runner.tick()
    assert loop.now == 20.0 and fired == []
    assert runner.wait_hint() == pytest.approx(0.05)
    wall[0] += 1.0
    runner.tick()
    assert fired == [30.0] and loop.now == 30.0
    with pytest.raises(SimError):
        Runner(loop, speed=0)


def test_runner_drives_a_cluster() -> None:
    cluster = Cluster()
    cluster.apply(deployment("web", 1))
    wall = [0.0]
    runner = Runner(cluster.loop, speed=100.0, wall=lambda: wall[0])

    def fake_sleep(seconds: float) -> None:
        wall[0] += max(seconds, 0.01)

    runner.run_for(0.1, sleep=fake_sleep)
    assert cluster.now - cluster.config.start == pytest.approx(10.0, abs=1.0)
    assert cluster.pods(app="web")[0]["status"]["phase"] == "Running"


def test_render_matches_kubectl_layout() -> None:
    cluster = Cluster()
    text = render("Node", cluster.store.list("Node"), cluster.now)
    assert text.splitlines()[0] == "NAME                     STATUS   ROLES           AGE   VERSION"
    assert render("Pod", [], cluster.now) == "No resources found\n"
