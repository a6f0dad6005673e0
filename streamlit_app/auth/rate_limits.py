"""Limits on logins, sign-ups and account mails, kept in `login_attempts` so that parallel
requests can never share a free slot, on MongoDB and on FerretDB 1.24 alike.

FerretDB 1.24 (SQLite) applies no update atomically: it reads the document, changes it and
writes it back outside a transaction (FerretDB issue #3040), so 20 parallel `$inc` of one
document leave it at 2 and a compare-and-set can be won by several (tried on the test stack).
The one write it does make atomic is an insert under a taken `_id` (DuplicateKeyError). So
every counter here is a run of small *ticket* documents, `{_id, key, n, …, expires_at}`:
- `LockRule` (the exponential lock): attempt n of a key inserts ticket `<key>#<n>`; two
  parallel attempts cannot both insert the same n, so the loser reads the winner's ticket
  (and its lock) and tries again. Each ticket carries the streak of attempts and the lock it
  sets: the attempt that reaches `free` locks the key for `base`, each further one twice as
  long (up to `cap`), and while locked nothing is checked at all. Attempts are counted
  *before* the password is checked. A success writes a ticket that forgets the pair and the
  account (the client only gets its attempt back: a sprayer could reset it with an account of
  its own). A key quiet for `memory` starts over.
- `WindowRule` (a cap per fixed window): a request inserts its ticket, then counts the
  window's tickets; above `limit` it is refused and its ticket removed. The last admitted
  request has counted every admitted one before it, so no more than `limit` are ever admitted.
Login attempts pass four: the whole site (`GLOBAL_LOGINS`), the client (`CLIENT`: one password
sprayed over many accounts), the account (`ACCOUNT`: one account attacked from many clients)
and the (account, client) pair (`PAIR`: a user's own typos, locked first and briefly). Unknown
e-mails count exactly like known ones, so no limit tells which addresses have accounts. The
numbers are far above what a person reaches by hand. Tickets expire by a TTL index on
`expires_at` (MongoDB) and a purge on use (FerretDB 1.x, see expiry.py).
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth import errors
from streamlit_app.auth.common import as_utc, digest, now
from streamlit_app.auth.errors import RateLimited
from streamlit_app.auth.expiry import Purge, ensure_ttl_index

TICKET_TRIES = 8  # parallel attempts on one key retry; beyond this the attempt is refused


@dataclass(frozen=True)
class LockRule:
    scope: str
    free: int  # attempts before the first lock
    base: timedelta  # the first lock; each further attempt doubles it
    cap: timedelta
    memory: timedelta  # a key quiet this long starts over
    message: str  # for RateLimited, with {wait}

    def lock_after(self, attempts: int) -> timedelta | None:
        """How long the key stays locked once `attempts` attempts are counted."""
        if attempts < self.free:
            return None
        return min(self.base * 2 ** (attempts - self.free), self.cap)


@dataclass(frozen=True)
class WindowRule:
    scope: str
    limit: int  # requests per window
    window: timedelta
    message: str


PAIR = LockRule(
    "pair", 3, timedelta(seconds=5), timedelta(minutes=15), timedelta(hours=1), errors.LOGIN_PAIR
)
ACCOUNT = LockRule(
    "account", 10, timedelta(seconds=5), timedelta(minutes=15), timedelta(hours=1),
    "Too many failed logins for this e-mail. Try again in {wait}.",
)
CLIENT = LockRule(
    "client", 20, timedelta(seconds=2), timedelta(minutes=15), timedelta(hours=1),
    "Too many failed logins from your network. Try again in {wait}.",
)
GLOBAL_LOGINS = WindowRule(
    "login-global", 600, timedelta(minutes=1),
    "Too many logins on the site right now. Try again in {wait}.",
)
SIGNUPS_PER_CLIENT = WindowRule(
    "signup-client", 10, timedelta(hours=1),
    "Too many sign-ups from your network. Try again in {wait}.",
)
MAILS_PER_ADDRESS = WindowRule(
    "mail-address", 5, timedelta(hours=1),
    "We have sent several mails to this address in the last hour. Check your inbox and spam "
    "folder, or try again in {wait}.",
)
MAILS_PER_CLIENT = WindowRule(
    "mail-client", 20, timedelta(hours=1),
    "Too many mails requested from your network. Try again in {wait}.",
)
MAILS_GLOBAL = WindowRule(
    "mail-global", 1000, timedelta(hours=1),
    "The site has sent too many mails this hour. Try again in {wait}.",
)


def counter_id(scope: str, *key: str) -> str:
    """A counter's `key`: its scope and a digest, so the collection lists no addresses."""
    return f"{scope}:{digest(*key)}"


def _later(expires_at: datetime, last: dict[str, Any] | None) -> datetime:
    """A new ticket never expires before the one it follows, so the newest is the last to go."""
    previous = as_utc(last.get("expires_at")) if last else None
    return max(expires_at, previous) if previous else expires_at


class Counters:
    """Both kinds of counter over one collection of tickets."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.purge = Purge(collection, lambda at: {"expires_at": {"$lte": at}})

    def ensure_indexes(self) -> bool:
        self.collection.create_index([("key", ASCENDING), ("n", DESCENDING)], name="key_n")
        return ensure_ttl_index(self.collection, "expires_at")

    def last(self, rule: LockRule, *key: str) -> dict[str, Any] | None:
        """The newest ticket of a lock key (None when it has none)."""
        return self.collection.find_one(
            {"key": counter_id(rule.scope, *key)}, sort=[("n", DESCENDING)]
        )

    def _take(self, key: str, n: int, fields: dict[str, Any]) -> bool:
        """Insert ticket n of `key`; False when a parallel request took that number first."""
        try:
            self.collection.insert_one({"_id": f"{key}#{n}", "key": key, "n": n, **fields})
        except DuplicateKeyError:
            return False
        return True

    # --- exponential locks -------------------------------------------------------------------
    def claim(self, rule: LockRule, *key: str) -> int:
        """Count one attempt on `key`, or raise RateLimited while it is locked; returns the
        attempt's ticket number (for `refund`)."""
        _key = counter_id(rule.scope, *key)
        for _ in range(TICKET_TRIES):
            at = now()
            last = self.last(rule, *key)
            live = last is not None and (as_utc(last.get("expires_at")) or at) > at
            if live:
                assert last is not None
                locked_until = as_utc(last.get("locked_until"))
                if locked_until is not None and locked_until > at:
                    raise RateLimited((locked_until - at).total_seconds(), rule.message)
            streak = (int(last.get("streak", 0)) if live and last else 0) + 1
            lock = rule.lock_after(streak)
            n = (int(last["n"]) if last else 0) + 1
            fields = {
                "streak": streak,
                "locked_until": at + lock if lock else None,
                "expires_at": _later(at + rule.memory + (lock or timedelta()), last),
            }
            if self._take(_key, n, fields):
                return n
            time.sleep(random.uniform(0, 0.005))  # lost the number to a parallel attempt
        raise RateLimited(1, rule.message)  # claimed by many at this very moment: refuse

    def locked_for(self, rule: LockRule, *key: str) -> float:
        """Seconds `key` stays locked (0 when it is not); reads only."""
        last = self.last(rule, *key) or {}
        locked_until = as_utc(last.get("locked_until"))
        at = now()
        return (locked_until - at).total_seconds() if locked_until and locked_until > at else 0.0

    def forget(self, rule: LockRule, *key: str) -> None:
        """Start the key over: a ticket with no streak and no lock."""
        self._settle(rule, key, lambda last, own: 0)

    def refund(self, rule: LockRule, own: int, *key: str) -> None:
        """Give back attempt `own` (it succeeded); the other attempts stay counted."""
        self._settle(rule, key, lambda last, _own: max(int(last.get("streak", 0)) - 1, 0), own)

    def _settle(self, rule: LockRule, key: tuple[str, ...], streak_of, own: int = 0) -> None:
        _key = counter_id(rule.scope, *key)
        for _ in range(TICKET_TRIES):
            at = now()
            last = self.last(rule, *key)
            if last is None or (as_utc(last.get("expires_at")) or at) <= at:
                return  # nothing live to forget
            streak = streak_of(last, own)
            # a lock set by someone else's attempt since ours stays
            keep = last.get("locked_until") if streak and last["n"] != own else None
            fields = {
                "streak": streak,
                "locked_until": keep,
                "expires_at": _later(at + rule.memory, last),
            }
            if self._take(_key, int(last["n"]) + 1, fields):
                return

    # --- fixed windows -----------------------------------------------------------------------
    def count(self, rule: WindowRule, *key: str) -> int:
        """Count one request in the current window, or raise RateLimited when the window has
        had `limit` already; returns how many the window holds with this one."""
        at = now()
        seconds = rule.window.total_seconds()
        start = int(at.timestamp() // seconds) * seconds
        end = datetime.fromtimestamp(start + seconds, at.tzinfo)
        _key = f"{counter_id(rule.scope, *key)}:{int(start)}"
        ticket = self.collection.insert_one(
            {"_id": secrets.token_hex(12), "key": _key, "n": 0, "expires_at": end}
        ).inserted_id
        held = self.collection.count_documents({"key": _key})
        if held > rule.limit:
            self.collection.delete_one({"_id": ticket})  # a refused request takes no slot
            raise RateLimited((end - at).total_seconds(), rule.message)
        return held


class LoginAttempts:
    """The login limits: `claim` before the password is checked, `succeeded` after a match."""

    def __init__(self, attempts: Collection) -> None:
        self.counters = Counters(attempts)

    def ensure_indexes(self) -> bool:
        return self.counters.ensure_indexes()

    def claim(self, email: str, client: str) -> int:
        """Count this attempt everywhere it counts, or raise RateLimited (the narrowest limit
        is tried last, so a refused sprayer costs its victims' accounts nothing). Returns the
        client ticket, for `succeeded`."""
        self.counters.purge()
        self.counters.count(GLOBAL_LOGINS, "site")
        ticket = self.counters.claim(CLIENT, client)
        self.counters.claim(ACCOUNT, email)
        self.counters.claim(PAIR, email, client)
        return ticket

    def check(self, email: str, client: str) -> None:
        """RateLimited while the account, the client or the pair is locked (reads only)."""
        for rule, key in ((CLIENT, (client,)), (ACCOUNT, (email,)), (PAIR, (email, client))):
            if wait := self.counters.locked_for(rule, *key):
                raise RateLimited(wait, rule.message)

    def succeeded(self, email: str, client: str, ticket: int = 0) -> None:
        """The password matched: the account's and the pair's failures are forgotten; the
        client only gets this attempt back (a sprayer's own account resets nothing)."""
        self.counters.forget(ACCOUNT, email)
        self.counters.forget(PAIR, email, client)
        self.counters.refund(CLIENT, ticket, client)


class MailLimits:
    """Sign-ups per client, and account mails (confirmation, reset, notices) per address, per
    client and for the whole site."""

    def __init__(self, attempts: Collection) -> None:
        self.counters = Counters(attempts)

    def sign_up(self, client: str) -> None:
        self.counters.purge()
        self.counters.count(SIGNUPS_PER_CLIENT, client)

    def mail(self, email: str, client: str) -> None:
        """Count one account mail to `email` asked for by `client`; RateLimited when over."""
        self.counters.purge()
        self.counters.count(MAILS_GLOBAL, "site")
        self.counters.count(MAILS_PER_CLIENT, client)
        self.counters.count(MAILS_PER_ADDRESS, email)
