"""`Accounts`: every account operation over one Mongo database, the one object the dashboard's
data module holds. It wires the pieces (sign-up, login limits, sessions, OIDC, X keys) to their
collections and keeps the small per-user settings (pending keywords, spike alert mails)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pymongo
from pymongo.database import Database

from streamlit_app.auth import oidc, recovery, signup
from streamlit_app.auth.cipher import DataCipher
from streamlit_app.auth.common import now
from streamlit_app.auth.errors import AuthError
from streamlit_app.auth.expiry import Purge
from streamlit_app.auth.identities import IdentityStore
from streamlit_app.auth.passwords import (
    email_problem,
    hash_password,
    needs_rehash,
    normalize_email,
    password_matches,
)
from streamlit_app.auth.rate_limits import LoginAttempts, MailLimits
from streamlit_app.auth.sessions import SESSION_IDLE, SessionStore
from streamlit_app.auth.signup import SignUp
from streamlit_app.auth.tokens import Signer
from streamlit_app.auth.users import User
from streamlit_app.auth.x_keys import XKeyStore
from tweektrend_dagster.contracts import names


class Accounts:
    """Every account operation over one Mongo database."""

    def __init__(
        self,
        db: Database,
        secret: str,
        data_keys: Sequence[str] = (),
        session_idle: timedelta = SESSION_IDLE,
    ) -> None:
        """`data_keys` (see load_data_keys) encrypt users' X keys; without them X keys can be
        neither saved nor read. A session unused for `session_idle` ends."""
        self.db = db
        self.users = db[names.USERS]
        self.sessions = db[names.SESSIONS]
        self.attempts = db[names.LOGIN_ATTEMPTS]
        self.outbox = db[names.MAIL_OUTBOX]
        self._signer = Signer(secret)
        self._x_keys = XKeyStore(self.users, DataCipher(data_keys))
        self._limits = LoginAttempts(self.attempts)
        self._mail_limits = MailLimits(self.attempts)
        self._sessions = SessionStore(self.sessions, self.users, self._signer, session_idle)
        self._purge_unverified = Purge(self.users, signup.expired_unverified_query)
        self._identities = IdentityStore(db, secret)

    def ensure_indexes(self) -> None:
        self.users.create_index([("email", pymongo.ASCENDING)], unique=True, name="email_unique")
        self.sessions.create_index([("user_id", pymongo.ASCENDING)], name="user_id")
        # TTL indexes where the server has them; FerretDB 1.x has none: see expiry.py
        self._sessions.ensure_indexes()
        self._limits.ensure_indexes()
        signup.ensure_indexes(self.users)
        self._identities.ensure_indexes()

    # --- sign-up and verification (signup.py) -------------------------------------------------
    def sign_up(self, raw_email: str, password: str) -> User:
        """Create an unverified account; raises AuthError for a bad e-mail, a weak password or
        an e-mail that already has an account."""
        return signup.create_account(self.users, raw_email, password)

    def verification_token(self, email: str) -> str:
        return self._signer.verification_token(normalize_email(email))

    def verification_link(self, email: str) -> str:
        return signup.verification_link(self.verification_token(email))

    def verification_mail(self, email: str) -> tuple[str, str]:
        return signup.verification_mail(self.verification_link(email))

    def record_mail(self, to: str, subject: str, kind: str, error: str | None) -> None:
        signup.record_mail(self.outbox, to, subject, kind, error)

    def verify_email(self, token: str, max_age: timedelta = signup.VERIFY_MAX_AGE) -> User:
        """Mark the account of a verification link verified; AuthError when the link is bad."""
        return signup.verify_email(self.users, self._signer, token, max_age)

    def register(self, raw_email: str, password: str, client: str) -> SignUp:
        """A sign-up that answers the same whether or not the address has an account: the
        result carries the mail to send (the confirmation link for a new account, a notice
        with a reset link to an existing account's owner). AuthError for a bad e-mail or a
        weak password, RateLimited when the client or the address had too many."""
        self._purge_unverified()
        email = signup.validate(raw_email, password)
        self._mail_limits.sign_up(client or "unknown")
        self._mail_limits.mail(email, client or "unknown")
        user, existing = signup.register(self.users, raw_email, password)
        if user is not None:
            return SignUp(user.id, user.email, *self.verification_mail(user.email), "verify")
        assert existing is not None
        link = recovery.reset_link(recovery.reset_token(self._signer, existing))
        return SignUp(None, existing["email"], *recovery.account_exists_mail(link), "exists")

    def verification_mail_for(self, raw_email: str, client: str) -> tuple[str, str] | None:
        """The confirmation mail again for an unconfirmed account (None for any other
        address: the page answers the same); RateLimited when too many were asked for."""
        email = normalize_email(raw_email)
        self._mail_limits.mail(email, client or "unknown")
        doc = self.users.find_one({"email": email})
        if doc is None or doc.get("verified") or signup.unverified_expired(doc, now()):
            return None
        return self.verification_mail(email)

    # --- password reset and change (recovery.py) ----------------------------------------------
    def reset_mail_for(self, raw_email: str, client: str) -> tuple[str, str, str] | None:
        """(to, subject, body) of a password reset mail, None when the address has no account
        (the page answers the same); AuthError for a malformed address, RateLimited when the
        address or the client asked too often (counted for unknown addresses too)."""
        email = normalize_email(raw_email)
        if problem := email_problem(email):
            raise AuthError(problem)
        self._mail_limits.mail(email, client or "unknown")
        doc = self.users.find_one({"email": email})
        if doc is None:
            return None
        link = recovery.reset_link(recovery.reset_token(self._signer, doc))
        return (email, *recovery.reset_mail(link))

    def reset_password(
        self, token: str, new_password: str, max_age: timedelta = recovery.RESET_MAX_AGE
    ) -> User:
        """Set a new password from a reset link (once) and end every session of the account;
        AuthError when the link is bad, expired or used, or the password is weak."""
        user_id = recovery.reset_password(
            self.users, self._signer, token, new_password, self.attempts, max_age
        )
        self._sessions.end_others(user_id)
        user = self.user(user_id)
        assert user is not None
        return user

    def change_password(
        self, user_id: str, current: str, new_password: str, client: str, keep_token: str | None
    ) -> int:
        """Change the password after checking the current one (counted like a login), then
        end the account's other sessions; returns how many ended."""
        user = self.user(user_id)
        if user is None:
            raise AuthError("Please log in again first.")
        ticket = self._limits.claim(user.email, client or "unknown")
        recovery.change_password(self.users, user_id, current, new_password)
        self._limits.succeeded(user.email, client or "unknown", ticket)
        return self._sessions.end_others(user_id, keep_token)

    def purge_expired(self) -> None:
        """Delete expired sessions, sign-ups and counters now (what TTL indexes do on
        MongoDB; on FerretDB 1.x this runs at most once a minute on use)."""
        self._sessions.purge(force=True)
        self._limits.counters.purge(force=True)
        self._purge_unverified(force=True)

    # --- login (rate_limits.py), sessions (sessions.py) ---------------------------------------
    def check_rate_limit(self, email: str, ip: str) -> None:
        self._limits.check(normalize_email(email), ip or "unknown")

    def login(self, raw_email: str, password: str, ip: str) -> tuple[User, str]:
        """Check the password and open a session; returns (user, session token).
        Raises RateLimited, or AuthError for wrong credentials or an unverified account.
        The attempt is counted before the password is checked (rate_limits.py)."""
        email = normalize_email(raw_email)
        ip = ip or "unknown"
        ticket = self._limits.claim(email, ip)
        doc = self.users.find_one({"email": email})
        if not password_matches(doc, password):
            raise AuthError("Wrong e-mail or password.")
        assert doc is not None
        self._limits.succeeded(email, ip, ticket)
        if needs_rehash(doc["password_hash"]):
            self.users.update_one(
                {"_id": doc["_id"]}, {"$set": {"password_hash": hash_password(password)}}
            )
        if not doc.get("verified"):
            raise AuthError(
                "Please confirm your e-mail first: open the link we sent to "
                f"{email}. You can ask for a new link below."
            )
        user = User.from_doc(doc)
        return user, self.open_session(user.id)

    def open_session(self, user_id: str) -> str:
        return self._sessions.open(user_id)

    def session_user(self, token: str | None) -> User | None:
        """The user of a session token, or None when it is forged, expired or logged out."""
        return self._sessions.user(token)

    def logout(self, token: str | None) -> None:
        self._sessions.close(token)

    # --- identity providers (st.login; oidc.py, identities.py) -------------------------------
    def provider_login(
        self, info: Mapping[str, Any], link_token: str | None = None
    ) -> tuple[User, str] | None:
        """Open a session for a provider login (st.user's claims); None when this login has
        opened one before (a session ended elsewhere stays ended). With `link_token` (the
        mailed link) the identity is first linked to the account, ending its other sessions.
        AuthError when refused; LinkNeeded (with a mail token) when the e-mail's account must
        first be proven by its owner."""
        claims = oidc.ProviderClaims.parse(info)
        if link_token:  # a fresh single-use proof: it opens a session whatever came before
            user_id = oidc.link_by_mail(self.users, self._identities, claims, link_token)
            self._sessions.end_others(user_id)
            self._identities.use_login(claims.login_key, user_id)
        elif self._identities.login_used(claims.login_key):
            return None
        else:
            user_id = oidc.resolve(self.users, self._identities, claims)
            if not self._identities.use_login(claims.login_key, user_id):
                return None  # the same login, twice at once
        user = self.user(user_id)
        return (user, self.open_session(user_id)) if user is not None else None

    def begin_provider_link(self, user_id: str, session_token: str) -> None:
        """Before st.login from Settings: this logged-in session asks to link a provider."""
        if self.session_user(session_token) is None:
            raise AuthError("Please log in again first.")
        self._identities.begin_session_link(user_id, session_token)

    def finish_provider_link(
        self, user_id: str, session_token: str, info: Mapping[str, Any]
    ) -> bool:
        """Back from the provider in a session that asked to link it: link the identity and end
        the account's other sessions. False when this session asked for nothing; AuthError when
        the identity is refused or opens another account."""
        if not self._identities.take_session_link(user_id, session_token):
            return False
        claims = oidc.ProviderClaims.parse(info)
        oidc.link_to_session_user(self._identities, user_id, claims)
        self._identities.use_login(claims.login_key, user_id)
        self._sessions.end_others(user_id, session_token)
        return True

    def linked_providers(self, user_id: str) -> list[dict]:
        """The identities that open the account: {key, iss, email, linked_at}, oldest first."""
        return self._identities.linked(user_id)

    def unlink_provider(self, user_id: str, key: str, keep_token: str | None) -> None:
        """Remove a linked identity and end the account's other sessions (one may have come
        through it); AuthError when it is the account's only way in."""
        doc = self.users.find_one({"_id": user_id}, {"password_hash": 1}) or {}
        others = [p for p in self._identities.linked(user_id) if p["key"] != key]
        if not doc.get("password_hash") and not others:
            raise AuthError(
                "This identity is the only way into your account: link another one first."
            )
        if self._identities.unlink(user_id, key):
            self._sessions.end_others(user_id, keep_token)

    def provider_link_mail(self, token: str, issuer: str) -> tuple[str, str]:
        """(subject, body) of the mail that links an identity to the account by `token`."""
        return oidc.link_mail(oidc.link_url(token), issuer)

    # --- per-user settings --------------------------------------------------------------------
    def user(self, user_id: str) -> User | None:
        doc = self.users.find_one({"_id": user_id})
        return User.from_doc(doc) if doc else None

    def set_pending_keywords(self, user_id: str, keywords: list[str]) -> None:
        self.users.update_one({"_id": user_id}, {"$set": {"pending_keywords": list(keywords)}})

    def take_pending_keywords(self, user_id: str) -> list[str]:
        doc = self.users.find_one({"_id": user_id}, {"pending_keywords": 1}) or {}
        pending = list(doc.get("pending_keywords") or [])
        if pending:
            self.users.update_one({"_id": user_id}, {"$set": {"pending_keywords": []}})
        return pending

    def spike_alerts(self, user_id: str) -> bool:
        doc = self.users.find_one({"_id": user_id}, {"spike_alerts": 1}) or {}
        return bool(doc.get("spike_alerts"))

    def set_spike_alerts(self, user_id: str, on: bool) -> None:
        """Opt in to (or out of) spike alert mails; the alert job reads `users.spike_alerts`."""
        self.users.update_one({"_id": user_id}, {"$set": {"spike_alerts": bool(on)}})

    # --- X keys, encrypted at rest (x_keys.py) ------------------------------------------------
    def set_x_credentials(self, user_id: str, creds: dict[str, str] | None) -> None:
        """Save the user's X keys encrypted (dropping any plaintext copy), or remove them."""
        self._x_keys.save(user_id, creds)

    def x_credentials(self, user_id: str) -> dict[str, str] | None:
        """The user's X keys; None when none are saved or they cannot be decrypted."""
        return self._x_keys.load(user_id)[1]

    def x_credentials_state(self, user_id: str) -> str:
        """Whether X keys are "none", "saved" or "unreadable" (saved under a data key this
        server lacks)."""
        return self._x_keys.load(user_id)[0]

    def encrypt_legacy_x_credentials(self) -> int:
        """Encrypt every plaintext `x_credentials` left from before encryption; returns how many.
        Run at dashboard start so no plaintext waits for its user's next visit."""
        return self._x_keys.encrypt_all_legacy()
