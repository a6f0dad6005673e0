"""Server-side login sessions: a random id, signed into the cookie's token, stored only as its
sha256 in `sessions`, so a logout deletes it everywhere and the database holds no token that
would open a session. A session ends 30 days after login, or once unused for `idle`
(TWEEKTREND_SESSION_IDLE_HOURS): `last_seen` is written at most every few minutes, and
`expires_at` (the earlier of the two ends) carries a TTL index; FerretDB 1.x has none, so
expired sessions are also purged at login (expiry.py), and reads check the times themselves."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature
from pymongo.collection import Collection

from streamlit_app.auth.common import as_utc, digest, now
from streamlit_app.auth.expiry import Purge, ensure_ttl_index
from streamlit_app.auth.tokens import Signer
from streamlit_app.auth.users import User

SESSION_MAX_AGE = timedelta(days=30)
SESSION_IDLE = timedelta(hours=24)
TOUCH_EVERY = timedelta(minutes=5)  # last_seen is written at most this often (fewer writes)


class SessionStore:
    def __init__(
        self,
        sessions: Collection,
        users: Collection,
        signer: Signer,
        idle: timedelta = SESSION_IDLE,
    ) -> None:
        self.sessions = sessions
        self.users = users
        self.signer = signer
        self.idle = idle
        self.touch_every = min(TOUCH_EVERY, idle / 10)
        self.purge = Purge(sessions, lambda at: {"expires_at": {"$lte": at}})

    def ensure_indexes(self) -> bool:
        return ensure_ttl_index(self.sessions, "expires_at")

    def _ends_at(self, created_at: datetime, last_seen: datetime) -> datetime:
        return min(created_at + SESSION_MAX_AGE, last_seen + self.idle)

    def open(self, user_id: str) -> str:
        """A new session of `user_id`; returns the token the browser keeps."""
        self.purge()
        session_id = secrets.token_urlsafe(32)
        at = now()
        self.sessions.insert_one(
            {
                "_id": digest(session_id),
                "user_id": user_id,
                "created_at": at,
                "expires_at": self._ends_at(at, at),
                "last_seen": at,
            }
        )
        return self.signer.session_token(session_id)

    def user(self, token: str | None) -> User | None:
        """The user of a session token, or None when it is forged, expired or logged out."""
        if not token:
            return None
        try:
            session_id = self.signer.session_id(token, SESSION_MAX_AGE)
        except BadSignature:
            return None
        doc = self.sessions.find_one({"_id": digest(session_id)})
        if doc is None:
            return None
        at = now()
        created_at = as_utc(doc.get("created_at")) or at
        last_seen = as_utc(doc.get("last_seen")) or created_at
        expires_at = as_utc(doc.get("expires_at")) or at
        if min(expires_at, self._ends_at(created_at, last_seen)) <= at:
            self.sessions.delete_one({"_id": doc["_id"]})  # idle or too old: it ends now
            return None
        if at - last_seen >= self.touch_every:
            self.sessions.update_one(
                {"_id": doc["_id"]},
                {"$set": {"last_seen": at, "expires_at": self._ends_at(created_at, at)}},
            )
        user = self.users.find_one({"_id": doc["user_id"]})
        if user is None or not user.get("verified"):
            return None
        return User.from_doc(user)

    def close(self, token: str | None) -> None:
        """Log out: the session is deleted server-side (a bad token changes nothing)."""
        if not token:
            return
        try:
            session_id = self.signer.session_id(token)
        except BadSignature:
            return
        self.sessions.delete_one({"_id": digest(session_id)})

    def end_others(self, user_id: str, keep_token: str | None = None) -> int:
        """End every session of `user_id` except the one of `keep_token` (all of them without
        one), e.g. once a provider is linked; returns how many ended."""
        query: dict = {"user_id": user_id}
        try:
            if keep_token:
                query["_id"] = {"$ne": digest(self.signer.session_id(keep_token))}
        except BadSignature:
            pass  # a bad token keeps nothing
        return self.sessions.delete_many(query).deleted_count
