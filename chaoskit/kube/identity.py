"""Who is speaking to an API server, in the names both sides use.

The simulator authenticates two identities: the trainee (whose requests are graded) and chaoskit's
own system user (injections, checks, the monitor; never graded). The audit proxy writes the same
trainee name into its log, so grading reads every backend's log alike. A simulator answers
:data:`IDENTITY_PATH` to any authenticated user, so chaoskit's guard can recognise one.
"""

from __future__ import annotations

TRAINEE = "trainee"
SYSTEM = "system:chaoskit"
SYSTEM_GROUPS = ("system:masters",)
IDENTITY_PATH = "/chaoskit/v1/identity"
IDENTITY_KIND = "ChaoskitSimulator"
CONTROL_PREFIX = "/chaoskit/"
