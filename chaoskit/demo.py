"""``chaoskit demo``: one whole training session, played by a scripted trainee.

It starts ``oom-killed`` on the bundled simulator, waits for the page, investigates with the real
kubectl the way the runbook teaches (get pods, describe, logs --previous, rollout history), fixes
the memory limit, submits a diagnosis, finishes and prints the report.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from chaoskit.cluster.kubectl import kubectl_path
from chaoskit.errors import ConfigError
from chaoskit.i18n import _, verbatim
from chaoskit.report import render
from chaoskit.session.control import check, diagnose, start, stop
from chaoskit.session.finish import finish
from chaoskit.session.home import sessions_dir
from chaoskit.session.record import Record

SCENARIO = "oom-killed"
WAIT = 120.0  # wall seconds for any one thing the trainee waits for


class Trainee:
    def __init__(self, kubeconfig: str, out: Callable[[str], None]) -> None:
        self.kubectl = str(kubectl_path())
        self.env = {"KUBECONFIG": kubeconfig, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(Path(kubeconfig).parent)}
        self.out = out

    def run(self, command: str, show: Callable[[str], str] = lambda s: s, quiet: bool = False) -> str:
        proc = subprocess.run([self.kubectl, *shlex.split(command)[1:]], capture_output=True, text=True,
                              timeout=60, env=self.env)
        if not quiet:
            self.out(verbatim(f"$ {command}"))
            self.out(show(proc.stdout + proc.stderr).rstrip())
            self.out("")
        return proc.stdout

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not predicate():
            if time.monotonic() > deadline:
                raise ConfigError(_("demo: gave up waiting for {what}").format(what=what))
            time.sleep(0.2)


def _describe_excerpt(text: str) -> str:
    lines = text.splitlines()
    keep = [i for i, line in enumerate(lines) if "Last State" in line]
    head = lines[keep[0]:keep[0] + 4] if keep else []
    events = lines[next((i for i, line in enumerate(lines) if line.startswith("Events:")), len(lines)):]
    return "\n".join(["...", *head, "...", *events])


def run_demo(speed: float = 30.0, seed: int = 0, out: Callable[[str], None] = print) -> dict[str, object]:
    began = time.monotonic()
    kubectl_path()  # no kubectl: say so before a session is started
    info = start(SCENARIO, speed=speed, seed=seed, name=f"demo-{int(time.time())}")
    directory = sessions_dir() / str(info["session"])
    out(_("Session {session}: {scenario} on the bundled simulator at {speed:g}x, ready in {seconds:.1f}s").format(
        session=info["session"], scenario=SCENARIO, speed=speed, seconds=time.monotonic() - began))
    out(verbatim(f"export KUBECONFIG={info['kubeconfig']}\n"))
    out(str(info["briefing"]) + "\n")
    try:
        me = Trainee(str(info["kubeconfig"]), out)
        me.wait_for(lambda: bool(Record(directory).events("injected")), _("the fault"))
        me.wait_for(lambda: "CrashLoopBackOff" in me.run("kubectl get pods", quiet=True), verbatim("CrashLoopBackOff"))
        me.run("kubectl get pods")
        pod = me.run("kubectl get pods -l app=checkout --sort-by=.metadata.creationTimestamp "
                     "-o jsonpath={.items[-1].metadata.name}", quiet=True)
        me.run(f"kubectl describe pod {pod}", show=_describe_excerpt)
        me.run(f"kubectl logs {pod} --previous --tail=3")
        me.run("kubectl rollout history deploy/checkout")
        me.run("kubectl set resources deploy/checkout -c checkout --limits=memory=128Mi --requests=memory=128Mi")
        event = diagnose(directory, ("memory-limit-too-low",), "deploy/checkout",
                         "Last State OOMKilled, exit code 137: the new revision's memory limit is too low")
        out(verbatim(f"$ chaoskit diagnose --cause {event['causes'][0]} --resource {event['resource']}\n"))
        me.wait_for(lambda: bool(check(directory)["healthy"]), _("the service to recover"))
        me.run("kubectl rollout status deploy/checkout")
        doc = finish(directory)
        out(verbatim("$ chaoskit finish\n"))
        out(render(doc, "text"))
        out(_("Demo finished in {seconds:.1f}s of wall time.").format(seconds=time.monotonic() - began))
        return doc
    finally:
        stop(directory)
