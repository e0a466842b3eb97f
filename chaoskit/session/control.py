"""What the trainee's commands do to a session: start, status, hint, diagnose, check, stop."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoskit.errors import ConfigError, SafetyError
from chaoskit.session.home import all_sessions, new_id, read_json, sessions_dir, write_json
from chaoskit.session.record import Record, scenario_of

if TYPE_CHECKING:  # the heavy layers load only in the commands that need them: 'check' stays instant
    from chaoskit.cluster.access import Access
    from chaoskit.scenario import Scenario

START_TIMEOUT = 120.0  # wall seconds for the daemon to deploy the scenario
MODES = ("practice", "interview")
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def admit(scenario: Scenario, sid: str, speed: float, access: Access | None) -> None:
    """Refuse, before anything is created, what the cluster's guard rules forbid."""
    if speed <= 0:
        raise ConfigError("--speed must be greater than 0")
    if not LABEL_VALUE.fullmatch(sid):
        raise ConfigError(f"session id {sid!r} must be a valid label value (at most 63 letters, digits, '-', "
                          "'_' or '.', starting and ending with a letter or digit)")
    if access is None:
        return
    from chaoskit.session.neighbours import node_fault_conflict

    if speed != 1.0 and not access.simulator:
        raise ConfigError("--speed applies to the simulator; a real cluster runs at 1x")
    if any(f.type == "node-not-ready" for f in scenario.all_faults) and not (access.simulator or access.kind):
        raise ConfigError(f"scenario {scenario.id} stops a node, which chaoskit can do only on kind (docker stop) "
                          f"or the simulator; context {access.context} is neither")
    if scenario.node_faults and not access.node_faults:
        raise SafetyError(f"scenario {scenario.id} injects node-level faults; on a cluster that is not a chaoskit "
                          f"simulator they need --allow-node-faults (context {access.context})")
    kube = access.client()
    named = {f.target.name for f in scenario.all_faults if f.target.kind == "Node" and f.target.name}
    missing = sorted(n for n in named if kube.try_get("Node", None, n) is None)
    if missing:
        raise ConfigError(f"scenario {scenario.id} targets node {', '.join(missing)}, which context "
                          f"{access.context} does not have (kind names nodes after the cluster: "
                          "'chaoskit cluster up --name chaoskit' makes chaoskit-worker)")
    node_fault_conflict(kube, sid, scenario.node_faults)


def start(scenario_id: str, speed: float = 1.0, seed: int = 0, mode: str = "practice", name: str | None = None,
          scenario_dirs: tuple[Path, ...] = (), access: Access | None = None) -> dict[str, Any]:
    from chaoskit.catalog import catalogue
    from chaoskit.scenario.loader import user_scenario_dirs

    scenario = catalogue(scenario_dirs).get(scenario_id)
    if scenario is None:
        raise ConfigError(f"no scenario {scenario_id!r} (see 'chaoskit list')")
    sid = name or new_id(scenario_id)
    admit(scenario, sid, speed, access)
    directory = sessions_dir() / sid
    if directory.exists():
        raise ConfigError(f"a session named {sid!r} already exists")
    directory.mkdir(parents=True)
    backend = access.backend if access else "sim"
    meta = {"id": sid, "scenario": scenario_id, "namespace": namespace_for(scenario_id), "backend": backend,
            "speed": speed, "seed": seed, "mode": mode, "created": time.time(), "state": "starting",
            # the folders in force now, CHAOSKIT_SCENARIOS's too: finish may run in a shell without it
            "scenario_dirs": [str(p.resolve()) for p in user_scenario_dirs(scenario_dirs)],
            "time_limit": scenario.time_limit,
            "cluster": access.to_dict() if access else None}
    namespace = meta["namespace"]
    write_json(directory / "session.json", meta)
    with open(directory / "daemon.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "chaoskit.session.daemon", str(directory)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    write_json(directory / "session.json", {**meta, "pid": proc.pid})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        current = read_json(directory / "session.json", {})
        if current.get("state") == "running":
            return {"session": sid, "kubeconfig": current["kubeconfig"], "namespace": namespace, "backend": backend,
                    "context": access.context if access else None, "scenario": scenario_id, "mode": mode,
                    "speed": current["speed"], "briefing": scenario.briefing, "time_limit": scenario.time_limit}
        if current.get("state") == "failed" or proc.poll() is not None:
            raise ConfigError(f"session {sid} failed to start: {current.get('error') or 'see ' + str(directory)}")
        time.sleep(0.1)
    proc.kill()
    raise ConfigError(f"session {sid} did not start within {START_TIMEOUT:.0f}s")


def plan(scenario_id: str, access: Access | None, scenario_dirs: tuple[Path, ...] = ()) -> dict[str, Any]:
    """What ``start`` would do, touching nothing: namespace, manifests, faults with times and targets."""
    from chaoskit.catalog import catalogue
    from chaoskit.faults import REGISTRY
    from chaoskit.scenario.render import render
    from chaoskit.session.neighbours import labels

    scenario = catalogue(scenario_dirs).get(scenario_id)
    if scenario is None:
        raise ConfigError(f"no scenario {scenario_id!r} (see 'chaoskit list')")
    ns = namespace_for(scenario_id)
    faults = [{"at": f.at, "every": f.every, "type": f.type, "target": asdict(f.target), "params": f.params,
               "red_herring": f.red_herring, "describe": REGISTRY[f.type](f.target, f.params).describe()}
              for f in scenario.timeline]
    escalations = [{"after": e.after, "type": e.fault.type, "target": asdict(e.fault.target),
                    "describe": REGISTRY[e.fault.type](e.fault.target, e.fault.params).describe()}
                   for e in scenario.escalations]
    where = "the bundled simulator" if access is None else f"context {access.context} ({access.server})"
    return {"scenario": scenario.id, "where": where, "namespace": ns, "time_limit": scenario.time_limit,
            "manifests": render(scenario, ns, labels("SESSION-ID")), "faults": faults, "escalations": escalations,
            "node_faults": scenario.node_faults}


def namespace_for(scenario_id: str) -> str:
    return f"chaoskit-{scenario_id}"[:57] + f"-{secrets.token_hex(2)}"


def alive(meta: dict[str, Any]) -> bool:
    """Whether the session's own process still runs. The pid alone is not enough: after a reboot
    another process may hold it, so the process must also be this session's daemon."""
    pid = meta.get("pid")
    if not pid or meta.get("state") != "running":
        return False
    proc = Path(f"/proc/{int(pid)}")
    try:
        os.kill(int(pid), 0)
        if proc.exists():
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return False  # exited, not yet reaped by its parent
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            return b"chaoskit.session.daemon" in argv and any(a.endswith(str(meta["id"]).encode()) for a in argv)
    except (ProcessLookupError, PermissionError, FileNotFoundError):
        return False
    return True


def state_of(meta: dict[str, Any], graded: bool) -> str:
    """finished, running, dead (its process vanished without reverting: run 'chaoskit reset'),
    or what the record says (starting, failed, stopped)."""
    if graded:
        return "finished"
    if alive(meta):
        return "running"
    recorded = str(meta.get("state", "stopped"))
    return "dead" if recorded == "running" else recorded


def status(directory: Path) -> dict[str, Any]:
    rec = Record(directory)
    meta = rec.meta()
    events = rec.events()  # one read of the record for the whole status
    alerts: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["kind"] == "alert":
            alerts[event["alert"]] = event
        elif event["kind"] == "resolved":
            alerts.pop(event["alert"], None)
    grade = read_json(directory / "grade.json")
    state = state_of(meta, bool(grade))
    # a session that ended has a last moment: its clock stops there rather than running on
    now = rec.sim_now() if state == "running" else max((float(e["sim"]) for e in events), default=rec.sim_now())
    probes = [e for e in events if e["kind"] == "probe"]
    shown = []
    for name, alert in alerts.items():
        during = [p["ok"] for p in probes if p["sim"] >= alert["since"]]
        share = sum(during) / len(during) if during else 0.0
        shown.append(f"{name}: availability {share:.0%} for {_ago(now - alert['since'])}")
    run = max(0.0, now - float(meta.get("sim_start", now)))
    return {"session": directory.name, "scenario": meta["scenario"], "namespace": meta["namespace"],
            "backend": meta.get("backend", "sim"), "context": (meta.get("cluster") or {}).get("context"),
            "state": state,
            "elapsed": round(run, 1), "time_left": round(max(0.0, float(meta["time_limit"]) - run), 1),
            "alerts": shown, "hints_used": sum(e["kind"] == "hint" for e in events), "mode": meta["mode"],
            "diagnoses": sum(e["kind"] == "diagnosis" for e in events)}


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def hint(directory: Path) -> str:
    rec = Record(directory)
    meta = rec.meta()
    if meta["mode"] == "interview":
        raise ConfigError("hints are not available in interview mode")
    hints = scenario_of(meta).hints
    used = len(rec.events("hint"))
    if used >= len(hints):
        raise ConfigError(f"no more hints: all {len(hints)} used")
    rec.add("hint", number=used + 1)
    return hints[used]


def diagnose(directory: Path, causes: tuple[str, ...], resource: str, note: str) -> dict[str, Any]:
    from chaoskit.grading.resources import canonical
    from chaoskit.scenario.causes import taxonomy

    known = taxonomy()
    unknown = [c for c in causes if c not in known]
    if not causes or unknown:
        raise ConfigError(f"unknown cause {', '.join(unknown) or '(none given)'}; see 'chaoskit causes'")
    kind, name = canonical(resource)
    rec = Record(directory)
    if (directory / "grade.json").exists():
        raise ConfigError("this session is finished; a diagnosis can no longer change its grade")
    return rec.add("diagnosis", causes=list(causes), resource=f"{kind}/{name}", note=note)


def check(directory: Path) -> dict[str, Any]:
    """Healthy again? Only the verdict and how long it has held; the checks themselves stay hidden."""
    state = read_json(directory / "checks.json", {"at": 0, "checks": {}})
    checks = state["checks"].values()
    healthy = bool(checks) and all(c["since"] is not None for c in checks)
    held = min((state["at"] - c["since"] for c in checks), default=0.0) if healthy else 0.0
    return {"healthy": healthy, "held_for": round(held, 1)}


def stop(directory: Path, wait: float = 60.0, keep_namespace: bool = False) -> dict[str, Any]:
    """Revert every fault and tear down; idempotent, and works after the session process was killed
    or the machine rebooted (the journal and the cluster's address are on disk). On a real cluster
    the session's namespace is deleted unless ``keep_namespace``."""
    from chaoskit.faults import Journal
    from chaoskit.session.teardown import teardown
    from chaoskit.session.venue import reconnect

    meta = Record(directory).meta()
    write_json(directory / "stop", {"keep_namespace": keep_namespace})
    pid = int(meta.get("pid") or 0)
    was_alive = alive(meta)
    deadline = time.monotonic() + wait
    while pid and alive(read_json(directory / "session.json", {})) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid and alive(read_json(directory / "session.json", {})):
        os.killpg(pid, signal.SIGKILL)
        was_alive = False
    result = _last_teardown(directory) if was_alive else None
    if result is None or Journal(directory / "journal.jsonl").open_records():
        kube = reconnect(directory, meta)
        remote = meta.get("backend", "sim") != "sim"
        result = teardown(directory, kube, scenario_of(meta), float(meta.get("speed", 1.0)),
                          delete_namespace=remote and not keep_namespace).to_dict()
    current = read_json(directory / "session.json", {})
    if current.get("state") != "stopped":
        write_json(directory / "session.json", {**current, "state": "stopped"})
    return {"session": directory.name, "state": "stopped", **result}


def reset(directory: Path) -> dict[str, Any]:
    """Undo every fault of a session and leave its namespace for a look; stops the session."""
    return stop(directory, keep_namespace=True)


def _last_teardown(directory: Path) -> dict[str, Any] | None:
    done = Record(directory).events("reverted")
    if not done:
        return None
    last = done[-1]
    return {"restored": last["restored"], "left": last["left"], "baseline": last["baseline"],
            "namespace_deleted": last["namespace_deleted"]}


def prune() -> list[str]:
    removed = []
    for directory in all_sessions():
        if not alive(read_json(directory / "session.json", {})):
            shutil.rmtree(directory)
            removed.append(directory.name)
    return removed


def listing() -> list[dict[str, Any]]:
    out = []
    for directory in all_sessions():
        meta = read_json(directory / "session.json", {})
        grade = read_json(directory / "grade.json")
        out.append({"session": directory.name, "scenario": meta.get("scenario"),
                    "state": state_of(meta, bool(grade)),
                    "score": grade["score"] if grade else None})
    return out
