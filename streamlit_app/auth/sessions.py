"""Server-side login sessions: a random id, signed into the cookie's token, stored only as its
sha256 in `sessions` (30 days), so a logout deletes it everywhere and the database holds no
token that would open a session."""

from __future__ import annotations

import secrets
from datetime import timedelta

from itsdangerous import BadSignature
from pymongo.collection import Collection

from streamlit_app.auth.common import as_utc, digest, now
from streamlit_app.auth.tokens import Signer
from streamlit_app.auth.users import User

SESSION_MAX_AGE = timedelta(days=30)


class SessionStore:
    def __init__(self, sessions: Collection, users: Collection, signer: Signer) -> None:
        self.sessions = sessions
        self.users = users
        self.signer = signer

    def open(self, user_id: str) -> str:
        """A new session of `user_id`; returns the token the browser keeps."""
        session_id = secrets.token_urlsafe(32)
        at = now()
        self.sessions.insert_one(
            {
                "_id": digest(session_id),
                "user_id": user_id,
                "created_at": at,
                "expires_at": at + SESSION_MAX_AGE,
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
        if doc is None or (as_utc(doc.get("expires_at")) or now()) <= now():
            return None
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
