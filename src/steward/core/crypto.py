"""Small symmetric encryption helper for secrets at rest (e.g. TOTP seeds).

AES-256-GCM with a key derived from the install's secret key; the associated data binds a
ciphertext to its purpose and row so it cannot be moved elsewhere.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"


def _key(purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"steward:{purpose}".encode()).derive(
        settings.SECRET_KEY.encode()
    )


def encrypt(plaintext: str, *, purpose: str, context: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(purpose)).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, purpose: str, context: str) -> str:
    version, _, body = token.partition(":")
    if version != VERSION:
        raise ValueError("unknown ciphertext version")
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(_key(purpose)).decrypt(raw[:12], raw[12:], context.encode()).decode()
