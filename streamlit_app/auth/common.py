"""Clock and digest helpers the account modules share: aware UTC times (FerretDB hands back
naive ones) and the sha256 under which session ids and (e-mail, IP) pairs are stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (Mongo drivers may return it naive)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
