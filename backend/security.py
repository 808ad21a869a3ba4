"""Password hashing (argon2id) and API-key generation/hashing.

API keys are high-entropy random strings, so a fast keyed hash (HMAC-SHA256) is the right
storage; passwords are low-entropy and get argon2id.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

KEY_PREFIX = "rb_"
DISPLAY_PREFIX_LEN = 11  # "rb_" + 8 characters


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend comparable time so a missing account is not revealed by timing.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_api_key() -> tuple[str, str, str]:
    """Return (plaintext key, display prefix, hash). The plaintext is shown once."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:DISPLAY_PREFIX_LEN], hash_token(key)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy secret (API key, set-password token).

    Unkeyed on purpose: keys stay valid when SECRET_KEY rotates, and 256 bits of randomness
    leave nothing to brute-force.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def generate_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)
