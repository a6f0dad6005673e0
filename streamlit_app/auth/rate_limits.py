"""Failed logins per (e-mail, IP) in `login_attempts`: the first FREE_FAILURES cost nothing,
then each further failure locks that pair for LOCK_BASE · 2^(n − FREE_FAILURES), capped at
LOCK_MAX; a pair quiet for FAILURE_MEMORY starts over. Unknown e-mails count too, so the limit
reveals nothing about which addresses have accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.collection import Collection

from streamlit_app.auth.common import as_utc, digest, now
from streamlit_app.auth.errors import RateLimited
from streamlit_app.auth.passwords import normalize_email

FREE_FAILURES = 3
LOCK_BASE = timedelta(seconds=5)
LOCK_MAX = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=1)  # a pair that stayed quiet this long starts over


def attempt_key(email: str, ip: str) -> str:
    """The `_id` of a pair's document: a digest, so the collection lists no addresses."""
    return digest(email, ip)


class LoginAttempts:
    """The lock state of every (e-mail, IP) pair, over one collection."""

    def __init__(self, attempts: Collection) -> None:
        self.attempts = attempts

    def check(self, email: str, ip: str) -> None:
        """RateLimited while the pair is locked."""
        doc = self.attempts.find_one({"_id": attempt_key(normalize_email(email), ip)})
        locked_until = as_utc(doc.get("locked_until")) if doc else None
        if locked_until is not None and locked_until > now():
            raise RateLimited((locked_until - now()).total_seconds())

    def record_failure(self, email: str, ip: str) -> None:
        key = attempt_key(email, ip)
        at = now()
        doc = self.attempts.find_one({"_id": key}) or {}
        last = as_utc(doc.get("last_failure"))
        failures = int(doc.get("failures", 0))
        if last is None or at - last > FAILURE_MEMORY:
            failures = 0
        failures += 1
        update: dict[str, Any] = {"failures": failures, "last_failure": at, "locked_until": None}
        if failures >= FREE_FAILURES:
            delay = min(LOCK_BASE * 2 ** (failures - FREE_FAILURES), LOCK_MAX)
            update["locked_until"] = at + delay
        self.attempts.update_one({"_id": key}, {"$set": update}, upsert=True)

    def forget(self, email: str, ip: str) -> None:
        """A successful login clears the pair's failures."""
        self.attempts.delete_one({"_id": attempt_key(email, ip)})
