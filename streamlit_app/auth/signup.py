"""Sign-up and e-mail verification: the unverified account, the signed link and its mail, the
outbox record of each mail, and opening the link. Until the link is opened the account cannot
log in, and the keywords chosen meanwhile wait in `pending_keywords`."""

from __future__ import annotations

import uuid
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth.common import now
from streamlit_app.auth.errors import AuthError
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
_TAKEN = "An account with this e-mail already exists. Log in instead."


def create_account(users: Collection, raw_email: str, password: str) -> User:
    """An unverified account; AuthError for a bad e-mail, a weak password or an e-mail that
    already has an account."""
    email = normalize_email(raw_email)
    if problem := email_problem(email):
        raise AuthError(problem)
    if problems := password_problems(password, email):
        raise AuthError("Password too weak: " + " ".join(problems))
    if users.find_one({"email": email}, {"_id": 1}) is not None:
        raise AuthError(_TAKEN)
    doc = {
        "_id": uuid.uuid4().hex,
        "email": email,
        "password_hash": hash_password(password),
        "verified": False,
        "created_at": now(),
        "pending_keywords": [],
    }
    try:
        users.insert_one(doc)
    except DuplicateKeyError as exc:  # two sign-ups raced past the find above
        raise AuthError(_TAKEN) from exc
    return User.from_doc(doc)


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
    if not doc.get("verified"):
        users.update_one({"_id": doc["_id"]}, {"$set": {"verified": True, "verified_at": now()}})
        doc["verified"] = True
    return User.from_doc(doc)
