"""Evidence claims: what a trainee says they saw, in a small grammar, checked against what their reads
really showed (:mod:`chaoskit.kube.evidence`).

A note in prose cannot be graded honestly (a keyword list scores, accurate prose does not); a claim
can. Each names one observable fact::

    pod/checkout-7d9f4-x2kq9 status.containerStatuses[0].lastState.terminated.reason=OOMKilled
    pod/checkout-7d9f4-x2kq9 STATUS=CrashLoopBackOff        a column of 'kubectl get' (upper case)
    svc/checkout spec.selector.app=cehckout                  a field, as '-o jsonpath' names it
    event pod/checkout-7d9f4-x2kq9 BackOff                   an event's reason about the object...
    event pod/checkout-7d9f4-x2kq9 BackOff "restarting failed container"   ...and words of its message
    log pod/checkout-7d9f4-x2kq9 "out of memory"             words of the pod's log

Resources are written as kubectl writes them (``po``, ``deploy``, ``svc``, ``no`` ...). A pod may be
named by its owner's name (``pod/checkout``) when any of that owner's pods showed the fact. Field
paths may carry kubectl's jsonpath braces (``{.spec.replicas}``); a field without ``=VALUE`` claims
that the field was there. Values and reasons compare exactly, message and log words ignore case.

A scenario says which facts reveal its cause as *patterns* in the same grammar, where ``[*]`` stands
for any list index, a name or a value of ``*`` for any: a trainee's claim is relevant when a pattern
fits it (:func:`relevant`), and a diagnosis is backed by investigation when a read made before it
showed a fact a pattern fits (:func:`revealed`), whether or not the trainee wrote it down.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from chaoskit.errors import ConfigError
from chaoskit.grading.resources import canonical
from chaoskit.i18n import N_, _
from chaoskit.kube.evidence import Seen, Shown

ClaimKind = Literal["field", "column", "event", "log"]
GRAMMAR = N_('a claim is "KIND/NAME FIELD=VALUE", "KIND/NAME COLUMN=VALUE", "event KIND/NAME REASON [\\"words\\"]" '
           'or "log KIND/NAME \\"words\\""')
_COLUMN = re.compile(r"^[A-Z][A-Z0-9-]*(\([A-Z%]+\))?$")
# labels[app.kubernetes.io/name], labels['...'] and labels["..."] all name the key as flatten() writes it
_BRACKET = re.compile(r"""\[(?!\d+\]|\*\])['"]?([^\]'"]+)['"]?\]""")


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    resource: str          # canonical kind (pod, service, deployment ...)
    name: str
    key: str = ""          # field path, column header or event reason
    value: str | None = None
    words: str = ""        # words of an event's message or of a log
    text: str = ""         # the claim as written

    @property
    def ref(self) -> str:
        return f"{self.resource}/{self.name}"


def parse_claim(text: str) -> Claim:
    """One claim; a ConfigError naming the grammar when it does not parse."""
    try:
        parts = shlex.split(text.strip())
    except ValueError as exc:
        raise ConfigError(_("claim {text!r}: {error}; {grammar}").format(
            text=text, error=exc, grammar=_(GRAMMAR))) from exc
    if not parts:
        raise ConfigError(_("an empty claim; {grammar}").format(grammar=_(GRAMMAR)))
    head = parts[0].lower()
    if head in ("event", "log"):
        if len(parts) < 2:
            raise ConfigError(_("claim {text!r} names no resource; {grammar}").format(text=text, grammar=_(GRAMMAR)))
        resource, name = canonical(parts[1])
        if head == "log":
            if len(parts) != 3:
                raise ConfigError(_("claim {text!r}: a log claim quotes the words it saw; {grammar}").format(
                    text=text, grammar=_(GRAMMAR)))
            return Claim("log", resource, name, words=parts[2], text=text)
        if len(parts) not in (3, 4):
            raise ConfigError(_("claim {text!r}: an event claim gives the event's reason; {grammar}").format(
                text=text, grammar=_(GRAMMAR)))
        return Claim("event", resource, name, key=parts[2], words=parts[3] if len(parts) == 4 else "", text=text)
    if len(parts) != 2:
        raise ConfigError(_("claim {text!r}; {grammar}").format(text=text, grammar=_(GRAMMAR)))
    resource, name = canonical(parts[0])
    key, sep, value = parts[1].partition("=")
    key = _BRACKET.sub(r"['\1']", key.strip().removeprefix("{").removesuffix("}").removeprefix("."))
    if not key:
        raise ConfigError(_("claim {text!r} names no field; {grammar}").format(text=text, grammar=_(GRAMMAR)))
    if _COLUMN.match(key):
        if not sep:
            raise ConfigError(_("claim {text!r}: a column claim gives the value printed; {grammar}").format(
                text=text, grammar=_(GRAMMAR)))
        return Claim("column", resource, name, key=key, value=value, text=text)
    return Claim("field", resource, name, key=key, value=value if sep else None, text=text)


def _same_object(claim: Claim, ref: str) -> bool:
    kind, _, name = ref.partition("/")
    if kind != claim.resource:
        return False
    return claim.name in (name, "*") or (claim.resource == "pod" and name.startswith(claim.name + "-"))


def _key_matches(pattern: str, key: str) -> bool:
    if "[*]" not in pattern:
        return pattern == key
    return re.fullmatch(re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]"), key) is not None


def _value_matches(pattern: str | None, value: str | None) -> bool:
    return pattern is None or pattern == "*" or pattern == value


def shows(claim: Claim, item: Shown) -> bool:
    """Whether this one thing a read showed is what the claim says."""
    if not _same_object(claim, item.ref):
        return False
    if claim.kind == "field":
        if item.what != "object":
            return False
        if claim.value is None:
            return any(_key_matches(claim.key, k) or k.startswith((claim.key + ".", claim.key + "["))
                       for k in item.facts)
        return any(_key_matches(claim.key, k) and _value_matches(claim.value, v) for k, v in item.facts.items())
    if claim.kind == "column":
        if item.what != "row":
            return False
        cells = {k.upper(): v for k, v in item.facts.items()}
        return claim.key in cells and _value_matches(claim.value, cells[claim.key])
    if claim.kind == "event":
        return item.what == "event" and _value_matches(claim.key, item.facts.get("reason")) and \
            claim.words.lower() in item.facts.get("message", "").lower()
    return item.what == "log" and claim.words.lower() in item.facts.get("lines", "").lower()


def fits(pattern: Claim, claim: Claim) -> bool:
    """Whether a trainee's claim is an instance of a scenario's pattern."""
    if (pattern.kind, pattern.resource) != (claim.kind, claim.resource):
        return False
    if pattern.name != "*" and not (claim.name == pattern.name or (
            claim.resource == "pod" and (claim.name.startswith(pattern.name + "-")
                                         or pattern.name.startswith(claim.name + "-")))):
        return False
    if claim.kind in ("field", "column"):
        return _key_matches(pattern.key, claim.key) and _value_matches(pattern.value, claim.value)
    if claim.kind == "event":
        return _value_matches(pattern.key, claim.key) and pattern.words.lower() in claim.words.lower()
    return pattern.words.lower() in claim.words.lower()


def relevant(claim: Claim, patterns: Iterable[Claim]) -> bool:
    return any(fits(p, claim) for p in patterns)


def revealed(patterns: Iterable[Claim], reads: Iterable[Seen], before: float) -> bool:
    """Whether any read answered before ``before`` showed a fact one of the patterns describes."""
    found = list(patterns)
    return any(read.sim <= before and any(shows(p, item) for p in found for item in read.items) for read in reads)


def backing(claim: Claim, reads: Iterable[Seen], before: float) -> Seen | None:
    """The first read answered before ``before`` (simulator time) that showed the claim, or None."""
    for read in sorted(reads, key=lambda r: r.sim):
        if read.sim > before:
            return None
        if any(shows(claim, item) for item in read.items):
            return read
    return None
