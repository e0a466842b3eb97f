"""Variants: one scenario, many concrete incidents, drawn from a seed.

A scenario's strings may name its variables as Jinja expressions written ``${...}`` (so that YAML
reads them as plain text, in flow style too: ``{check: deployment-available, name: ${name}}``,
``count: ${replicas}``, ``title: ${name | capitalize} keeps restarting``), and its ``variants`` block
lists the values each variable may take::

    variables: {name: checkout, replicas: 2}          # the defaults (validation, `chaoskit show`)
    variants:  {name: [checkout, payments, basket], replicas: [2, 3]}

:func:`choose` draws one value per variable from a seed (the same seed, the same incident, so a
session, its self-test and its report agree); :func:`render_data` renders every string of the
scenario with those values. A string that is a single expression keeps its value's type
(``${replicas}`` is the integer 3), so counts and ports vary as well as names. Grading reads
the rendered scenario, so it is the same for every variant.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.nativetypes import NativeEnvironment

from chaoskit.errors import ConfigError

# ${...} for expressions; statements and comments get delimiters no scenario text contains by accident
_SYNTAX = {"variable_start_string": "${", "variable_end_string": "}", "block_start_string": "<%",
           "block_end_string": "%>", "comment_start_string": "<#", "comment_end_string": "#>"}


def typo(value: str) -> str:
    """A believable typo: two neighbouring letters swapped (web -> wbe), as people make them. The
    service-selector fault makes its typo this way, and scenarios name it as ``${name | typo}``."""
    if len(value) >= 3:
        return value[0] + value[2] + value[1] + value[3:]
    return value + "-v2"


_ENV = NativeEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, **_SYNTAX)  # type: ignore[arg-type]
_TEXT = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
                           **_SYNTAX)  # type: ignore[arg-type]
_ENV.filters["typo"] = _TEXT.filters["typo"] = typo
# Parts of a scenario that are not rendered: the manifests' own variables go to the templates as they are.
NOT_RENDERED = frozenset({"variables", "variants", "manifests"})
CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def choose(defaults: Mapping[str, Any], variants: Mapping[str, list[Any]], seed: int,
           salt: str = "") -> dict[str, Any]:
    """The variables of variant ``seed``: seed 0 is the defaults; any other seed draws each listed
    variable's value, independently per variable (adding a variable later reshuffles no other) and
    per ``salt`` (the scenario id: one seed gives different scenarios different names)."""
    values = dict(defaults)
    if seed == 0:
        return values
    for name in sorted(variants):
        rng = random.Random(f"{salt}:{seed}:{name}")
        values[name] = rng.choice(list(variants[name]))
    return values


class RenderError(ConfigError):
    """A scenario string names an undefined variable or is not a valid expression."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


def _render_string(text: str, variables: Mapping[str, Any], path: str) -> Any:
    if "${" not in text and "<%" not in text:
        return text
    try:
        stripped = text.strip()
        if stripped.startswith("${") and stripped.endswith("}") and stripped.count("${") == 1 \
                and stripped.count("}") == 1:
            return _ENV.from_string(stripped).render(**variables)
        return _TEXT.from_string(text).render(**variables)
    except jinja2.TemplateError as exc:
        raise RenderError(path, f"cannot render {text.strip()[:80]!r}: {exc}") from exc


def render_data(data: Any, variables: Mapping[str, Any], path: str = "",
                errors: list[RenderError] | None = None) -> Any:
    """``data`` with every string rendered (the top-level parts in :data:`NOT_RENDERED` are kept).
    With ``errors``, a string that fails is kept as written and its error collected; without, the
    first failure is raised."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            out[key] = value if not path and key in NOT_RENDERED else render_data(value, variables, child, errors)
        return out
    if isinstance(data, list):
        return [render_data(v, variables, f"{path}[{i}]", errors) for i, v in enumerate(data)]
    if isinstance(data, str):
        try:
            return _render_string(data, variables, path)
        except RenderError as exc:
            if errors is None:
                raise
            errors.append(exc)
            return data
    return data


def code_for(scenario_id: str, seed: int) -> str:
    """A neutral incident code for a variant (``INC-KQ7F``): names nothing, the same for the same
    scenario and seed, different across scenarios, so a trainee cannot read the answer from it."""
    digest = hashlib.sha256(f"chaoskit-incident:{scenario_id}:{seed}".encode()).digest()
    letters = "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:4])
    return f"INC-{letters}{digest[4] % 90 + 10}"
