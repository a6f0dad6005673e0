"""Accounts: sign-up, e-mail verification, login with rate limiting, sessions, OIDC users.

Streamlit-free on purpose: `Accounts` works on a pymongo Database, so it is tested without a UI.
Collections (docs/ARCHITECTURE.md, owned by the dashboard):
- `users`:          {_id, email (lower-case, unique), password_hash (argon2), verified,
                     created_at, verified_at, pending_keywords: [str], oidc,
                     x_credentials_enc: Fernet token of the X keys' JSON (older documents: a
                     plaintext `x_credentials` dict, encrypted on first read and at start),
                     spike_alerts: bool (absent = off; read by tweektrend_dagster.alerts)}
- `sessions`:       {_id: sha256(session id), user_id, created_at, expires_at, last_seen}
- `login_attempts`: {_id: sha256(email|ip), failures, last_failure, locked_until}
- `mail_outbox`:    {to, subject, kind, created_at, sent: bool, error}
Only plain finds, upserts and indexes, so it runs on FerretDB 1.24 and MongoDB alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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
DATA_KEY_ENV = "TWEEKTREND_DATA_KEY"
X_CREDS_FIELD = "x_credentials_enc"
LEGACY_X_CREDS_FIELD = "x_credentials"  # plaintext dict of documents written before encryption
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


def _key_file(path: Path, make: Callable[[], str]) -> str:
    """The key stored in `path`, created once with mode 0600 when missing."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a 0600 temp file, then linked in: when two processes race, one link wins
    # and both read the same complete key back (never a half-written file).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def load_secret(settings: Settings) -> str:
    """The signing key: TWEEKTREND_SECRET_KEY, else one generated once under the data dir."""
    env = os.environ.get("TWEEKTREND_SECRET_KEY")
    if env:
        return env
    return _key_file(Path(settings.home) / "secret_key", lambda: secrets.token_urlsafe(48))


def load_data_keys(settings: Settings) -> list[str]:
    """Fernet keys for secrets stored in Mongo (users' X keys), separate from the signing key:
    TWEEKTREND_DATA_KEY, comma-separated for rotation (the first encrypts, all decrypt),
    else one generated once under the data dir."""
    keys = [k.strip() for k in os.environ.get(DATA_KEY_ENV, "").split(",") if k.strip()]
    if keys:
        return keys
    return [_key_file(Path(settings.home) / "data_key", lambda: Fernet.generate_key().decode())]


def data_cipher(keys: Sequence[str]) -> MultiFernet:
    """A MultiFernet over `keys`; ValueError naming the bad key's position, never its text."""
    if not keys:
        raise ValueError(f"No data encryption key: set {DATA_KEY_ENV}.")
    fernets = []
    for n, key in enumerate(keys, 1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # `from None`: the chained base64 error must not carry key material into a log
            raise ValueError(
                f"Data encryption key {n} of {len(keys)} ({DATA_KEY_ENV} or "
                "$TWEEKTREND_HOME/data_key) is not a Fernet key (32 url-safe base64 bytes; "
                "make one with Fernet.generate_key())."
            ) from None
    return MultiFernet(fernets)


def public_url() -> str:
    return Settings.from_env().public_url


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
            # stored, not necessarily readable: see Accounts.x_credentials_state
            has_x_credentials=bool(doc.get(X_CREDS_FIELD) or doc.get(LEGACY_X_CREDS_FIELD)),
            spike_alerts=bool(doc.get("spike_alerts")),
        )


class Accounts:
    """Every account operation over one Mongo database."""

    def __init__(self, db: Database, secret: str, data_keys: Sequence[str] = ()) -> None:
        """`data_keys` (see load_data_keys) encrypt users' X keys; without them X keys can be
        neither saved nor read."""
        self.db = db
        self.users = db["users"]
        self.sessions = db["sessions"]
        self.attempts = db["login_attempts"]
        self.outbox = db["mail_outbox"]
        self._signer = URLSafeTimedSerializer(secret)
        self._cipher = data_cipher(data_keys) if data_keys else None
        self._primary = Fernet(data_keys[0]) if data_keys else None

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

    # --- X credentials, encrypted at rest -----------------------------------------------------
    def set_x_credentials(self, user_id: str, creds: dict[str, str] | None) -> None:
        """Save the user's X keys encrypted (dropping any plaintext copy), or remove them."""
        if creds:
            update = {
                "$set": {X_CREDS_FIELD: self._seal(creds)},
                "$unset": {LEGACY_X_CREDS_FIELD: ""},
            }
        else:
            update = {"$unset": {X_CREDS_FIELD: "", LEGACY_X_CREDS_FIELD: ""}}
        self.users.update_one({"_id": user_id}, update)

    def x_credentials(self, user_id: str) -> dict[str, str] | None:
        """The user's X keys; None when none are saved or they cannot be decrypted."""
        return self._load_x_credentials(user_id)[1]

    def x_credentials_state(self, user_id: str) -> str:
        """Whether X keys are "none", "saved" or "unreadable" (saved under a data key this
        server lacks)."""
        return self._load_x_credentials(user_id)[0]

    def encrypt_legacy_x_credentials(self) -> int:
        """Encrypt every plaintext `x_credentials` left from before encryption; returns how many.
        Run at dashboard start so no plaintext waits for its user's next visit."""
        legacy = self.users.find(
            {LEGACY_X_CREDS_FIELD: {"$exists": True}}, {X_CREDS_FIELD: 1, LEGACY_X_CREDS_FIELD: 1}
        )
        return sum(self._encrypt_legacy(doc) for doc in legacy)

    def _load_x_credentials(self, user_id: str) -> tuple[str, dict[str, str] | None]:
        doc = self.users.find_one({"_id": user_id}, {X_CREDS_FIELD: 1, LEGACY_X_CREDS_FIELD: 1})
        doc = doc or {}
        # Plaintext from before encryption is encrypted on first read (and at dashboard start),
        # not at the next save, which may never come.
        if LEGACY_X_CREDS_FIELD in doc:
            self._encrypt_legacy(doc)
        token = doc.get(X_CREDS_FIELD)
        if not token:
            return "none", None
        try:
            creds, old_key = self._unseal(token)
        except (InvalidToken, ValueError, TypeError):
            return "unreadable", None  # key lost or changed: the user enters the keys again
        if old_key:  # rotation: re-encrypt with the first key so older keys can be retired
            self.users.update_one(
                {"_id": user_id, X_CREDS_FIELD: token},
                {"$set": {X_CREDS_FIELD: self._seal(creds)}},
            )
        return "saved", creds

    def _encrypt_legacy(self, doc: dict[str, Any]) -> bool:
        """Replace a document's plaintext X keys by their encrypted form (an existing encrypted
        copy wins); updates `doc` in place. The filter skips a document rewritten meanwhile."""
        legacy = doc.pop(LEGACY_X_CREDS_FIELD, None)
        update: dict[str, Any] = {"$unset": {LEGACY_X_CREDS_FIELD: ""}}
        if legacy and not doc.get(X_CREDS_FIELD):
            doc[X_CREDS_FIELD] = self._seal(legacy)
            update["$set"] = {X_CREDS_FIELD: doc[X_CREDS_FIELD]}
        query = {"_id": doc["_id"], LEGACY_X_CREDS_FIELD: {"$exists": True}}
        return self.users.update_one(query, update).modified_count > 0

    def _seal(self, creds: dict[str, str]) -> str:
        if self._cipher is None:
            raise RuntimeError(f"No data encryption key configured ({DATA_KEY_ENV}).")
        return self._cipher.encrypt(json.dumps(creds).encode()).decode()

    def _unseal(self, token: str) -> tuple[dict[str, str], bool]:
        """Decrypt a stored token; also says whether an older (rotated-out) key made it."""
        if self._cipher is None or self._primary is None or not isinstance(token, str):
            raise InvalidToken
        data = token.encode()
        try:
            plain, old_key = self._primary.decrypt(data), False
        except InvalidToken:
            plain, old_key = self._cipher.decrypt(data), True
        creds = json.loads(plain)
        if not isinstance(creds, dict):
            raise ValueError("stored X credentials are not a mapping")
        return creds, old_key

    def spike_alerts(self, user_id: str) -> bool:
        doc = self.users.find_one({"_id": user_id}, {"spike_alerts": 1}) or {}
        return bool(doc.get("spike_alerts"))

    def set_spike_alerts(self, user_id: str, on: bool) -> None:
        """Opt in to (or out of) spike alert mails; the alert job reads `users.spike_alerts`."""
        self.users.update_one({"_id": user_id}, {"$set": {"spike_alerts": bool(on)}})
