"""Size limits the API server's validation puts on objects (apimachinery and core validation).

* annotations: keys and values together at most 256 KiB (``TotalAnnotationSizeLimitB``), the
  limit ``kubectl apply`` runs into with its last-applied annotation;
* ConfigMaps: ``data`` plus ``binaryData`` at most 1 MiB, reported against the whole object
  (field path ``[]``);
* Secrets: ``data`` at most 1 MiB (``MaxSecretSize``).

Since v1.32 ``field.TooLong`` words these ``Too long: may not be more than N bytes``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from chaoskit.sim.objects import Obj

ANNOTATIONS_LIMIT = 256 * 1024
DATA_LIMIT = 1024 * 1024

Cause = tuple[str, str, str]


def too_long(field: str, limit: int) -> Cause:
    return ("FieldValueTooLong", field, f"Too long: may not be more than {limit} bytes")


def _secret_bytes(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=False))
    except (binascii.Error, ValueError):
        return len(str(value))


def causes(obj: Obj, kind: str) -> list[Cause]:
    found: list[Cause] = []
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if isinstance(annotations, dict) and \
            sum(len(str(k)) + len(str(v)) for k, v in annotations.items()) > ANNOTATIONS_LIMIT:
        found.append(too_long("metadata.annotations", ANNOTATIONS_LIMIT))
    if kind == "ConfigMap":
        data = obj.get("data") or {}
        binary = obj.get("binaryData") or {}
        total = sum(len(str(v).encode()) for v in data.values()) + sum(_secret_bytes(v) for v in binary.values())
        if total > DATA_LIMIT:
            found.append(too_long("[]", DATA_LIMIT))
    elif kind == "Secret":
        data = obj.get("data") or {}
        if sum(_secret_bytes(v) for v in data.values()) > DATA_LIMIT:
            found.append(too_long("data", DATA_LIMIT))
    return found
