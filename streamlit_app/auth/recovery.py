"""Password reset by a mailed link, password change, and the notice an owner gets when someone
signs up with their address.

The reset link signs (account id, stamp of the current password hash) and lives RESET_MAX_AGE:
once any password is set the stamp no longer matches, so a link works once, and an older link
dies with it. Before the new password is written, the use inserts a marker whose `_id` is the
link's digest: an insert is the one write FerretDB 1.24 makes atomic (its updates are not, see
rate_limits.py), so of two parallel uses of one link exactly one gets through. Opening a reset
link proves the mailbox, so it also confirms an unconfirmed account (dropping keywords someone
else may have queued at sign-up).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth.common import digest, now
from streamlit_app.auth.errors import AuthError
from streamlit_app.auth.passwords import (
    hash_password,
    password_matches,
    password_problems,
    password_stamp,
)
from streamlit_app.auth.signup import EXPIRES_FIELD
from streamlit_app.auth.tokens import Signer
from tweektrend_dagster.config import Settings

RESET_MAX_AGE = timedelta(minutes=30)
RESET_PARAM = "reset"
USED = "This reset link has been used already or is no longer valid. Ask for a new one below."


def login_url() -> str:
    return f"{Settings.from_env().public_url}/login"


def reset_link(token: str) -> str:
    """The reset link of a token: the login page, which shows the new-password form."""
    return f"{login_url()}?{RESET_PARAM}={token}"


def reset_mail(link: str) -> tuple[str, str]:
    minutes = int(RESET_MAX_AGE.total_seconds() // 60)
    body = (
        "Someone (hopefully you) asked to reset the password of your TweekTrend account.\n\n"
        f"Choose a new password here (the link works once, for {minutes} minutes):\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    return "Reset your TweekTrend password", body


def account_exists_mail(link: str) -> tuple[str, str]:
    """The mail an address's owner gets instead of an error when someone signs up with it."""
    minutes = int(RESET_MAX_AGE.total_seconds() // 60)
    body = (
        "Someone (hopefully you) just tried to sign up for TweekTrend with this address, "
        "which already has an account.\n\n"
        f"If it was you, log in here:\n\n{login_url()}\n\n"
        f"or, if you forgot your password, choose a new one (the link works once, for "
        f"{minutes} minutes):\n\n{link}\n\n"
        "If it was not you, ignore this mail: nothing has changed.\n"
    )
    return "Your TweekTrend account", body


def reset_token(signer: Signer, doc: dict[str, Any]) -> str:
    return signer.reset_token(doc["_id"], password_stamp(doc))


def reset_password(
    users: Collection,
    signer: Signer,
    token: str,
    new_password: str,
    used: Collection,
    max_age: timedelta = RESET_MAX_AGE,
) -> str:
    """Set the password of a reset link's account; returns the account id. AuthError when the
    link is bad, expired or used, or the password is weak (then the link still works)."""
    try:
        user_id, stamp = signer.reset_claims(token, max_age)
    except SignatureExpired as exc:
        raise AuthError("This reset link has expired. Ask for a new one below.") from exc
    except BadSignature as exc:
        raise AuthError("This reset link is not valid.") from exc
    doc = users.find_one({"_id": user_id})
    if doc is None or password_stamp(doc) != stamp:
        raise AuthError(USED)
    if problems := password_problems(new_password, doc["email"]):
        raise AuthError("Password too weak: " + " ".join(problems))
    update: dict[str, Any] = {
        "$set": {"password_hash": hash_password(new_password), "password_changed_at": now()}
    }
    if not doc.get("verified"):  # the mailbox is proven: confirm, and drop queued keywords
        update["$set"].update({"verified": True, "verified_at": now(), "pending_keywords": []})
        update["$unset"] = {EXPIRES_FIELD: ""}
    try:  # the link's one use (a marker that outlives the link; the TTL/purge removes it)
        used.insert_one(
            {
                "_id": f"reset-used:{digest(user_id, stamp)}",
                "key": "reset-used",
                "n": 0,
                "expires_at": now() + max(max_age, RESET_MAX_AGE),
            }
        )
    except DuplicateKeyError as exc:
        raise AuthError(USED) from exc  # a parallel use of the same link got there first
    users.update_one({"_id": user_id}, update)
    return user_id


def change_password(users: Collection, user_id: str, current: str, new_password: str) -> None:
    """Replace the password after checking the current one; AuthError when it does not match
    or the new one is weak."""
    doc = users.find_one({"_id": user_id})
    if doc is None or not password_matches(doc, current):
        raise AuthError("Your current password is not right.")
    if problems := password_problems(new_password, doc["email"]):
        raise AuthError("Password too weak: " + " ".join(problems))
    if password_matches(doc, new_password):
        raise AuthError("The new password is the same as the current one.")
    users.update_one(
        {"_id": user_id},
        {"$set": {"password_hash": hash_password(new_password), "password_changed_at": now()}},
    )
