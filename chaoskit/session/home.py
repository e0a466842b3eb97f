"""Where sessions live: ``$CHAOSKIT_HOME/sessions/<id>`` (default: the user state directory)."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from chaoskit.errors import ConfigError


def home() -> Path:
    if os.environ.get("CHAOSKIT_HOME"):
        return Path(os.environ["CHAOSKIT_HOME"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "chaoskit"


def sessions_dir() -> Path:
    return home() / "sessions"


def new_id(scenario: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{scenario}-{secrets.token_hex(2)}"


def write_json(path: Path, data: Any) -> None:
    """Atomic replace, so readers never see half a file."""
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def all_sessions() -> list[Path]:
    root = sessions_dir()
    found = [p for p in root.iterdir() if (p / "session.json").exists()] if root.exists() else []
    return sorted(found, key=lambda p: read_json(p / "session.json", {}).get("created", 0))


def resolve(session: str | None) -> Path:
    """The named session, else ``$CHAOSKIT_SESSION`` (set inside 'chaoskit play'), else the latest."""
    session = session or os.environ.get("CHAOSKIT_SESSION")
    if session:
        path = sessions_dir() / session
        if not (path / "session.json").exists():
            raise ConfigError(f"no session {session!r} (see 'chaoskit sessions')")
        return path
    found = all_sessions()
    if not found:
        raise ConfigError("no session yet; start one with 'chaoskit start SCENARIO'")
    return found[-1]
