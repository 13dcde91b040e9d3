"""Phone numbers as personal data: normalised, sealed at rest, found by a keyed hash (HMAC, so
a dump of the hashes cannot be reversed by hashing every number), shown masked."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siyu import vault
from siyu.config import get_settings

_SEPARATORS = re.compile(r"[\s\-().]")
_MAINLAND = re.compile(r"1[3-9]\d{9}")
_INTERNATIONAL = re.compile(r"\+\d{8,15}")


class BadPhone(ValueError):
    """Not something a phone number could be."""


def normalise(raw: str) -> str:
    """``+86 138-0000-0000`` → ``13800000000``. Mainland mobiles lose the country code; other
    countries' numbers need theirs (``+852 5123 4567`` → ``+85251234567``)."""
    value = _SEPARATORS.sub("", raw.strip())
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and _MAINLAND.fullmatch(value[len(prefix) :]):
            value = value[len(prefix) :]
    if value.startswith("00"):
        value = "+" + value[2:]
    if _MAINLAND.fullmatch(value) or _INTERNATIONAL.fullmatch(value):
        return value
    raise BadPhone(raw)


@lru_cache(maxsize=4)
def _hash_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"siyu-phone-hash-v1").derive(
        secret_key.encode()
    )


def lookup_hash(phone: str) -> str:
    """The keyed hash of a normalised number, stored for lookups and de-duplication."""
    key = _hash_key(get_settings().secret_key)
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def masked(phone: str) -> str:
    """``13800001234`` → ``138****1234``."""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def seal(phone: str) -> str:
    return vault.seal(phone)


def unseal(sealed: str) -> str:
    return vault.unseal(sealed)
