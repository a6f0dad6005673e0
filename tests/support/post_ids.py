"""Post ids as each network makes them, from a creation time (the inverse of what
`ingest/deletions.id_time` reads), so tests can build posts whose ids tell their hour."""

from __future__ import annotations

from datetime import datetime

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TWITTER_EPOCH_MS = 1_288_834_974_657


def x_id(at: datetime, sequence: int = 0) -> str:
    """An X snowflake: milliseconds since X's epoch, 22 bits of worker and sequence."""
    return str(((int(at.timestamp() * 1000) - _TWITTER_EPOCH_MS) << 22) | sequence)


def mastodon_id(host: str, at: datetime, sequence: int = 0) -> str:
    """`host/<snowflake>`: Mastodon's ids are milliseconds << 16 | a sequence."""
    return f"{host}/{(int(at.timestamp() * 1000) << 16) | sequence}"


def bluesky_id(did: str, at: datetime, clock: int = 0) -> str:
    """`at://did/app.bsky.feed.post/<TID>`: microseconds << 10 | clock id, base32-sortable."""
    value = (int(at.timestamp() * 1_000_000) << 10) | clock
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return f"at://{did}/app.bsky.feed.post/{''.join(reversed(chars))}"
