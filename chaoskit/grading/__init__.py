"""Grading: turn what a trainee did (audit log, diagnosis, final cluster state) into an itemized
0-100 score. Pure functions over plain data, so the scoring edges are unit-testable without a
cluster; the session layer (issue 6, not built yet) gathers the inputs.

Public surface: :func:`grade` and the result types; the parts live in private-ish modules named
after what they judge (``diagnosis``, ``process``, ``remediation``, ``guardrails``)."""

from chaoskit.grading.diagnosis import Submission, score_diagnosis
from chaoskit.grading.process import ProcessInputs, score_process
from chaoskit.grading.remediation import CheckOutcome, score_remediation
from chaoskit.grading.result import Grade, Item, Part
from chaoskit.grading.total import grade, normalise_weights

__all__ = ["CheckOutcome", "Grade", "Item", "Part", "ProcessInputs", "Submission", "grade",
           "normalise_weights", "score_diagnosis", "score_process", "score_remediation"]
