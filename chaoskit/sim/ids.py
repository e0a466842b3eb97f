"""Seedable names and uids, so a run can be replayed exactly."""

from __future__ import annotations

import random
import uuid

# k8s.io/apimachinery/pkg/util/rand: no vowels and no confusable characters.
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: map each character onto the alphabet (used for pod-template-hash)."""
    return "".join(ALPHANUMS[ord(c) % len(ALPHANUMS)] for c in text)


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


class Ids:
    """Random names, uids and hex ids from one seeded generator."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(ALPHANUMS) for _ in range(n))

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))
