"""Sign-up and e-mail verification: the unverified account, the signed link and its mail, the
outbox record of each mail, and opening the link. Until the link is opened the account cannot
log in, and the keywords chosen meanwhile wait in `pending_keywords`.

A sign-up never tells whether the address has an account: `register` answers the same either
way and hands back the mail to send (the confirmation, or a notice to the owner). An
unverified sign-up expires with its link (`unverified_expires_at`, UNVERIFIED_TTL): a TTL
index removes it on MongoDB, `purge_unverified` on FerretDB 1.x, and a new sign-up of the
address replaces it in any case, so nobody can squat an address they cannot read mail at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth.common import as_utc, now
from streamlit_app.auth.errors import AuthError
from streamlit_app.auth.expiry import ensure_ttl_index
from streamlit_app.auth.passwords import (
    email_problem,
    hash_password,
    normalize_email,
    password_problems,
)
from streamlit_app.auth.tokens import Signer
from streamlit_app.auth.users import User
from tweektrend_dagster.config import Settings

VERIFY_MAX_AGE = timedelta(hours=24)
UNVERIFIED_TTL = VERIFY_MAX_AGE  # an unverified sign-up lives as long as its link
EXPIRES_FIELD = "unverified_expires_at"
_TAKEN = "An account with this e-mail already exists. Log in instead."


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did, for the page to mail: `user_id` only for a new account (to queue
    its keywords); the page shows the same either way."""

    user_id: str | None
    email: str
    subject: str
    body: str
    kind: str  # "verify" (a new account) or "exists" (a notice to the owner)


def unverified_expired(doc: dict[str, Any], at: datetime) -> bool:
    """Whether `doc` is an unverified sign-up past its time (older ones: by created_at)."""
    if doc.get("verified"):
        return False
    ends = as_utc(doc.get(EXPIRES_FIELD))
    if ends is None:
        ends = (as_utc(doc.get("created_at")) or at) + UNVERIFIED_TTL
    return ends <= at


def expired_unverified_query(at: datetime) -> dict[str, Any]:
    return {"verified": False, EXPIRES_FIELD: {"$lte": at}}


def ensure_indexes(users: Collection) -> bool:
    """The TTL index that removes expired unverified sign-ups (never a verified account)."""
    return ensure_ttl_index(users, EXPIRES_FIELD, partial={"verified": False})


def validate(raw_email: str, password: str) -> str:
    """The normalised address; AuthError for a bad e-mail or a weak password."""
    email = normalize_email(raw_email)
    if problem := email_problem(email):
        raise AuthError(problem)
    if problems := password_problems(password, email):
        raise AuthError("Password too weak: " + " ".join(problems))
    return email


def register(
    users: Collection, raw_email: str, password: str
) -> tuple[User | None, dict[str, Any] | None]:
    """(the new unverified account, None), or (None, the account the address already has).
    AuthError for a bad e-mail or a weak password. The password is hashed either way, so
    both answers cost the same; an expired unverified sign-up is replaced."""
    email = validate(raw_email, password)
    password_hash = hash_password(password)
    at = now()
    existing = users.find_one({"email": email})
    if existing is not None and unverified_expired(existing, at):
        users.delete_one({"_id": existing["_id"], "verified": {"$ne": True}})
        existing = None
    if existing is not None:
        return None, existing
    doc = {
        "_id": uuid.uuid4().hex,
        "email": email,
        "password_hash": password_hash,
        "verified": False,
        "created_at": at,
        EXPIRES_FIELD: at + UNVERIFIED_TTL,
        "pending_keywords": [],
    }
    try:
        users.insert_one(doc)
    except DuplicateKeyError:  # two sign-ups raced past the find above
        return None, users.find_one({"email": email})
    return User.from_doc(doc), None


def create_account(users: Collection, raw_email: str, password: str) -> User:
    """An unverified account; AuthError for a bad e-mail, a weak password or an e-mail that
    already has an account (for tests and tools: the pages use `register`)."""
    user, _existing = register(users, raw_email, password)
    if user is None:
        raise AuthError(_TAKEN)
    return user


def verification_link(token: str) -> str:
    """The link of a verification token, under TWEEKTREND_PUBLIC_URL as it is now."""
    return f"{Settings.from_env().public_url}/?verify={token}"


def verification_mail(link: str) -> tuple[str, str]:
    """The confirmation mail's (subject, body)."""
    hours = int(VERIFY_MAX_AGE.total_seconds() // 3600)
    body = (
        "Welcome to TweekTrend!\n\n"
        f"Confirm your e-mail address by opening this link (valid for {hours} hours):\n\n"
        f"{link}\n\n"
        "If you did not sign up, ignore this mail.\n"
    )
    return "Confirm your TweekTrend account", body


def record_mail(outbox: Collection, to: str, subject: str, kind: str, error: str | None) -> None:
    outbox.insert_one(
        {
            "to": to,
            "subject": subject,
            "kind": kind,
            "created_at": now(),
            "sent": error is None,
            "error": error,
        }
    )


def verify_email(
    users: Collection, signer: Signer, token: str, max_age: timedelta = VERIFY_MAX_AGE
) -> User:
    """Mark the account of a verification link verified; AuthError when the link is bad."""
    try:
        email = signer.verified_email(token, max_age)
    except SignatureExpired as exc:
        raise AuthError("This verification link has expired. Log in to get a new one.") from exc
    except BadSignature as exc:
        raise AuthError("This verification link is not valid.") from exc
    doc = users.find_one({"email": email})
    if doc is None:
        raise AuthError("This verification link belongs to no account.")
    if unverified_expired(doc, now()):
        raise AuthError("This sign-up has expired. Please sign up again.")
    if not doc.get("verified"):
        users.update_one(
            {"_id": doc["_id"]},
            {"$set": {"verified": True, "verified_at": now()}, "$unset": {EXPIRES_FIELD: ""}},
        )
        doc["verified"] = True
    return User.from_doc(doc)
