"""``chaoskit new ID``: a commented scenario skeleton that validates as it is."""

from __future__ import annotations

SKELETON = """\
# A chaoskit scenario. Validate with: chaoskit validate {id}.yaml ; prove it with: chaoskit selftest {id}
# All durations are simulator time (30s, 2m). Templates never name a namespace: the session picks one.
id: {id}
title: Describe what the trainee sees, not what broke
briefing: |
  PAGE (P2) checkout: what the pager would say. Symptoms only; no spoilers.
difficulty: 2            # 1 (guided) .. 5 (incident with red herrings)
tags: [example]
minutes: 10              # expected solving time
time_limit: 20m
variables: {{name: checkout, replicas: 2}}
manifests:               # jinja2 templates from ./templates or chaoskit's scenarios/templates
  - template: web.yaml.j2
baseline:                # must hold before any fault (chaoskit checks: see the schema)
  - {{check: deployment-available, name: checkout}}
faults:                  # chaoskit selftest lists the fault types; params follow each type's schema
  - type: memory-limit
    at: 30s
    target: {{kind: Deployment, name: checkout}}
    params: {{limit: 32Mi}}
symptoms:                # what must be observable after injection
  - {{kind: pod-state, selector: app=checkout, reason: OOMKilled}}
diagnosis:               # cause ids from `chaoskit causes`
  causes: [memory-limit-too-low]
  resource: deploy/checkout
  keywords: [OOMKilled]
remediation:             # held over `hold`, so a briefly Running pod does not pass
  - {{check: deployment-available, name: checkout, hold: 60s}}
guardrails: [no-delete-workload, no-other-namespaces]
hints:
  - "Tiered: the first one nudges, the last one nearly tells."
solution:                # real kubectl commands, run against the session's namespace
  commands: [kubectl set resources deploy/checkout -c checkout --limits=memory=128Mi --requests=memory=128Mi]
alternatives:            # other correct repairs: they must pass too
  - commands: [kubectl rollout undo deploy/checkout]
wrong:                   # plausible wrong repairs (each makes a write): the checks must keep failing
  - commands: [kubectl rollout restart deploy/checkout]
runbook: crashloop-oomkilled
sources: [000_563abe8c1f389fbd.txt]   # the seed documents the scenario is derived from
targets: {{detect: 3m, recover: 10m}}
"""


def skeleton(scenario_id: str) -> str:
    return SKELETON.format(id=scenario_id)
