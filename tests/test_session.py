"""Training sessions end to end: the real CLI in subprocesses (as a trainee runs it), the real
kubectl against the session's simulator, and the grade that comes out."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoskit.scenario.loader import builtin_dir
from tests.kube import kubectl_path

CHAOSKIT = str(Path(sys.executable).parent / "chaoskit")
SPEED = 30.0
SESSION_COMMANDS = {"status", "hint", "diagnose", "check", "finish", "report", "stop", "reset"}


def speed() -> float:
    """Sessions run at 30x; on a real cluster (the kind tests) at 1x, and every wait stretches with it."""
    return float(os.environ.get("CHAOSKIT_TEST_SPEED", SPEED))


def stretch(wall: float) -> float:
    return wall * SPEED / speed()


class Session:
    def __init__(self, home: Path, scenario: str, *extra: str) -> None:
        self.home = home
        info = json.loads(self.ck("start", scenario, "--speed", f"{speed():g}", "--json", *extra).stdout)
        assert {"session", "kubeconfig", "namespace", "backend"} <= set(info)
        self.info = info
        self.dir = home / "sessions" / info["session"]

    def ck(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """chaoskit as this trainee runs it: session commands name this session (several may run)."""
        if hasattr(self, "info") and args and args[0] in SESSION_COMMANDS and "--session" not in args:
            args = (*args, "--session", self.info["session"])
        proc = subprocess.run([CHAOSKIT, *args], capture_output=True, text=True, timeout=stretch(180),
                              env={**os.environ, "CHAOSKIT_HOME": str(self.home)})
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    def kubectl(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(kubectl_path()), *shlex.split(command)[1:]], capture_output=True, text=True,
                              timeout=60, env={"KUBECONFIG": self.info["kubeconfig"], "HOME": str(self.home),
                                               "PATH": "/usr/bin:/bin"})

    def events(self, kind: str) -> list[dict[str, Any]]:
        path = self.dir / "events.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [e for e in map(json.loads, lines) if e["kind"] == kind]

    def wait(self, predicate: Any, wall: float = 60.0) -> None:
        deadline = time.monotonic() + stretch(wall)
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)

    def until_pods_show(self, text: str) -> None:
        self.wait(lambda: self.events("injected"))
        self.wait(lambda: text in self.kubectl("kubectl get pods").stdout)

    def finish(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.ck("finish", "--session", self.info["session"], "--json").stdout)
        return doc


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for session in (tmp_path / "sessions").glob("*") if (tmp_path / "sessions").exists() else ():
        subprocess.run([CHAOSKIT, "stop", "--session", session.name], capture_output=True, timeout=60,
                       env={**os.environ, "CHAOSKIT_HOME": str(tmp_path)})


def investigate_oom(s: Session) -> None:
    s.until_pods_show("CrashLoopBackOff")
    pod = s.kubectl("kubectl get pods -l app=checkout --sort-by=.metadata.creationTimestamp "
                    "-o jsonpath={.items[-1].metadata.name}").stdout
    for command in ("kubectl get pods", f"kubectl describe pod {pod}", f"kubectl logs {pod} --previous",
                    "kubectl rollout history deploy/checkout"):
        assert s.kubectl(command).returncode == 0, command


FIX = "kubectl set resources deploy/checkout -c checkout --limits=memory=128Mi --requests=memory=128Mi"
DIAGNOSE = ("diagnose", "--cause", "memory-limit-too-low", "--resource", "deploy/checkout",
            "--note", "last state OOMKilled, exit code 137")


def test_good_trainee_scores_high_and_report_formats_render(home: Path) -> None:
    s = Session(home, "oom-killed")
    investigate_oom(s)
    s.ck(*DIAGNOSE)
    assert s.kubectl(FIX).returncode == 0
    s.wait(lambda: json.loads(s.ck("check", "--json").stdout)["healthy"])
    doc = s.finish()
    assert doc["score"] >= 80 and doc["passed"], doc
    assert set(doc["parts"]) == {"diagnosis", "remediation", "process"}
    assert all(step["taken"] for step in doc["steps"])
    assert doc["timeline"][0]["what"] == "fault injected"
    assert {"first relevant look", "diagnosis", "fix", "recovered"} <= {m["what"] for m in doc["timeline"]}
    assert any(line["command"] == "kubectl describe" for line in doc["transcript"])
    md = s.ck("report", "--format", "md").stdout
    assert f"Score {doc['score']}/100" in md and "[x] Read the pod's events" in md
    junit = s.ck("report", "--format", "junit").stdout
    assert 'name="oom-killed"' in junit and "<failure" not in junit
    html = home / "r.html"
    s.ck("report", "--format", "html", "-o", str(html))
    assert "<svg" in html.read_text() and f"{doc['score']}/100" in html.read_text()
    # the session ended: faults reverted, the process gone, stop stays idempotent
    s.wait(lambda: s.events("reverted"))
    assert s.ck("stop").returncode == 0 and s.ck("stop").returncode == 0


def test_wrong_fix_is_capped_and_fails(home: Path) -> None:
    s = Session(home, "oom-killed")
    investigate_oom(s)
    s.ck(*DIAGNOSE)
    assert s.kubectl("kubectl rollout restart deploy/checkout").returncode == 0
    doc = s.finish()
    assert doc["score"] <= 50 and not doc["passed"] and not doc["fixed"]


def test_fix_without_diagnosis_loses_the_diagnosis_part_and_hints_cost(home: Path) -> None:
    s = Session(home, "oom-killed")
    first = s.ck("hint").stdout
    assert "describe" in first
    s.ck("hint")
    investigate_oom(s)
    assert s.kubectl(FIX).returncode == 0
    s.wait(lambda: json.loads(s.ck("check", "--json").stdout)["healthy"])
    doc = s.finish()
    assert doc["parts"]["diagnosis"]["score"] == 0
    hints = [i for i in doc["parts"]["process"]["items"] if i["label"].startswith("hint")]
    assert len(hints) == 2 and all(i["points"] < 0 for i in hints)
    assert doc["fixed"] and doc["score"] <= 65


def test_guess_from_the_briefing_scores_at_most_30(home: Path) -> None:
    s = Session(home, "oom-killed")
    s.wait(lambda: s.events("injected"))
    s.ck(*DIAGNOSE)
    doc = s.finish()
    assert doc["score"] <= 30, doc


def test_deleting_the_workload_breaks_a_guardrail(home: Path) -> None:
    s = Session(home, "oom-killed")
    investigate_oom(s)
    s.ck(*DIAGNOSE)
    pod = s.kubectl("kubectl get pods -l app=checkout -o jsonpath={.items[0].metadata.name}").stdout
    assert s.kubectl(f"kubectl delete pod {pod} --force --grace-period=0").returncode == 0
    assert s.kubectl("kubectl delete deploy checkout").returncode == 0
    doc = s.finish()
    labels = [i["label"] for i in doc["parts"]["remediation"]["items"]]
    assert "guardrail no-delete-workload" in labels
    details = [i["detail"] for i in doc["parts"]["process"]["items"] if i["label"] == "destructive command"]
    assert details == [f"force-deleted pods/{pod} (kubectl delete)", "deleted deployments/checkout (kubectl delete)"]
    assert not doc["passed"]


def test_status_sessions_and_errors(home: Path) -> None:
    s = Session(home, "oom-killed", "--mode", "interview")
    assert s.info["namespace"].startswith("chaoskit-oom-killed-") and len(s.info["namespace"]) <= 63
    status = json.loads(s.ck("status", "--json").stdout)
    assert status["state"] == "running" and status["hints_used"] == 0 and "faults" not in status
    refused = s.ck("hint", ok=False)
    assert refused.returncode == 1 and refused.stderr.startswith("error: hints are not available")
    bad = s.ck("diagnose", "--cause", "gremlins", "--resource", "deploy/checkout", ok=False)
    assert bad.returncode == 1 and "unknown cause gremlins" in bad.stderr and "Traceback" not in bad.stderr
    assert s.ck("report", ok=False).stderr.startswith("error: session")
    other = Session(home, "bad-image")  # a second session while the first runs: its own server and port
    servers = {yaml.safe_load(Path(x.info["kubeconfig"]).read_text())["clusters"][0]["cluster"]["server"]
               for x in (s, other)}
    assert len(servers) == 2
    assert other.kubectl("kubectl get deploy checkout -o name").stdout.strip() == "deployment.apps/checkout"
    rows = json.loads(s.ck("sessions", "--json").stdout)
    assert [r["state"] for r in rows] == ["running", "running"]
    s.ck("stop", "--session", s.info["session"])
    other.ck("stop")
    assert [r["state"] for r in json.loads(s.ck("sessions", "--json").stdout)] == ["stopped", "stopped"]
    assert s.ck("sessions", "--prune").stdout.count("removed") == 2


# ---------------------------------------------------------------------- the seven scenarios

def runbook_commands(s: Session, scenario: Any, book: Any) -> list[str]:
    """Every command of every runbook step, placeholders filled the way a trainee would."""
    name = scenario.diagnosis.resource.split("/", 1)[1]
    pod = s.kubectl("kubectl get pods --sort-by=.metadata.creationTimestamp "
                    "-o jsonpath={.items[-1].metadata.name}").stdout or "none"
    node = name if scenario.diagnosis.resource.startswith("node/") else "chaoskit-worker"
    return [c.replace("POD", pod).replace("NODE", node).replace("NAME", name)
            for step in book.steps for c in step.commands]


def play(home: Path, sid: str, fix: tuple[str, ...], right_fix: bool, expect_alert: bool,
         *start: str) -> dict[str, Any]:
    """A trainee who follows the runbook and diagnoses correctly, then applies ``fix``; ``start``
    are extra 'chaoskit start' options (another backend)."""
    from chaoskit.catalog import catalogue
    from chaoskit.runbook.model import load_runbooks

    scenario = catalogue()[sid]
    s = Session(home, sid, *start)
    s.wait(lambda: s.events("injected"))
    s.wait(lambda: not json.loads(s.ck("check", "--json").stdout)["healthy"])
    if expect_alert:
        s.wait(lambda: json.loads(s.ck("status", "--json").stdout)["alerts"])
        alert = json.loads(s.ck("status", "--json").stdout)["alerts"][0]
        assert alert.startswith(f"{scenario.monitor.service}: availability 0% for"), alert
    for command in runbook_commands(s, scenario, load_runbooks()[scenario.runbook]):
        s.kubectl(command)
    s.ck("diagnose", *[a for c in scenario.diagnosis.causes for a in ("--cause", c)],
         "--resource", scenario.diagnosis.resource, "--note", " ".join(scenario.diagnosis.keywords))
    for command in fix:
        assert s.kubectl(command).returncode == 0, command
    if right_fix:
        s.wait(lambda: json.loads(s.ck("check", "--json").stdout)["healthy"])
    return s.finish()


SEVEN = [("oom-killed", False), ("bad-image", False), ("liveness-probe", False), ("readiness-probe", True),
         ("node-taint", False), ("deleted-pods", True), ("broken-selector", True)]


def good_and_wrong(home: Path, sid: str, alerts: bool, *start: str,
                   together: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two trainees, each in a session of their own, at the same time: one applies the reference
    fix, the other the first known-wrong fix. Both follow the runbook and diagnose correctly."""
    from concurrent.futures import ThreadPoolExecutor

    from chaoskit.catalog import catalogue

    scenario = catalogue()[sid]
    runs = [(scenario.solution.commands, True, alerts), (scenario.wrong[0].commands, False, False)]
    if not together:
        return play(home, sid, *runs[0], *start), play(home, sid, *runs[1], *start)
    with ThreadPoolExecutor(2) as pool:
        good, wrong = (pool.submit(play, home, sid, *run, *start) for run in runs)
        return good.result(), wrong.result()


def assert_good(doc: dict[str, Any]) -> None:
    assert doc["passed"] and doc["score"] >= 80, json.dumps(doc["parts"], indent=1)
    assert all(step["taken"] for step in doc["steps"]), doc["steps"]


def assert_wrong(doc: dict[str, Any]) -> None:
    assert doc["parts"]["diagnosis"]["score"] == doc["parts"]["diagnosis"]["max"]
    assert not doc["passed"] and not doc["fixed"] and doc["score"] <= 50, json.dumps(doc["parts"], indent=1)


@pytest.mark.parametrize(("sid", "alerts"), SEVEN)
def test_good_trainee_scores_at_least_80_and_known_wrong_fix_at_most_50(home: Path, sid: str, alerts: bool) -> None:
    good, wrong = good_and_wrong(home, sid, alerts)
    assert_good(good)
    assert_wrong(wrong)


# ---------------------------------------------------------------------- timeline, time limit, crashes

def short_scenario(tmp: Path) -> Path:
    """oom-killed with a 4-minute limit, a fault that recurs every minute and an escalation."""
    import shutil

    import yaml

    root = builtin_dir()
    folder = tmp / "extra"
    shutil.copytree(root / "templates", folder / "templates")
    data = yaml.safe_load((root / "oom-killed.yaml").read_text())
    data.update(id="oom-short", time_limit="4m")
    data["faults"] = [{**data["faults"][0], "at": "20s"},
                      {"type": "pod-delete", "at": "40s", "every": "1m",
                       "target": {"kind": "Pod", "selector": "app=checkout", "mode": "one"}}]
    data["escalations"] = [{"after": "2m", "fault": {"type": "scale-zero",
                                                    "target": {"kind": "Deployment", "name": "checkout"}}}]
    (folder / "oom-short.yaml").write_text(yaml.safe_dump(data))
    return folder


def test_timeline_recurs_escalates_and_the_time_limit_grades(home: Path) -> None:
    folder = short_scenario(home)
    s = Session(home, "oom-short", "--scenarios", str(folder))
    s.ck("diagnose", "--cause", "memory-limit-too-low", "--resource", "deploy/checkout")
    s.wait(lambda: (s.dir / "grade.json").exists(), wall=60)
    doc = json.loads((s.dir / "grade.json").read_text())
    assert doc["reason"] == "time limit reached" and not doc["fixed"] and doc["score"] <= 50
    injected = s.events("injected")
    deletes = [e for e in injected + s.events("inject-failed") if e["fault"] == "pod-delete"]
    deletes.sort(key=lambda e: e["sim"])
    assert len(deletes) >= 3, deletes  # at 40s, then every minute until the 4-minute limit
    assert any("fault target not found" in e.get("error", "") for e in deletes)  # after the scale to zero
    assert [e["fault"] for e in injected if "escalation" in e] == ["scale-zero"]
    times = [e["sim"] - s.events("started")[0]["sim"] for e in deletes]
    assert times[0] == pytest.approx(40, abs=6) and times[1] - times[0] == pytest.approx(60, abs=6)
    s.wait(lambda: s.events("reverted"))
    assert [e["kind"] for e in s.events("finished")] == ["finished"]


def test_kill_9_loses_nothing_and_stop_still_cleans_up(home: Path) -> None:
    import signal

    s = Session(home, "oom-killed")
    s.wait(lambda: s.events("injected"))
    s.ck("diagnose", "--cause", "memory-limit-too-low", "--resource", "deploy/checkout", "--note", "first")
    s.ck("diagnose", "--cause", "crash-on-start", "--resource", "deploy/checkout", "--note", "second")
    pid = json.loads((s.dir / "session.json").read_text())["pid"]
    os.killpg(pid, signal.SIGKILL)
    s.wait(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2])
    assert [e["note"] for e in s.events("diagnosis")] == ["first", "second"]
    assert s.events("injected")
    assert json.loads(s.ck("status", "--json").stdout)["state"] == "dead"
    gone = json.loads(s.ck("reset", "--json").stdout)  # the simulator died with its process: said so
    assert gone["restored"] == [] and len(gone["left"]) == 2
    assert all(line.endswith("the simulator ended with its session process") for line in gone["left"])
    assert s.ck("stop").returncode == 0 and json.loads(s.ck("stop", "--json").stdout)["left"] == []
    assert json.loads(s.ck("sessions", "--json").stdout)[0]["state"] == "stopped"
    again = Session(home, "oom-killed")
    assert json.loads(again.ck("status", "--json").stdout)["state"] == "running"


def test_play_opens_a_shell_for_the_session_and_finishes_on_exit(home: Path) -> None:
    script = "kubectl get deploy checkout -o name\nchaoskit status --json\nexit\n"
    proc = subprocess.run([CHAOSKIT, "play", "oom-killed", "--speed", str(SPEED)], input=script, text=True,
                          capture_output=True, timeout=180,
                          env={**os.environ, "CHAOSKIT_HOME": str(home), "SHELL": "/bin/sh",
                               "PATH": f"{Path(CHAOSKIT).parent}:/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "deployment.apps/checkout" in proc.stdout
    assert '"state": "running"' in proc.stdout
    assert "Score " in proc.stdout and "NOT PASSED" in proc.stdout
    (session,) = (home / "sessions").iterdir()
    assert json.loads((session / "grade.json").read_text())["session"] == session.name


def test_diagnose_prompts_without_options(home: Path) -> None:
    s = Session(home, "oom-killed")
    proc = subprocess.run([CHAOSKIT, "diagnose"], input="memory-limit-too-low\ndeploy/checkout\nOOMKilled\n",
                          text=True, capture_output=True, timeout=60, env={**os.environ, "CHAOSKIT_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    assert "diagnosis recorded: memory-limit-too-low on deployment/checkout" in proc.stdout
    assert s.events("diagnosis")[-1]["note"] == "OOMKilled"


# ---------------------------------------------------------------------- reports

REPORT = Path(__file__).parent / "data" / "report.json"  # grade.json of a real 'chaoskit demo' run


def chromium() -> str | None:
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="headless Chromium is not installed (Debian package 'chromium')")
def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    from chaoskit.report import render

    doc = json.loads(REPORT.read_text())
    page = tmp_path / "report.html"
    page.write_text(render(doc, "html"))
    args = [str(chromium()), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'p'}"]
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert f"{doc['score']}/100 passed" in dom
    assert dom.count('class="mark"') == len(doc["timeline"]) >= 4
    for mark in ("fault injected", "first relevant look", "diagnosis", "recovered"):
        assert mark in dom
    shot = tmp_path / "shot.png"
    subprocess.run([*args, f"--screenshot={shot}", "--window-size=900,700", page.as_uri()], capture_output=True,
                   timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_report_formats_from_one_document() -> None:
    from chaoskit.errors import ConfigError
    from chaoskit.report import render

    doc = json.loads(REPORT.read_text())
    assert json.loads(render(doc, "json")) == doc
    md = render(doc, "md")
    for heading in ("## What was really broken", "## Runbook steps", "## Timeline", "## Commands",
                    "## Reference solution", "## Postmortem skeleton", "**Root cause:**"):
        assert heading in md
    text = render(doc, "text")
    assert f"Score {doc['score']}/100" in text and "\x1b[" not in text
    assert "<testsuites" in render(doc, "junit")
    with pytest.raises(ConfigError, match="unknown report format"):
        render(doc, "pdf")


def test_breaking_another_workload_is_collateral_damage(home: Path) -> None:
    s = Session(home, "oom-killed")
    investigate_oom(s)
    s.ck(*DIAGNOSE)
    assert s.kubectl(FIX).returncode == 0
    assert s.kubectl("kubectl create deployment side --image=nginx:1.27").returncode == 0
    s.wait(lambda: s.kubectl("kubectl get deploy side -o jsonpath={.status.availableReplicas}").stdout == "1")
    recreate = '{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}'
    assert s.kubectl(f"kubectl patch deploy side --type=merge -p '{recreate}'").returncode == 0
    assert s.kubectl("kubectl set image deploy/side nginx=nginx:no-such-tag").returncode == 0
    s.wait(lambda: s.kubectl("kubectl get deploy side -o jsonpath={.status.availableReplicas}").stdout == "")
    s.wait(lambda: json.loads(s.ck("check", "--json").stdout)["healthy"])
    doc = s.finish()
    damage = [i for i in doc["parts"]["remediation"]["items"] if i["label"] == "collateral damage"]
    assert [i["detail"] for i in damage] == ["deployment/side was changed by you and has 0/1 available"]
    assert doc["parts"]["remediation"]["score"] < doc["parts"]["remediation"]["max"]


def test_senseless_order_and_a_stuffed_note_earn_only_part(home: Path) -> None:
    from chaoskit.scenario.causes import taxonomy

    s = Session(home, "oom-killed")
    s.until_pods_show("CrashLoopBackOff")
    pod = s.kubectl("kubectl get pods -l app=checkout --sort-by=.metadata.creationTimestamp "
                    "-o jsonpath={.items[-1].metadata.name}").stdout
    # the runbook's commands backwards (the jsonpath lookup above already listed pods once, so step 1
    # comes first; everything after it runs in reverse)
    for command in ("kubectl rollout history deploy/checkout", f"kubectl logs {pod} --previous",
                    f"kubectl describe pod {pod}"):
        assert s.kubectl(command).returncode == 0
    everything = ", ".join(sorted({syn for c in taxonomy().values() for syn in c.synonyms}))
    s.ck("diagnose", "--cause", "memory-limit-too-low", "--resource", "deploy/checkout", "--note", everything)
    assert s.kubectl(FIX).returncode == 0
    s.wait(lambda: json.loads(s.ck("check", "--json").stdout)["healthy"])
    doc = s.finish()
    steps = doc["parts"]["process"]["items"][0]
    assert steps["detail"].startswith("4/4 steps, order 50%") and steps["points"] < steps["max"]
    note = next(i for i in doc["parts"]["diagnosis"]["items"] if i["label"] == "explanation")
    assert note["points"] == 0


@pytest.mark.parametrize(("sid", "alerts"), SEVEN)
def test_no_diagnosis_a_hint_and_a_guardrail_each_cost(home: Path, sid: str, alerts: bool) -> None:
    """Right fix, but no diagnosis and one hint; a write outside the session's namespace is refused
    by the trainee's policy (chaoskit.kube.authz), so it changes nothing and breaks no guardrail."""
    from chaoskit.catalog import catalogue

    scenario = catalogue()[sid]
    s = Session(home, sid)
    s.wait(lambda: s.events("injected"))
    s.wait(lambda: not json.loads(s.ck("check", "--json").stdout)["healthy"])
    assert s.ck("hint").stdout.strip() == scenario.hints[0]
    outside = s.kubectl("kubectl create configmap scratch -n default --from-literal=a=b")
    assert outside.returncode == 1 and "the trainee may only read" in outside.stderr
    for command in scenario.solution.commands:
        assert s.kubectl(command).returncode == 0, command
    s.wait(lambda: json.loads(s.ck("check", "--json").stdout)["healthy"])
    doc = s.finish()
    parts = doc["parts"]
    assert parts["diagnosis"]["score"] == 0
    assert [i["points"] < 0 for i in parts["process"]["items"] if i["label"] == "hint 1 used"] == [True]
    assert not [i for i in parts["remediation"]["items"] if i["label"] == "guardrail no-other-namespaces"]
    assert doc["fixed"] and doc["score"] <= 100 - parts["diagnosis"]["max"]
