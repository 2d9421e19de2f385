"""Encryption at rest for the words people write (every sealed column, models/sealed.py).

Keys come from ``TEND_ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest first) or,
failing that, from ``<data_dir>/tend.key``, created on first run with owner-only
permissions. Rotation: put a new key first and keep the old ones after it; everything
stays readable, new writes use the new key, and ``tend rotate-keys`` re-encrypts old rows
so the old keys can then be removed. ``tend run`` refuses to start when its keys can't read
what is already stored (bot/sealing.py ``verify_keys``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS_ENV = "TEND_ENCRYPTION_KEYS"
KEY_FILE = "tend.key"


class EncryptionKeyError(Exception):
    """The encryption keys are missing or malformed; the message says how to fix it."""


class Cipher:
    def __init__(self, keys: list[bytes]):
        if not keys:
            raise EncryptionKeyError("no encryption key given")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise EncryptionKeyError(
                "an encryption key is not a valid Fernet key (make one with: "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
            ) from None

    @staticmethod
    def generate_key() -> bytes:
        return Fernet.generate_key()

    def encrypt(self, text: str | None) -> bytes | None:
        return None if text is None else self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise EncryptionKeyError(
                "stored text can't be decrypted with the configured keys (a key was removed?)"
            ) from None

    def encrypt_json(self, value: Mapping[str, Any] | None) -> bytes | None:
        return None if value is None else self.encrypt(json.dumps(value, ensure_ascii=False))

    def decrypt_json(self, token: bytes | None) -> dict[str, Any] | None:
        text = self.decrypt(token)
        return None if text is None else json.loads(text)

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt ``token`` with the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise EncryptionKeyError(
                "stored text can't be decrypted with any of the configured keys (a key was removed?)"
            ) from None


def key_source(data_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """Where ``load_cipher`` takes the keys from, for messages people act on."""
    env = os.environ if environ is None else environ
    return KEYS_ENV if env.get(KEYS_ENV) else str(data_dir / KEY_FILE)


def load_cipher(data_dir: Path, environ: Mapping[str, str] | None = None, *, create: bool = True) -> Cipher:
    """The configured keys; with ``create``, a first run makes the key file."""
    env = os.environ if environ is None else environ
    if env.get(KEYS_ENV):
        return Cipher([k.strip().encode() for k in env[KEYS_ENV].split(",") if k.strip()])
    path = data_dir / KEY_FILE
    if not path.exists() and not create:
        # Text is already stored, so a key wrote it: a new one would make it unreadable.
        raise EncryptionKeyError(f"no encryption key: set {KEYS_ENV} or restore {path}")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Create with owner-only permissions from the start; never widen an existing file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
    keys = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
    return Cipher(keys)
