"""Where identity-provider logins are kept: which account an issuer + subject opens, the pending
proofs that link one to an account, and which provider logins have already opened a session.

Collections (one document per identity: FerretDB 1.24 neither enforces a unique index on array
subfields nor runs $elemMatch on them, so the (iss, sub) pair is the document's _id):
- `identities`:      {_id: sha256(iss|sub), iss, sub, user_id, email, linked_at}
- `provider_links`:  {_id: sha256(secret), kind: "mail" | "session", user_id, iss, sub,
                      email, created_at, expires_at}; deleted when used, so each works once
- `provider_logins`: {_id: sha256(iss|sub|iat|nonce), user_id, at, expires_at}; a provider
                      login opens one session only, so a session ended elsewhere stays ended
Expired documents are deleted as new ones are written (FerretDB 1.x has no TTL indexes).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pymongo
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth.common import as_utc, digest, now
from streamlit_app.auth.errors import AuthError

IDENTITIES = "identities"
PROVIDER_LINKS = "provider_links"
PROVIDER_LOGINS = "provider_logins"
LINK_SALT = "link-provider"
MAIL_LINK_MAX_AGE = timedelta(hours=1)
MAIL_LINK_EVERY = timedelta(minutes=10)  # one link mail per account and identity meanwhile
MAIL_LINKS_PER_HOUR = 3  # per account, whatever the identities: many subjects mail no flood
SESSION_LINK_MAX_AGE = timedelta(minutes=10)  # Settings' "link" click to the provider's answer
# longer than Streamlit's identity cookie (30 days), which could otherwise log in again
LOGIN_MEMORY = timedelta(days=31)


@dataclass(frozen=True)
class Identity:
    """An account at an identity provider: its issuer and its subject (never the e-mail, which
    the provider may let anyone claim or reassign)."""

    iss: str
    sub: str

    @property
    def key(self) -> str:
        return digest(self.iss, self.sub)


class IdentityStore:
    def __init__(self, db: Database, secret: str) -> None:
        self.identities = db[IDENTITIES]
        self.links = db[PROVIDER_LINKS]
        self.logins = db[PROVIDER_LOGINS]
        self._serializer = URLSafeTimedSerializer(secret)

    def ensure_indexes(self) -> None:
        self.identities.create_index([("user_id", pymongo.ASCENDING)], name="user_id")
        self.links.create_index([("user_id", pymongo.ASCENDING)], name="user_id")
        for collection in (self.links, self.logins):
            collection.create_index([("expires_at", pymongo.ASCENDING)], name="expires_at")

    # --- linked identities ----------------------------------------------------------------
    def owner(self, identity: Identity) -> str | None:
        doc = self.identities.find_one({"_id": identity.key}, {"user_id": 1})
        return doc["user_id"] if doc else None

    def link(self, identity: Identity, user_id: str, email: str) -> str:
        """Link `identity` to `user_id` unless it already opens an account; returns the id of
        the account it opens now (another one when it was linked before)."""
        doc = {
            "_id": identity.key,
            "iss": identity.iss,
            "sub": identity.sub,
            "user_id": user_id,
            "email": email,
            "linked_at": now(),
        }
        try:
            self.identities.insert_one(doc)
        except DuplicateKeyError:
            return self.owner(identity) or user_id
        return user_id

    def linked(self, user_id: str) -> list[dict]:
        """The identities that open `user_id`, oldest first: {key, iss, email, linked_at}."""
        docs = self.identities.find({"user_id": user_id}, {"sub": 0, "user_id": 0})
        found = [{"key": d.pop("_id"), **d} for d in docs]
        return sorted(found, key=lambda d: as_utc(d.get("linked_at")) or now())

    def unlink(self, user_id: str, key: str) -> bool:
        """Remove the identity `key` from `user_id` (never another account's)."""
        return self.identities.delete_one({"_id": key, "user_id": user_id}).deleted_count == 1

    # --- each provider login opens one session ------------------------------------------------
    def login_used(self, login_key: str) -> bool:
        return self.logins.find_one({"_id": login_key}, {"_id": 1}) is not None

    def use_login(self, login_key: str, user_id: str) -> bool:
        """Record that this provider login opened a session; False when it already had."""
        at = now()
        self.logins.delete_many({"expires_at": {"$lt": at}})
        doc = {"_id": login_key, "user_id": user_id, "at": at, "expires_at": at + LOGIN_MEMORY}
        try:
            self.logins.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    # --- proof by a mailed link -----------------------------------------------------------
    def mail_link_token(self, user_id: str, identity: Identity, email: str) -> str | None:
        """A single-use token linking `identity` to `user_id`, for a mail to `email`; None
        (no mail) when one was made for the same pair less than MAIL_LINK_EVERY ago, or the
        account had MAIL_LINKS_PER_HOUR in the last hour."""
        at = now()
        self.links.delete_many({"expires_at": {"$lt": at}})
        mine = {"kind": "mail", "user_id": user_id}
        same = {**mine, "iss": identity.iss, "sub": identity.sub}
        if self.links.find_one({**same, "created_at": {"$gt": at - MAIL_LINK_EVERY}}, {"_id": 1}):
            return None
        hour = {**mine, "created_at": {"$gt": at - timedelta(hours=1)}}
        if self.links.count_documents(hour) >= MAIL_LINKS_PER_HOUR:
            return None
        secret = secrets.token_urlsafe(24)
        self.links.insert_one(
            {
                "_id": digest(secret),
                "kind": "mail",
                "user_id": user_id,
                "iss": identity.iss,
                "sub": identity.sub,
                "email": email,
                "created_at": at,
                "expires_at": at + MAIL_LINK_MAX_AGE,
            }
        )
        return self._serializer.dumps(secret, salt=LINK_SALT)

    def take_mail_link(
        self, token: str, identity: Identity, max_age: timedelta = MAIL_LINK_MAX_AGE
    ) -> dict:
        """The link document of a mailed token, deleted so it works once; only in a browser
        signed in as the identity that asked for it. AuthError when it cannot be used."""
        try:
            secret = self._serializer.loads(
                token, salt=LINK_SALT, max_age=int(max_age.total_seconds())
            )
        except SignatureExpired as exc:
            raise AuthError("This link has expired. Sign in with your provider again.") from exc
        except BadSignature as exc:
            raise AuthError("This link is not valid.") from exc
        key = digest(secret)
        doc = self.links.find_one({"_id": key, "kind": "mail"})
        if doc is None:
            raise AuthError("This link has already been used.")
        if (doc["iss"], doc["sub"]) != (identity.iss, identity.sub):
            raise AuthError(
                "Open this link in the browser where you signed in with your identity provider, "
                "signed in as the same identity."
            )
        if self.links.delete_one({"_id": key}).deleted_count != 1:
            raise AuthError("This link has already been used.")  # opened twice at once
        return doc

    # --- proof by being logged in (Settings) ----------------------------------------------
    def begin_session_link(self, user_id: str, session_token: str) -> None:
        """Remember, across the provider's redirect, that this logged-in session asked to link
        the identity it comes back with."""
        at = now()
        self.links.replace_one(
            {"_id": digest(session_token)},
            {
                "kind": "session",
                "user_id": user_id,
                "created_at": at,
                "expires_at": at + SESSION_LINK_MAX_AGE,
            },
            upsert=True,
        )

    def take_session_link(self, user_id: str, session_token: str) -> bool:
        """Whether this session asked to link a provider in the last SESSION_LINK_MAX_AGE;
        the request is used up either way."""
        query = {"_id": digest(session_token), "kind": "session", "user_id": user_id}
        doc = self.links.find_one(query)
        if doc is None or self.links.delete_one(query).deleted_count != 1:
            return False
        return (as_utc(doc.get("expires_at")) or now()) > now()


def new_user_id() -> str:
    return uuid.uuid4().hex
