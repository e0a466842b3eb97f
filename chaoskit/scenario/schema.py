"""The JSON Schema of a scenario file (``chaoskit schema`` prints it, for editor completion).

The typed parts (fault specs and their targets, escalations, the monitor, the diagnosis) come from
their dataclasses in :mod:`chaoskit.scenario.model`; the rest is written here.
"""

from __future__ import annotations

from typing import Any

from chaoskit.scenario.dataschema import DURATION_SCHEMA, schema_of
from chaoskit.scenario.model import Diagnosis, Escalation, FaultSpec, Monitor

DURATION = DURATION_SCHEMA
STRINGS = {"type": "array", "items": {"type": "string"}}
CHECK = {
    "type": "object", "additionalProperties": False, "required": ["check"],
    "properties": {
        "check": {"enum": ["deployment-available", "pods-ready", "service-endpoints", "http", "node-ready",
                           "node-schedulable", "no-restarts", "memory-limit-at-least", "selector-matches-template",
                           "target-port-served", "image-pulls", "probe-is", "references-exist",
                           "no-blanket-toleration", "workers-accept"]},
        "name": {"type": "string"}, "selector": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
        "service": {"type": "string"}, "port": {"type": "integer"}, "path": {"type": "string"},
        "status": {"type": "integer"}, "hold": DURATION, "description": {"type": "string"},
        "min": {"type": "string", "description": "a quantity, e.g. 64Mi"}, "container": {"type": "string"},
        "probe": {"enum": ["liveness", "readiness", "startup"]},
        "grace": {"type": "integer", "minimum": 0, "description": "seconds a probe must allow before it fails"},
    },
}
SOLUTION = {"type": "object", "additionalProperties": False, "required": ["commands"],
            "properties": {"description": {"type": "string"}, "commands": {**STRINGS, "minItems": 1}}}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://chaoskit.dev/schema/scenario.json",
    "title": "chaoskit scenario",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "briefing", "difficulty", "tags", "minutes", "time_limit", "manifests",
                 "baseline", "faults", "diagnosis", "remediation", "solution", "alternatives", "wrong",
                 "runbook", "sources", "symptoms"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "title": {"type": "string", "minLength": 3},
        "briefing": {"type": "string", "minLength": 20, "description": "symptoms only, written like a page"},
        "difficulty": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": STRINGS,
        "minutes": {"type": "integer", "minimum": 1},
        "time_limit": DURATION,
        "variables": {"type": "object", "description": "the default values of the variables strings may name "
                                                       "as ${name}"},
        "variants": {"type": "object", "description": "the values each variable may take in a variant",
                     "additionalProperties": {"type": "array", "minItems": 1}},
        "manifests": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["template"],
            "properties": {"template": {"type": "string"}, "vars": {"type": "object"}}}},
        "baseline": {"type": "array", "items": CHECK},
        "faults": {"type": "array", "minItems": 1, "items": schema_of(FaultSpec)},
        "diagnosis": schema_of(Diagnosis),
        "remediation": {"type": "array", "minItems": 1, "items": CHECK},
        "cause_checks": {"type": "array", "items": CHECK, "description": "spec checks that the cause itself is "
                         "fixed, not only its symptom; they must pass when the trainee finishes"},
        "guardrails": {"type": "array", "items": {
            "enum": ["no-delete-workload", "no-image-change", "no-scale-to-zero", "no-other-namespaces",
                     "no-control-plane-taint-removal", "no-blanket-toleration", "no-relabelled-pods",
                     "no-delete-recreate", "no-command-edit"]}},
        "hints": STRINGS,
        "solution": SOLUTION,
        "alternatives": {"type": "array", "minItems": 1, "items": SOLUTION},
        "wrong": {"type": "array", "minItems": 1, "items": SOLUTION},
        "runbook": {"type": "string"},
        "sources": {**STRINGS, "minItems": 1},
        "symptoms": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["kind"],
            "properties": {"kind": {"enum": ["pod-state", "event", "alert"]}, "selector": {"type": "string"},
                           "reason": {"type": "string"}, "description": {"type": "string"}}}},
        "monitor": schema_of(Monitor),
        "targets": {"type": "object", "additionalProperties": False,
                    "properties": {"detect": DURATION, "recover": DURATION}},
        "weights": {"type": "object", "additionalProperties": False,
                    "properties": {"diagnosis": {"type": "number", "minimum": 0},
                                   "remediation": {"type": "number", "minimum": 0},
                                   "process": {"type": "number", "minimum": 0}}},
        "pass_score": {"type": "integer", "minimum": 0, "maximum": 100},
        "escalations": {"type": "array", "items": schema_of(Escalation)},
    },
}
