"""Identity-provider logins (st.login): the rules of who gets in.

An identity is its issuer + subject (`identities.py`), never the e-mail alone. The provider
must say the e-mail is verified. A first login whose e-mail has no account creates a verified
account without a password. A login whose e-mail already has an account that this identity
does not open logs nobody in and changes nothing: the identity is linked only once the
account's owner proves it, by a single-use link mailed to the account's address (opened in the
browser that signed in with the provider) or by asking for it while logged in (Settings).

An unverified password account with that e-mail is not taken over: its password was set by
whoever signed up, never proven, so the mailed link replaces that account with a fresh one
for the identity (nothing the sign-up set survives); without the link it is left alone (and
expires as unverified sign-ups do).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth.common import digest, now
from streamlit_app.auth.errors import AuthError
from streamlit_app.auth.identities import (
    MAIL_LINK_MAX_AGE,
    Identity,
    IdentityStore,
    new_user_id,
)
from streamlit_app.auth.passwords import email_problem, normalize_email
from tweektrend_dagster.config import Settings

LINK_PARAM = "link_provider"
UNVERIFIED = (
    "Your identity provider has not confirmed that {email} is yours, so it cannot log you in "
    "here. Confirm the address with your provider, or sign up with a password."
)


@dataclass(frozen=True)
class ProviderClaims:
    """What a provider login says, checked: identity, verified e-mail, and a key naming this
    one login (its ID token's iat and nonce)."""

    identity: Identity
    email: str
    login_key: str

    @classmethod
    def parse(cls, info: Mapping[str, Any]) -> ProviderClaims:
        """The claims of st.user; AuthError when the identity or a verified e-mail is missing."""
        iss, sub = str(info.get("iss") or ""), str(info.get("sub") or "")
        if not iss or not sub:
            raise AuthError("Your identity provider did not say who you are (no iss or sub).")
        email = normalize_email(str(info.get("email") or ""))
        if not email:
            raise AuthError("Your identity provider did not share your e-mail address.")
        if problem := email_problem(email):
            raise AuthError(problem)
        verified = info.get("email_verified")
        # some providers send the claim as a string; anything else but true is a refusal
        if verified is not True and str(verified).lower() != "true":
            raise AuthError(UNVERIFIED.format(email=email))
        login_key = digest(iss, sub, str(info.get("iat") or ""), str(info.get("nonce") or ""))
        return cls(Identity(iss, sub), email, login_key)


class LinkNeeded(AuthError):
    """The e-mail belongs to an account this identity does not open. `token` is for a link
    mail to `email` (None: one was sent a few minutes ago)."""

    def __init__(self, email: str, token: str | None) -> None:
        self.email = email
        self.token = token
        when = "we have just mailed" if token else "we mailed a few minutes ago"
        super().__init__(
            f"An account with {email} already exists, and this identity is not linked to it, "
            "so you are not logged in. To use this identity with it, open the link "
            f"{when} to {email} in this browser, or log in the way you usually do and link "
            "your identity provider under Settings."
        )


def resolve(users: Collection, store: IdentityStore, claims: ProviderClaims) -> str:
    """The id of the account this provider login opens; creates one for a new e-mail.
    Raises LinkNeeded (with a mail token) when the e-mail has an account it does not open."""
    owner = store.owner(claims.identity)
    if owner is not None:
        return owner
    existing = users.find_one({"email": claims.email}, {"_id": 1})
    if existing is None:
        try:
            user_id = create_account(users, claims.email)
        except DuplicateKeyError:  # an account for the e-mail appeared meanwhile
            existing = users.find_one({"email": claims.email}, {"_id": 1})
        else:
            linked_to = store.link(claims.identity, user_id, claims.email)
            if linked_to != user_id:  # the same login raced us: keep the first account
                users.delete_one({"_id": user_id})
            return linked_to
    if existing is None:
        raise AuthError("Please try again.")  # created and deleted between two reads
    token = store.mail_link_token(existing["_id"], claims.identity, claims.email)
    raise LinkNeeded(claims.email, token)


def link_by_mail(
    users: Collection, store: IdentityStore, claims: ProviderClaims, token: str
) -> str:
    """Open a mailed link in the browser signed in as the identity that asked for it: link
    it to the account (an unverified one is replaced, see the module); returns the account id.
    AuthError when the link is bad, used, expired or meant for another identity."""
    doc = store.take_mail_link(token, claims.identity)
    account = users.find_one({"_id": doc["user_id"]})
    if account is None or account.get("email") != doc["email"]:
        raise AuthError("The account of this link no longer exists. Sign in again.")
    user_id = account["_id"]
    if not account.get("verified"):
        # the mail proved the address, not the sign-up's password: start afresh
        users.delete_one({"_id": user_id, "verified": False})
        user_id = create_account(users, doc["email"])
    linked_to = store.link(claims.identity, user_id, doc["email"])
    if linked_to != user_id:
        raise AuthError("This identity already opens another TweekTrend account.")
    return user_id


def link_to_session_user(store: IdentityStore, user_id: str, claims: ProviderClaims) -> None:
    """Link the identity a logged-in user came back with from the provider (Settings)."""
    if store.link(claims.identity, user_id, claims.email) != user_id:
        raise AuthError(
            "This identity already opens another TweekTrend account; it was not linked."
        )


def create_account(users: Collection, email: str) -> str:
    """A verified account without a password, for a provider-verified e-mail."""
    user_id = new_user_id()
    users.insert_one(
        {
            "_id": user_id,
            "email": email,
            "verified": True,
            "oidc": True,
            "created_at": now(),
            "verified_at": now(),
            "pending_keywords": [],
        }
    )
    return user_id


def link_url(token: str) -> str:
    """The mailed link of a token, under TWEEKTREND_PUBLIC_URL as it is now."""
    return f"{Settings.from_env().public_url}/?{LINK_PARAM}={token}"


def link_mail(link: str, issuer: str) -> tuple[str, str]:
    """The linking mail's (subject, body)."""
    minutes = int(MAIL_LINK_MAX_AGE.total_seconds() // 60)
    body = (
        "Someone signed in to TweekTrend through an identity provider with this e-mail "
        f"address ({issuer}).\n\n"
        "If that was you and you want to use it to log in to your account, open this link "
        f"in the same browser (valid for {minutes} minutes, once):\n\n"
        f"{link}\n\n"
        "If it was not you, ignore this mail: nothing changes and nobody is logged in.\n"
    )
    return "Link an identity provider to your TweekTrend account", body
