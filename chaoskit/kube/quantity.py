"""Kubernetes resource quantities (``100Mi``, ``250m``, ``1.5``, ``1e3``).

:func:`parse_go` follows apimachinery's ``ParseQuantity`` scanner step by step, so a value the
API server takes is taken here and a refused one gets the same error (``quantities must match
the regular expression ...``, ``unable to parse quantity's suffix``). Values are clamped to what
an int64 of milli-units can hold, as the scheduler's ``MilliValue`` does, so ``1e999999999``
cannot make Python build a billion-digit integer.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

_SUFFIX = {
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
}


class QuantityError(ValueError):
    """A quantity that does not parse, worded as the API server words it."""


FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
SUFFIX_WRONG = "unable to parse quantity's suffix"
NUMERIC_WRONG = "unable to parse numeric part of quantity"
_DIGITS = "0123456789"
_INT64_MAX = Decimal(2**63 - 1)
_EXPONENT_LIMIT = 400  # beyond 10^±400 every quantity clamps anyway


def _scan(text: str) -> tuple[bool, str, str, str]:
    """parseQuantityString: (positive, numerator, denominator, suffix) or QuantityError."""
    positive, pos, end = True, 0, len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    if pos >= end:
        return positive, num, "", ""
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return positive, num, denom, ""
    suffix_start = pos
    while pos < end and text[pos] in "eEinumkKMGTP":
        pos += 1
    if pos >= end:
        return positive, num, denom, text[suffix_start:]
    if text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(FORMAT_WRONG)
    return positive, num, denom, text[suffix_start:]


def parse_go(text: str) -> Decimal:
    """resource.ParseQuantity on ``text``; its errors carry the API server's wording."""
    if not text:
        raise QuantityError(FORMAT_WRONG)
    positive, num, denom, suffix = _scan(text)
    if suffix in _SUFFIX:
        multiplier = _SUFFIX[suffix]
    elif len(suffix) > 1 and suffix[0] in "eE":
        try:
            exponent = int(suffix[1:])
        except ValueError:
            raise QuantityError(SUFFIX_WRONG) from None
        if not -(2**63) <= exponent < 2**63:
            raise QuantityError(SUFFIX_WRONG)
        exponent = max(-_EXPONENT_LIMIT, min(_EXPONENT_LIMIT, exponent))
        multiplier = Decimal(f"1e{exponent}")
    else:
        raise QuantityError(SUFFIX_WRONG)
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            amount = Decimal(f"{num}.{denom or '0'}") * multiplier
        except InvalidOperation:
            raise QuantityError(NUMERIC_WRONG) from None
    return amount if positive else -amount


def parse(value: object) -> Decimal:
    """The exact value of a quantity; raises :class:`QuantityError` with the API's wording."""
    if isinstance(value, bool) or value is None:
        raise QuantityError(FORMAT_WRONG)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError(FORMAT_WRONG)
        return Decimal(repr(value))
    return parse_go(str(value).strip())


def _clamped(amount: Decimal) -> int:
    """Round up to an integer within int64, as MilliValue/Value saturate."""
    if amount >= _INT64_MAX:
        return int(_INT64_MAX)
    if amount <= -_INT64_MAX:
        return -int(_INT64_MAX)
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def millicores(value: object) -> int:
    """CPU in millicores, rounded up as the scheduler rounds (MilliValue)."""
    return _clamped(parse(value) * 1000)


def bytes_of(value: object) -> int:
    return _clamped(parse(value))


def is_valid(value: object) -> bool:
    try:
        parse(value)
    except QuantityError:
        return False
    return True


def format_bytes(n: int) -> str:
    """Binary-SI canonical form when exact (``128Mi``), else plain bytes."""
    for suffix, size in (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30),
                         ("Mi", 2**20), ("Ki", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def format_millicores(m: int) -> str:
    return str(m // 1000) if m % 1000 == 0 else f"{m}m"
