"""Encryption at rest with the Fernet data keys (users' X keys): the first key encrypts, every
key decrypts, and opening a token says whether an older key was needed, so the caller can
re-encrypt it with the first and the old key can be retired."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from streamlit_app.auth.key_files import DATA_KEY_ENV


def data_cipher(keys: Sequence[str]) -> MultiFernet:
    """A MultiFernet over `keys`; ValueError naming the bad key's position, never its text."""
    if not keys:
        raise ValueError(f"No data encryption key: set {DATA_KEY_ENV}.")
    fernets = []
    for n, key in enumerate(keys, 1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # `from None`: the chained base64 error must not carry key material into a log
            raise ValueError(
                f"Data encryption key {n} of {len(keys)} ({DATA_KEY_ENV} or "
                "$TWEEKTREND_HOME/data_key) is not a Fernet key (32 url-safe base64 bytes; "
                "make one with Fernet.generate_key())."
            ) from None
    return MultiFernet(fernets)


class DataCipher:
    """Seals a mapping of strings into a Fernet token and opens it again. Without keys nothing
    can be sealed (RuntimeError) and every token is unreadable (InvalidToken)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._cipher = data_cipher(keys) if keys else None
        self._primary = Fernet(keys[0]) if keys else None

    def seal(self, value: dict[str, str]) -> str:
        if self._cipher is None:
            raise RuntimeError(f"No data encryption key configured ({DATA_KEY_ENV}).")
        return self._cipher.encrypt(json.dumps(value).encode()).decode()

    def unseal(self, token: str) -> tuple[dict[str, str], bool]:
        """Decrypt a stored token; also says whether an older (rotated-out) key made it."""
        if self._cipher is None or self._primary is None or not isinstance(token, str):
            raise InvalidToken
        data = token.encode()
        try:
            plain, old_key = self._primary.decrypt(data), False
        except InvalidToken:
            plain, old_key = self._cipher.decrypt(data), True
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise ValueError("stored X credentials are not a mapping")
        return value, old_key
