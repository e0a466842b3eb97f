"""Label and field selectors, parsed once and matched many times.

Label selectors follow k8s.io/apimachinery/pkg/labels (``=``, ``==``, ``!=``, ``in``,
``notin``, ``key``, ``!key``); field selectors follow pkg/fields (``=``, ``==``, ``!=``) over
the fields each kind allows (see :mod:`chaoskit.sim.kinds`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chaoskit.kube.status import BadRequest

Labels = Mapping[str, str]


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match when the key is absent too.
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Labels | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


EVERYTHING = LabelSelector()
NOTHING = LabelSelector((Requirement("", "in", ()),))

_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")
_NAME = re.compile(r"^([a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?/)?[a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?$")
_VALUE = re.compile(r"^([a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?)?$")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise BadRequest(f"unable to parse requirement: found '{text[pos:]}'")
        out.append(m.group(1))
        pos = m.end()
    return out


def parse_labels(text: str | None) -> LabelSelector:
    """Parse a label selector string; bad input raises a 400 ``BadRequest``."""
    if not text or not text.strip():
        return EVERYTHING
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise BadRequest(f"unable to parse requirement: {msg}")

    while i < len(toks):
        if toks[i] == "!":
            need(i + 1 < len(toks), "found '', expected: identifier")
            key = toks[i + 1]
            need(bool(_NAME.match(key)), f"invalid label key \"{key}\"")
            reqs.append(Requirement(key, "!"))
            i += 2
        else:
            key = toks[i]
            need(bool(_NAME.match(key)), f"invalid label key \"{key}\"")
            i += 1
            if i >= len(toks) or toks[i] == ",":
                reqs.append(Requirement(key, "exists"))
            elif toks[i] in ("=", "==", "!="):
                op = "!=" if toks[i] == "!=" else "="
                i += 1
                value = ""
                if i < len(toks) and toks[i] != ",":
                    value = toks[i]
                    i += 1
                need(bool(_VALUE.match(value)), f"invalid label value: \"{value}\"")
                reqs.append(Requirement(key, op, (value,)))
            elif toks[i] in ("in", "notin"):
                op = toks[i]
                i += 1
                need(i < len(toks) and toks[i] == "(", f"found '{toks[i] if i < len(toks) else ''}', expected: '('")
                i += 1
                values: list[str] = []
                while i < len(toks) and toks[i] != ")":
                    if toks[i] != ",":
                        need(bool(_VALUE.match(toks[i])), f"invalid label value: \"{toks[i]}\"")
                        values.append(toks[i])
                    i += 1
                need(i < len(toks), "found '', expected: ')'")
                i += 1
                reqs.append(Requirement(key, op, tuple(values)))
            else:
                raise BadRequest(f"unable to parse requirement: found '{toks[i]}', expected: "
                                 "in, notin, =, ==, !=, gt, lt")
        if i < len(toks):
            need(toks[i] == ",", f"found '{toks[i]}', expected: ',' or 'end of string'")
            i += 1
    return LabelSelector(tuple(reqs))


def from_label_selector(selector: Mapping[str, Any] | None) -> LabelSelector:
    """A metav1.LabelSelector (matchLabels + matchExpressions). ``None`` selects nothing."""
    if selector is None:
        return NOTHING
    reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(expr.get("operator", ""))
        if op is None:
            raise BadRequest(f"\"{expr.get('operator')}\" is not a valid label selector operator")
        reqs.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return LabelSelector(tuple(reqs))


def from_map(selector: Mapping[str, str] | None) -> LabelSelector:
    """A Service/ReplicationController-style ``map[string]string`` selector; empty selects nothing."""
    if not selector:
        return NOTHING
    return LabelSelector(tuple(Requirement(k, "=", (str(v),)) for k, v in sorted(selector.items())))


def format_selector(selector: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: what kubectl prints in SELECTOR columns."""
    if selector is None:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator")
        values = ",".join(expr.get("values") or [])
        if op == "In":
            parts.append(f"{expr['key']} in ({values})")
        elif op == "NotIn":
            parts.append(f"{expr['key']} notin ({values})")
        elif op == "Exists":
            parts.append(expr["key"])
        else:
            parts.append(f"!{expr['key']}")
    text = ",".join(parts)
    return text or "<none>"


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[str, bool, str], ...] = ()  # (field, equal, value)

    def matches(self, obj: Any, getter: Callable[[Any, str], str]) -> bool:
        return all((getter(obj, f) == v) == eq for f, eq, v in self.terms)


def parse_fields(text: str | None, allowed: frozenset[str], plural: str = "") -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    terms: list[tuple[str, bool, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([^=!]+)(==|=|!=)(.*)$", part)
        if not m:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if field not in allowed:
            raise BadRequest(f'field label not supported: {field}')
        terms.append((field, op != "!=", value))
    return FieldSelector(tuple(terms))
