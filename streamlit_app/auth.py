"""Accounts: sign-up, e-mail verification, login with rate limiting, sessions, OIDC users.

Streamlit-free on purpose: `Accounts` works on a pymongo Database, so it is tested without a UI.
Collections (docs/ARCHITECTURE.md, owned by the dashboard):
- `users`:          {_id, email (lower-case, unique), password_hash (argon2), verified,
                     created_at, verified_at, pending_keywords: [str], x_credentials: {...}, oidc,
                     spike_alerts: bool (absent = off; read by tweektrend_dagster.alerts)}
- `sessions`:       {_id: sha256(session id), user_id, created_at, expires_at, last_seen}
- `login_attempts`: {_id: sha256(email|ip), failures, last_failure, locked_until}
- `mail_outbox`:    {to, subject, kind, created_at, sent: bool, error}
Only plain finds, upserts and indexes, so it runs on FerretDB 1.24 and MongoDB alike.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from tweektrend_dagster.config import Settings

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD_CHARS = 10
VERIFY_MAX_AGE = timedelta(hours=24)
SESSION_MAX_AGE = timedelta(days=30)
# Failed logins per (email, IP): the first FREE_FAILURES cost nothing, then each further failure
# locks that pair for LOCK_BASE · 2^(n − FREE_FAILURES), capped at LOCK_MAX.
FREE_FAILURES = 3
LOCK_BASE = timedelta(seconds=5)
LOCK_MAX = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=1)  # a pair that stayed quiet this long starts over
COMMON_PASSWORDS = frozenset(
    "password password1 password123 1234567890 12345678910 qwertyuiop qwerty1234 iloveyou123 "
    "letmein123 welcome123 admin12345 abc1234567 11111111111 0000000000 passw0rd123 tweektrend "
    "tweektrend1 baseball123 football123 dragon1234 monkey1234 sunshine12".split()
)

_hasher = PasswordHasher()  # argon2id with the library's current defaults
# Verified against when the e-mail is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(ValueError):
    """A problem the user can act on; `str(exc)` is shown as is."""


class RateLimited(AuthError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        secs = max(1, round(retry_after))
        wait = f"{secs} seconds" if secs < 120 else f"{round(secs / 60)} minutes"
        super().__init__(
            f"Too many failed logins for this e-mail from your network. Try again in {wait}."
        )


def normalize_email(raw: str) -> str:
    return (raw or "").strip().lower()


def email_problem(email: str) -> str | None:
    if not EMAIL_RE.match(email):
        return "Enter a valid e-mail address, like name@example.com."
    return None


def password_problems(password: str, email: str = "") -> list[str]:
    """Why a password is too weak, in words a user can act on; empty when it is fine."""
    problems = []
    if len(password) < MIN_PASSWORD_CHARS:
        problems.append(f"Use at least {MIN_PASSWORD_CHARS} characters.")
    classes = sum(
        bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    if classes < 2:
        problems.append("Mix at least two of: lower-case, upper-case, digits, symbols.")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append("This password is too common or too repetitive.")
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        problems.append("Do not use your e-mail name in the password.")
    return problems


def load_secret(settings: Settings) -> str:
    """The signing key: TWEEKTREND_SECRET_KEY, else one generated once under the data dir."""
    env = os.environ.get("TWEEKTREND_SECRET_KEY")
    if env:
        return env
    path = Path(settings.home) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two processes race, one writes and both read the same key back.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
    except FileExistsError:
        pass
    return path.read_text().strip()


def public_url() -> str:
    return os.environ.get("TWEEKTREND_PUBLIC_URL", "http://127.0.0.1:8501").rstrip("/")


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class User:
    id: str
    email: str
    verified: bool
    pending_keywords: tuple[str, ...] = ()
    has_x_credentials: bool = False
    spike_alerts: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        return cls(
            id=doc["_id"],
            email=doc["email"],
            verified=bool(doc.get("verified")),
            pending_keywords=tuple(doc.get("pending_keywords") or ()),
            has_x_credentials=bool(doc.get("x_credentials")),
            spike_alerts=bool(doc.get("spike_alerts")),
        )


class Accounts:
    """Every account operation over one Mongo database."""

    def __init__(self, db: Database, secret: str) -> None:
        self.db = db
        self.users = db["users"]
        self.sessions = db["sessions"]
        self.attempts = db["login_attempts"]
        self.outbox = db["mail_outbox"]
        self._signer = URLSafeTimedSerializer(secret)

    def ensure_indexes(self) -> None:
        self.users.create_index([("email", pymongo.ASCENDING)], unique=True, name="email_unique")
        self.sessions.create_index([("user_id", pymongo.ASCENDING)], name="user_id")

    # --- sign-up and verification -------------------------------------------------------------
    def sign_up(self, raw_email: str, password: str) -> User:
        """Create an unverified account; raises AuthError for a bad e-mail, a weak password or
        an e-mail that already has an account."""
        email = normalize_email(raw_email)
        if problem := email_problem(email):
            raise AuthError(problem)
        if problems := password_problems(password, email):
            raise AuthError("Password too weak: " + " ".join(problems))
        if self.users.find_one({"email": email}, {"_id": 1}) is not None:
            raise AuthError("An account with this e-mail already exists. Log in instead.")
        doc = {
            "_id": uuid.uuid4().hex,
            "email": email,
            "password_hash": _hasher.hash(password),
            "verified": False,
            "created_at": _now(),
            "pending_keywords": [],
        }
        try:
            self.users.insert_one(doc)
        except DuplicateKeyError as exc:  # two sign-ups raced past the find above
            raise AuthError("An account with this e-mail already exists. Log in instead.") from exc
        return User.from_doc(doc)

    def verification_token(self, email: str) -> str:
        return self._signer.dumps(normalize_email(email), salt="verify-email")

    def verification_link(self, email: str) -> str:
        return f"{public_url()}/?verify={self.verification_token(email)}"

    def verification_mail(self, email: str) -> tuple[str, str]:
        link = self.verification_link(email)
        hours = int(VERIFY_MAX_AGE.total_seconds() // 3600)
        body = (
            "Welcome to TweekTrend!\n\n"
            f"Confirm your e-mail address by opening this link (valid for {hours} hours):\n\n"
            f"{link}\n\n"
            "If you did not sign up, ignore this mail.\n"
        )
        return "Confirm your TweekTrend account", body

    def record_mail(self, to: str, subject: str, kind: str, error: str | None) -> None:
        self.outbox.insert_one(
            {
                "to": to,
                "subject": subject,
                "kind": kind,
                "created_at": _now(),
                "sent": error is None,
                "error": error,
            }
        )

    def verify_email(self, token: str, max_age: timedelta = VERIFY_MAX_AGE) -> User:
        """Mark the account of a verification link verified; AuthError when the link is bad."""
        try:
            email = self._signer.loads(
                token, salt="verify-email", max_age=int(max_age.total_seconds())
            )
        except SignatureExpired as exc:
            raise AuthError("This verification link has expired. Log in to get a new one.") from exc
        except BadSignature as exc:
            raise AuthError("This verification link is not valid.") from exc
        doc = self.users.find_one({"email": email})
        if doc is None:
            raise AuthError("This verification link belongs to no account.")
        if not doc.get("verified"):
            self.users.update_one(
                {"_id": doc["_id"]}, {"$set": {"verified": True, "verified_at": _now()}}
            )
            doc["verified"] = True
        return User.from_doc(doc)

    # --- login, rate limiting, sessions -------------------------------------------------------
    def check_rate_limit(self, email: str, ip: str) -> None:
        doc = self.attempts.find_one({"_id": _digest(normalize_email(email), ip)})
        locked_until = _utc(doc.get("locked_until")) if doc else None
        if locked_until is not None and locked_until > _now():
            raise RateLimited((locked_until - _now()).total_seconds())

    def _record_failure(self, email: str, ip: str) -> None:
        key = _digest(email, ip)
        now = _now()
        doc = self.attempts.find_one({"_id": key}) or {}
        last = _utc(doc.get("last_failure"))
        failures = int(doc.get("failures", 0))
        if last is None or now - last > FAILURE_MEMORY:
            failures = 0
        failures += 1
        update: dict[str, Any] = {"failures": failures, "last_failure": now, "locked_until": None}
        if failures >= FREE_FAILURES:
            delay = min(LOCK_BASE * 2 ** (failures - FREE_FAILURES), LOCK_MAX)
            update["locked_until"] = now + delay
        self.attempts.update_one({"_id": key}, {"$set": update}, upsert=True)

    def login(self, raw_email: str, password: str, ip: str) -> tuple[User, str]:
        """Check the password and open a session; returns (user, session token).
        Raises RateLimited, or AuthError for wrong credentials or an unverified account."""
        email = normalize_email(raw_email)
        ip = ip or "unknown"
        self.check_rate_limit(email, ip)
        doc = self.users.find_one({"email": email})
        stored = (doc or {}).get("password_hash") or _DUMMY_HASH
        try:
            ok = _hasher.verify(stored, password) and doc is not None and "password_hash" in doc
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            self._record_failure(email, ip)
            raise AuthError("Wrong e-mail or password.")
        assert doc is not None
        self.attempts.delete_one({"_id": _digest(email, ip)})
        if _hasher.check_needs_rehash(doc["password_hash"]):
            self.users.update_one(
                {"_id": doc["_id"]}, {"$set": {"password_hash": _hasher.hash(password)}}
            )
        if not doc.get("verified"):
            raise AuthError(
                "Please confirm your e-mail first: open the link we sent to "
                f"{email}. You can ask for a new link below."
            )
        user = User.from_doc(doc)
        return user, self.open_session(user.id)

    def open_session(self, user_id: str) -> str:
        session_id = secrets.token_urlsafe(32)
        now = _now()
        self.sessions.insert_one(
            {
                "_id": _digest(session_id),
                "user_id": user_id,
                "created_at": now,
                "expires_at": now + SESSION_MAX_AGE,
                "last_seen": now,
            }
        )
        return self._signer.dumps(session_id, salt="session")

    def session_user(self, token: str | None) -> User | None:
        """The user of a session token, or None when it is forged, expired or logged out."""
        if not token:
            return None
        try:
            session_id = self._signer.loads(
                token, salt="session", max_age=int(SESSION_MAX_AGE.total_seconds())
            )
        except BadSignature:
            return None
        doc = self.sessions.find_one({"_id": _digest(session_id)})
        if doc is None or (_utc(doc.get("expires_at")) or _now()) <= _now():
            return None
        user = self.users.find_one({"_id": doc["user_id"]})
        if user is None or not user.get("verified"):
            return None
        return User.from_doc(user)

    def logout(self, token: str | None) -> None:
        if not token:
            return
        try:
            session_id = self._signer.loads(token, salt="session")
        except BadSignature:
            return
        self.sessions.delete_one({"_id": _digest(session_id)})

    # --- OIDC (st.login) ----------------------------------------------------------------------
    def oidc_user(self, raw_email: str) -> User:
        """The account for an identity-provider login: created verified on first use (the
        provider has verified the e-mail), with no password."""
        email = normalize_email(raw_email)
        if problem := email_problem(email):
            raise AuthError(problem)
        doc = self.users.find_one({"email": email})
        if doc is None:
            doc = {
                "_id": uuid.uuid4().hex,
                "email": email,
                "verified": True,
                "oidc": True,
                "created_at": _now(),
                "verified_at": _now(),
                "pending_keywords": [],
            }
            try:
                self.users.insert_one(doc)
            except DuplicateKeyError:
                doc = self.users.find_one({"email": email}) or doc
        elif not doc.get("verified"):
            self.users.update_one({"_id": doc["_id"]}, {"$set": {"verified": True}})
            doc["verified"] = True
        return User.from_doc(doc)

    # --- per-user settings ---------------------------------------------------------------------
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

    def set_x_credentials(self, user_id: str, creds: dict[str, str] | None) -> None:
        if creds:
            self.users.update_one({"_id": user_id}, {"$set": {"x_credentials": creds}})
        else:
            self.users.update_one({"_id": user_id}, {"$unset": {"x_credentials": ""}})

    def x_credentials(self, user_id: str) -> dict[str, str] | None:
        doc = self.users.find_one({"_id": user_id}, {"x_credentials": 1}) or {}
        return doc.get("x_credentials") or None

    def spike_alerts(self, user_id: str) -> bool:
        doc = self.users.find_one({"_id": user_id}, {"spike_alerts": 1}) or {}
        return bool(doc.get("spike_alerts"))

    def set_spike_alerts(self, user_id: str, on: bool) -> None:
        """Opt in to (or out of) spike alert mails; the alert job reads `users.spike_alerts`."""
        self.users.update_one({"_id": user_id}, {"$set": {"spike_alerts": bool(on)}})
