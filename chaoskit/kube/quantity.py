"""Kubernetes resource quantities (``100Mi``, ``250m``, ``1.5``, ``1e3``)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIX = {
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
}
_RE = re.compile(r"^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$")


class QuantityError(ValueError):
    """A quantity that does not parse, worded as the API server words it."""


def parse(value: object) -> Decimal:
    """The exact value of a quantity; raises :class:`QuantityError` with the API's wording."""
    if isinstance(value, bool):
        raise QuantityError("quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip()
    match = _RE.match(text)
    if not match or text.count(".") > 1:
        raise QuantityError("quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    try:
        number = Decimal(match.group(1))
    except InvalidOperation as exc:
        raise QuantityError(str(exc)) from exc
    if match.group(2):
        return number * (Decimal(10) ** int(match.group(2)[1:]))
    return number * _SUFFIX[match.group(3) or ""]


def millicores(value: object) -> int:
    """CPU in millicores, rounded up as the scheduler rounds (MilliValue)."""
    amount = parse(value) * 1000
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def bytes_of(value: object) -> int:
    amount = parse(value)
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


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
