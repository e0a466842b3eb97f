"""What the trainee's commands do to a session: start, status, hint, diagnose, check, stop."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chaoskit.catalog import catalogue
from chaoskit.errors import ConfigError
from chaoskit.grading.resources import canonical
from chaoskit.scenario.causes import taxonomy
from chaoskit.session.finish import scenario_of
from chaoskit.session.home import all_sessions, new_id, read_json, sessions_dir, write_json
from chaoskit.session.record import Record

START_TIMEOUT = 120.0  # wall seconds for the daemon to deploy the scenario
MODES = ("practice", "interview")


def start(scenario_id: str, speed: float = 1.0, seed: int = 0, mode: str = "practice", name: str | None = None,
          scenario_dirs: tuple[Path, ...] = ()) -> dict[str, Any]:
    scenario = catalogue(scenario_dirs).get(scenario_id)
    if scenario is None:
        raise ConfigError(f"no scenario {scenario_id!r} (see 'chaoskit list')")
    if speed <= 0:
        raise ConfigError("--speed must be greater than 0")
    sid = name or new_id(scenario_id)
    directory = sessions_dir() / sid
    if directory.exists():
        raise ConfigError(f"a session named {sid!r} already exists")
    directory.mkdir(parents=True)
    namespace = f"chaoskit-{scenario_id}"[:57] + f"-{secrets.token_hex(2)}"
    meta = {"id": sid, "scenario": scenario_id, "namespace": namespace, "backend": "sim", "speed": speed,
            "seed": seed, "mode": mode, "created": time.time(), "state": "starting",
            "scenario_dirs": [str(p.resolve()) for p in scenario_dirs], "time_limit": scenario.time_limit}
    write_json(directory / "session.json", meta)
    with open(directory / "daemon.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "chaoskit.session.daemon", str(directory)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    write_json(directory / "session.json", {**meta, "pid": proc.pid})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        current = read_json(directory / "session.json", {})
        if current.get("state") == "running":
            return {"session": sid, "kubeconfig": current["kubeconfig"], "namespace": namespace, "backend": "sim",
                    "scenario": scenario_id, "mode": mode, "speed": speed, "briefing": scenario.briefing,
                    "time_limit": scenario.time_limit}
        if current.get("state") == "failed" or proc.poll() is not None:
            raise ConfigError(f"session {sid} failed to start: {current.get('error') or 'see ' + str(directory)}")
        time.sleep(0.1)
    proc.kill()
    raise ConfigError(f"session {sid} did not start within {START_TIMEOUT:.0f}s")


def alive(meta: dict[str, Any]) -> bool:
    pid = meta.get("pid")
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
        stat = Path(f"/proc/{int(pid)}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False  # exited, not yet reaped by its parent
    except (ProcessLookupError, PermissionError):
        return False
    return meta.get("state") == "running"


def elapsed(rec: Record) -> float:
    meta = rec.meta()
    return max(0.0, rec.sim_now() - float(meta.get("sim_start", rec.sim_now())))


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
    now = rec.sim_now()
    probes = [e for e in events if e["kind"] == "probe"]
    shown = []
    for name, alert in alerts.items():
        during = [p["ok"] for p in probes if p["sim"] >= alert["since"]]
        share = sum(during) / len(during) if during else 0.0
        shown.append(f"{name}: availability {share:.0%} for {_ago(now - alert['since'])}")
    grade = read_json(directory / "grade.json")
    run = elapsed(rec)
    return {"session": directory.name, "scenario": meta["scenario"], "namespace": meta["namespace"],
            "state": "finished" if grade else ("running" if alive(meta) else meta.get("state", "stopped")),
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


def stop(directory: Path, wait: float = 30.0) -> dict[str, Any]:
    """Revert every fault and tear down; idempotent, and works after the daemon was killed."""
    meta = Record(directory).meta()
    (directory / "stop").touch()
    pid = int(meta.get("pid") or 0)
    deadline = time.monotonic() + wait
    while pid and alive(read_json(directory / "session.json", {})) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid and alive(read_json(directory / "session.json", {})):
        os.killpg(pid, signal.SIGKILL)
    current = read_json(directory / "session.json", {})
    if current.get("state") != "stopped":
        write_json(directory / "session.json", {**current, "state": "stopped"})
    return {"session": directory.name, "state": "stopped"}


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
                    "state": "finished" if grade else ("running" if alive(meta) else meta.get("state")),
                    "score": grade["score"] if grade else None})
    return out
