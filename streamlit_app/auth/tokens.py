"""Signed, expiring tokens (itsdangerous) over the signing key: the e-mail verification link,
the password reset link and the session cookie. Each use has its own salt, so a token of one
kind never passes as another, and a token signed with another key is refused."""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

VERIFY_SALT = "verify-email"
SESSION_SALT = "session"
RESET_SALT = "reset-password"


class Signer:
    """Signs and checks the dashboard's tokens; reading raises itsdangerous' BadSignature (or
    its subclass SignatureExpired) for a forged, foreign or expired token."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret)

    def verification_token(self, email: str) -> str:
        return self._serializer.dumps(email, salt=VERIFY_SALT)

    def verified_email(self, token: str, max_age: timedelta) -> str:
        return self._serializer.loads(token, salt=VERIFY_SALT, max_age=int(max_age.total_seconds()))

    def reset_token(self, user_id: str, stamp: str) -> str:
        """A password reset link's token: the account and a stamp of its current password
        (passwords.password_stamp), so the link dies once the password has changed."""
        return self._serializer.dumps([user_id, stamp], salt=RESET_SALT)

    def reset_claims(self, token: str, max_age: timedelta) -> tuple[str, str]:
        """(user id, password stamp) of a reset token; BadSignature when it is not one."""
        claims = self._serializer.loads(
            token, salt=RESET_SALT, max_age=int(max_age.total_seconds())
        )
        if not (isinstance(claims, list) and len(claims) == 2):
            raise BadSignature("not a reset token")
        return str(claims[0]), str(claims[1])

    def session_token(self, session_id: str) -> str:
        return self._serializer.dumps(session_id, salt=SESSION_SALT)

    def session_id(self, token: str, max_age: timedelta | None = None) -> str:
        """The session id a cookie token signs; `max_age=None` accepts any age (logout)."""
        age = int(max_age.total_seconds()) if max_age is not None else None
        return self._serializer.loads(token, salt=SESSION_SALT, max_age=age)
