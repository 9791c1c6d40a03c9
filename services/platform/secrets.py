"""Secret settings (the SMTP password, later SMS keys): never stored in plain text.

A secret is read from its environment variable when that is set (``VERKSTAD_SMTP_PASSWORD``),
else from the settings table, where it is kept encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from ``cryptography``) under a key derived from the app's SECRET_KEY with HKDF.
A stored secret is the JSON object ``{"fernet": "<token>"}``; a plain string found there (a
value from before migration 0009, or written by an older process) is still read, and is
encrypted on that first read. A changed SECRET_KEY makes a stored secret unreadable: it then
reads as empty, and the settings page asks for it again."""
from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# setting key -> the environment variable that overrides it
SECRET_SETTINGS = {"sales.smtp_password": "VERKSTAD_SMTP_PASSWORD"}
_INFO = b"verkstad settings secrets v1"


def fernet(secret_key: str | bytes) -> Fernet:
    """The Fernet of this SECRET_KEY (HKDF-SHA256: the same key gives the same Fernet)."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    if not raw:
        raise ValueError("SECRET_KEY is empty")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw)
    return Fernet(base64.urlsafe_b64encode(key))


def is_encrypted(stored) -> bool:
    return isinstance(stored, dict) and isinstance(stored.get("fernet"), str)


def encrypt(value: str, secret_key: str | bytes) -> dict:
    """What the settings table keeps for a secret ``value`` (an empty value: empty)."""
    return {"fernet": fernet(secret_key).encrypt((value or "").encode()).decode()}


def decrypt(stored, secret_key: str | bytes) -> str | None:
    """The plain secret of a stored value; None when it cannot be read (another SECRET_KEY,
    a damaged token). A plain string (not migrated yet) is returned as it is."""
    if stored is None or stored == "":
        return ""
    if not is_encrypted(stored):
        return str(stored)
    try:
        return fernet(secret_key).decrypt(stored["fernet"].encode()).decode()
    except (InvalidToken, ValueError):
        return None


def from_environment(key: str) -> str | None:
    """The secret given in the environment (wins over the stored one), or None."""
    name = SECRET_SETTINGS.get(key)
    value = os.environ.get(name) if name else None
    return value if value else None
