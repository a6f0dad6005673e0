"""E-mail and password rules and argon2id hashing: what a sign-up must meet, in words a user
can act on, and the one place passwords are hashed and checked."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD_CHARS = 10
COMMON_PASSWORDS = frozenset(
    "password password1 password123 1234567890 12345678910 qwertyuiop qwerty1234 iloveyou123 "
    "letmein123 welcome123 admin12345 abc1234567 11111111111 0000000000 passw0rd123 tweektrend "
    "tweektrend1 baseball123 football123 dragon1234 monkey1234 sunshine12".split()
)

_hasher = PasswordHasher()  # argon2id with the library's current defaults
# Verified against when the e-mail is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(doc: dict[str, Any] | None, password: str) -> bool:
    """Whether `password` opens the account `doc` (None: no account with that e-mail). Unknown
    e-mails and password-less accounts cost one argon2 verification too."""
    stored = (doc or {}).get("password_hash") or _DUMMY_HASH
    try:
        return _hasher.verify(stored, password) and doc is not None and "password_hash" in doc
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_stamp(doc: dict[str, Any]) -> str:
    """A short digest of the account's current password hash (of none, for a password-less
    account): a reset link carries it, so the link stops working once the password changes."""
    text = f"{doc['_id']}|{doc.get('password_hash') or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than the library's current ones."""
    return _hasher.check_needs_rehash(password_hash)
