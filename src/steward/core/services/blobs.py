"""A content-addressed file store under the data directory (attachments, raw e-mail).

Files are named by their SHA-256, written to a temporary name and renamed into place, so a
crash never leaves a half-written blob under a real name, and storing the same bytes twice
costs nothing. The database keeps only the digest.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def root() -> Path:
    return Path(getattr(settings, "BLOB_DIR", settings.DATA_DIR / "blobs"))


def path_for(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 digest")
    return root() / sha256[:2] / sha256[2:4] / sha256


def put(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def read(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()


def exists(sha256: str) -> bool:
    try:
        return path_for(sha256).exists()
    except ValueError:
        return False
