"""Request bodies as kube-apiserver reads them: size limit, media type, JSON and YAML syntax.

Everything here answers the way the real server does, because kubectl and client libraries
print these messages to the user:

* bodies over 3 MiB (``--max-request-bytes``'s ``MaxRequestBodyBytes`` default) are refused with
  ``413 Request entity too large: limit is 3145728`` (handlers.limitedReadBody);
* a Content-Type the server has no serializer for is ``415 the body of the request was in an
  unknown format - accepted media types include: ...`` (negotiation.NegotiateInputSerializer);
  no Content-Type means JSON;
* a body that does not parse gets the decoder's error inside ``the object provided is
  unrecognized (must be of type Pod): <error> (<first 30 bytes>)`` (handlers.transformDecodeError),
  with Go's ``encoding/json`` syntax messages and its 10000-deep nesting limit (``exceeded max
  depth``);
* YAML goes through ``sigs.k8s.io/yaml``'s goyaml decoder, which refuses alias bombs with
  ``yaml: document contains excessive aliasing`` before expanding them. PyYAML shares aliased
  nodes instead of copying them, so the bomb is cheap to parse here and dangerous only to
  whatever walks it next: the same alias budget is checked on the composed node graph first.
"""

from __future__ import annotations

import binascii
import json
import re
from itertools import accumulate
from typing import Any

import yaml

from chaoskit.kube.status import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

MAX_BODY = 3 * 1024 * 1024          # genericapiserver.Config.MaxRequestBodyBytes
MAX_JSON_DEPTH = 10_000             # encoding/json scanner maxNestingDepth
JSON, YAML, PROTOBUF = "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"
MEDIA_TYPES = (JSON, YAML, PROTOBUF)
# goyaml.v2 decoder.go: past 400 000 decode operations the share that may come from aliases
# shrinks from 99 % to 10 % at 4 000 000.
ALIAS_LOW, ALIAS_HIGH = 400_000, 4_000_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DecodeError(Exception):
    """A decoder's own error text, before the handler wraps it for the kind it expected."""


def too_large() -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY}")


def media_type(content_type: str) -> str:
    """The serializer a Content-Type selects; an empty one is JSON, an unknown one a 415."""
    if not content_type.strip():
        return JSON
    base = content_type.split(";", 1)[0].strip().lower()
    if base in MEDIA_TYPES:
        return base
    raise UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                               + ", ".join(MEDIA_TYPES))


def summarize(body: bytes, limit: int = 30) -> str:
    """handlers.summarizeData: JSON objects as text, anything else as hex, cut at 30 bytes."""
    if not body:
        return "<empty>"
    if body[:1] == b"{":
        text = body[:limit].decode("utf-8", errors="replace")
        return text + " ..." if len(body) > limit else text
    return binascii.hexlify(body[:limit]).decode() + (" ..." if len(body) > limit else "")


def unrecognized(kind: str, error: str, body: bytes) -> BadRequest:
    return BadRequest(f"the object provided is unrecognized (must be of type {kind}): {error} ({summarize(body)})")


# ---------------------------------------------------------------------------- JSON


class GoFloat(float):
    """A JSON number with a fraction or exponent, remembering its text for Go's ``number 1.5`` messages."""

    text: str

    def __new__(cls, text: str) -> GoFloat:
        value = super().__new__(cls, text)
        value.text = text
        return value


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _quote_char(c: str) -> str:
    """encoding/json quoteChar."""
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    inner = json.dumps(c, ensure_ascii=False)[1:-1]
    return f"'{inner}'"


def _go_syntax(text: str, exc: json.JSONDecodeError) -> str:
    """encoding/json's SyntaxError text for the error Python's decoder found."""
    pos = exc.pos
    if pos >= len(text) or exc.msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    c = text[pos]
    msg = exc.msg
    if msg.startswith("Expecting value") or msg.startswith("Unexpected UTF-8 BOM"):
        return f"invalid character {_quote_char(c)} looking for beginning of value"
    if msg.startswith("Expecting property name"):
        return f"invalid character {_quote_char(c)} looking for beginning of object key string"
    if msg.startswith("Expecting ':'"):
        return f"invalid character {_quote_char(c)} after object key"
    if msg.startswith("Expecting ',' delimiter"):
        opener = _innermost_opener(text, pos)
        where = "after object key:value pair" if opener == "{" else "after array element"
        return f"invalid character {_quote_char(c)} {where}"
    if msg.startswith("Extra data"):
        return f"invalid character {_quote_char(c)} after top-level value"
    if msg.startswith("Invalid control character"):
        return f"invalid character {_quote_char(c)} in string literal"
    if msg.startswith("Invalid \\escape") or msg.startswith("Invalid \\u"):
        return f"invalid character {_quote_char(c)} in string escape code"
    return f"invalid character {_quote_char(c)} looking for beginning of value"


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _innermost_opener(text: str, pos: int) -> str:
    depth: list[str] = []
    for ch in _NOT_BRACKET.sub("", _STRING.sub("", text[:pos])):
        if ch in "[{":
            depth.append(ch)
        elif depth:
            depth.pop()
    return depth[-1] if depth else ""


def nesting_depth(text: str) -> int:
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if ch in "[{" else -1 for ch in brackets), default=0)


def parse_json(raw: bytes) -> Any:
    """json.Unmarshal's reading of a body: Go's syntax errors, NaN refused, invalid UTF-8 replaced."""
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text, parse_float=GoFloat, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DecodeError(_go_syntax(text, exc)) from None
    except ValueError as exc:  # NaN / Infinity, which Go's scanner does not know
        index = text.find(str(exc))
        raise DecodeError(f"invalid character {_quote_char(text[index] if index >= 0 else 'N')} looking for "
                          "beginning of value") from None
    except RecursionError:
        depth = nesting_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise DecodeError("exceeded max depth") from None
        raise DecodeError(f"nesting depth {depth} is beyond what the chaoskit simulator decodes") from None


# ---------------------------------------------------------------------------- YAML


class _YamlLoader(_Loader):  # type: ignore[misc,valid-type]
    """SafeLoader with goyaml.v2's scalars: timestamps stay strings, sets are maps of nulls."""


def _as_string(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _as_map_of_nulls(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {key: None for key in loader.construct_mapping(node)}  # type: ignore[arg-type]


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_string)
_YamlLoader.add_constructor("tag:yaml.org,2002:set", _as_map_of_nulls)


def _allowed_alias_ratio(decodes: int) -> float:
    if decodes <= ALIAS_LOW:
        return 0.99
    if decodes >= ALIAS_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decodes - ALIAS_LOW) / (ALIAS_HIGH - ALIAS_LOW)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_sizes(root: yaml.Node) -> dict[int, int]:
    """How many decode steps each node costs once aliases are expanded (iterative, memoized)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in size:
            continue
        kids = _children(node)
        if done:
            size[id(node)] = 1 + sum(size[id(k)] for k in kids)
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in size)
    return size


def check_aliases(root: yaml.Node) -> None:
    """goyaml.v2's excessive-aliasing rule, counted without expanding anything.

    PyYAML resolves ``*a`` to the anchored node itself, so a node met again in document order
    is an alias use: it costs its whole expanded size, all of it alias-driven.
    """
    size = _expanded_sizes(root)
    decodes = aliases = 0
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            decodes += 1 + size[id(node)]
            aliases += size[id(node)]
            if aliases > 100 and decodes > 1000 and aliases / decodes > _allowed_alias_ratio(decodes):
                raise DecodeError("yaml: document contains excessive aliasing")
            continue
        seen.add(id(node))
        decodes += 1
        stack.extend(reversed(_children(node)))


def parse_yaml(raw: bytes) -> Any:
    """sigs.k8s.io/yaml.YAMLToJSON's reading of a body, with goyaml's error wording."""
    try:
        loader = _YamlLoader(raw.decode("utf-8", errors="replace"))
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            check_aliases(root)
            data = loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise DecodeError(f"yaml: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise DecodeError(f"yaml: {str(exc).splitlines()[0] if str(exc) else 'invalid document'}") from None
    except RecursionError:
        raise DecodeError("yaml: exceeded max depth of 10000") from None
    return _jsonable(data)


def _go_float(value: float) -> Any:
    """How YAMLToJSON's json.Marshal writes a float64: integral values lose their fraction."""
    if value != value or value in (float("inf"), float("-inf")):
        raise DecodeError(f"json: unsupported value: {'NaN' if value != value else ('+Inf' if value > 0 else '-Inf')}")
    if value == int(value) and abs(value) < 1e21:
        return int(value)
    return value


def _key(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return json.dumps(_go_float(value))
    if isinstance(value, int):
        return str(value)
    raise DecodeError(f"yaml: invalid map key: {value!r}")


def _jsonable(data: Any) -> Any:
    """The JSON document YAMLToJSON produces (iterative: nesting is bounded only by libyaml's limit)."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, data)]
    while stack:
        parent, slot, value = stack.pop()
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            parent[slot] = out
            for k, v in value.items():
                key = _key(k)
                out[key] = None
                stack.append((out, key, v))
        elif isinstance(value, list | tuple):
            items: list[Any] = [None] * len(value)
            parent[slot] = items
            stack.extend((items, i, v) for i, v in enumerate(value))
        elif isinstance(value, float):
            parent[slot] = _go_float(value)
        elif isinstance(value, bytes):
            parent[slot] = value.decode("utf-8", errors="replace")
        else:
            parent[slot] = value
    return root[0]
