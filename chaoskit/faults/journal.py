"""The undo journal: every change a fault makes is recorded here before it is made.

The whole journal is rewritten to a temporary file and renamed over the old one on every
update, so a crash leaves either the previous or the new journal, never half a record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[Record] = []
        if path.exists():
            text = path.read_text(encoding="utf-8")
            self.records = [json.loads(line) for line in text.splitlines() if line.strip()]

    def _flush(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for record in self.records:
                fh.write(json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def add(self, record: Record) -> Record:
        """Write the undo record (state ``pending``) before the change it describes is made."""
        record = {**record, "id": f"r{len(self.records) + 1}", "state": "pending"}
        self.records.append(record)
        self._flush()
        return record

    def mark(self, record: Record, state: str, note: str = "") -> None:
        for stored in self.records:
            if stored["id"] == record["id"]:
                stored["state"] = state
                if note:
                    stored["note"] = note
                record.update(stored)
        self._flush()

    def open_records(self) -> list[Record]:
        """Records a revert still has to look at (newest first, so stacked changes unwind in order)."""
        return [r for r in reversed(self.records) if r["state"] in ("pending", "injected")]
