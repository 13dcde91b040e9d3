"""Secrets at rest: WeCom secrets, callback keys, access tokens (and later phone numbers) are
sealed with a key derived from ``SIYU_SECRET_KEY``; a database dump alone reveals none of them."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siyu.config import get_settings


class VaultError(Exception):
    """A sealed value could not be opened: the secret key changed or the value was altered."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"siyu-vault-v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(plain: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet(get_settings().secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise VaultError(
            "a sealed secret could not be opened: was SIYU_SECRET_KEY changed?"
        ) from None


def mask(plain: str, shown: int = 4) -> str:
    """``abcdefgh12345678`` → ``••••••••5678``: enough to tell secrets apart."""
    if len(plain) <= shown:
        return "•" * len(plain)
    return "•" * min(len(plain) - shown, 8) + plain[-shown:]
