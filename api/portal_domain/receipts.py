"""Receipt codes: short enough to read over the phone, unguessable, stable for a retry.

The code is an HMAC of the client's Idempotency-Key under a server secret, so a retry
with the same key names the same case (no separate idempotency item to write), while
nobody can derive a code without the secret. Alphabet: digits and capitals without the
look-alikes 0/O, 1/I/L. Eight characters: 31^8 ≈ 8.5 × 10^11 codes (see SECURITY.md).
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def receipt_for(secret: bytes, key: str, attempt: int = 0) -> str:
    digest = hmac.new(secret, f"{key}#{attempt}".encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:12], "big")
    chars = []
    for _ in range(LENGTH):
        n, r = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[r])
    code = "".join(chars)
    return f"{code[:4]}-{code[4:]}"


def normalise(text: str) -> str | None:
    """What an owner typed ('k7m4 qx9p', 'K7M4-QX9P') → canonical form, or None if impossible."""
    raw = "".join(ch for ch in text.upper() if ch not in " -")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
