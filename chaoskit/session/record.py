"""The session record: ``events.jsonl``, one fsynced line per event (injection, revert, alert,
diagnosis, hint, check transitions, finish), each with wall and simulator time."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoskit.session.home import read_json

if TYPE_CHECKING:
    from chaoskit.scenario import Scenario


def scenario_of(meta: dict[str, Any]) -> Scenario:
    """The session's scenario, from the catalogue folders it was started with."""
    from chaoskit.catalog import catalogue

    return catalogue(tuple(Path(p) for p in meta.get("scenario_dirs", ())))[meta["scenario"]]


class Record:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.path = directory / "events.jsonl"

    def meta(self) -> dict[str, Any]:
        data: dict[str, Any] = read_json(self.dir / "session.json", {})
        return data

    def sim_now(self) -> float:
        """Simulator seconds since the session began, extrapolated from the daemon's clock file."""
        clock = read_json(self.dir / "clock.json")
        if not clock:
            return 0.0
        return float(clock["sim"]) + (time.time() - float(clock["wall"])) * float(clock["speed"])

    def add(self, kind: str, sim: float | None = None, **data: Any) -> dict[str, Any]:
        event = {"kind": kind, "wall": time.time(), "sim": round(self.sim_now() if sim is None else sim, 3), **data}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return event

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after a crash
            if kind is None or event["kind"] == kind:
                out.append(event)
        return out
