"""Reverting a session: undo every fault from the journal, re-check the baseline, say what could
not be restored, and (on stop) delete the session's namespace.

The same function runs inside the session process on ``stop`` and in ``chaoskit reset`` /
``stop`` when that process is gone (killed, or the machine rebooted), from what is on disk.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chaoskit.checks import evaluate
from chaoskit.cluster import Kube, KubeError
from chaoskit.errors import ChaoskitError
from chaoskit.faults import Journal, revert
from chaoskit.scenario import Scenario
from chaoskit.session.record import Record

BASELINE_SIM = 120.0   # simulator seconds the baseline may take to come back
BASELINE_WALL = 20.0   # but never longer than this on the wall clock


@dataclass(frozen=True)
class Teardown:
    restored: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    baseline: list[str] = field(default_factory=list)   # baseline checks still failing
    namespace_deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def baseline_failures(kube: Kube, scenario: Scenario, ns: str, speed: float) -> list[str]:
    deadline = time.monotonic() + min(BASELINE_SIM / speed, BASELINE_WALL)
    while True:
        failing = [f"{c.check}: {r.detail}" for c in scenario.baseline
                   if not (r := evaluate(kube, ns, c)).ok]
        if not failing or time.monotonic() > deadline:
            return failing
        time.sleep(0.2)


def teardown(directory: Path, kube: Kube | None, scenario: Scenario, speed: float,
             delete_namespace: bool) -> Teardown:
    """Revert (idempotent: reverted records are not touched again), re-check, optionally clean up."""
    meta = Record(directory).meta()
    ns = meta["namespace"]
    journal = Journal(directory / "journal.jsonl")
    if kube is None:  # the simulator ended with the session process: nothing of it is left to restore
        left = []
        for record in journal.open_records():
            journal.mark(record, "gone", "the simulator ended with its session process")
            left.append(f"{record['fault']}: {record.get('kind', '')} {record['name']}: the simulator ended "
                        "with its session process")
        return _recorded(directory, Teardown(left=left))
    try:
        outcome = revert(kube, journal)
        restored, left = outcome.restored, outcome.skipped
    except ChaoskitError as err:
        restored, left = [], [f"revert failed: {err}"]
    exists = kube.try_get("Namespace", None, ns) is not None
    failing = baseline_failures(kube, scenario, ns, speed) if exists else [f"namespace {ns} is gone"]
    deleted = False
    if delete_namespace and exists:
        try:
            kube.delete("Namespace", None, ns)
            deleted = True
        except KubeError as err:
            left.append(f"namespace {ns}: {err}")
    return _recorded(directory, Teardown(restored, left, failing, deleted))


def _recorded(directory: Path, result: Teardown) -> Teardown:
    Record(directory).add("reverted", restored=result.restored, left=result.left, baseline=result.baseline,
                          namespace_deleted=result.namespace_deleted)
    return result
