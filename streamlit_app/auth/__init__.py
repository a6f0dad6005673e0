"""Accounts: sign-up, e-mail verification, login with rate limiting, sessions, OIDC users and
users' X keys, one small module each; `Accounts` (accounts.py) ties them to the database.

Streamlit-free on purpose: it works on a pymongo Database, so it is tested without a UI. The
pages never import it: `streamlit_app/data.py` is their one door to it.
Collections (names in tweektrend_dagster.contracts.names, owned by the dashboard):
- `users`:          {_id, email (lower-case, unique), password_hash (argon2), verified,
                     created_at, verified_at, pending_keywords: [str], oidc,
                     unverified_expires_at (only until verified; TTL index),
                     password_changed_at,
                     x_credentials_enc: Fernet token of the X keys' JSON (older documents: a
                     plaintext `x_credentials` dict, encrypted on first read and at start),
                     spike_alerts: bool (absent = off; read by tweektrend_dagster.alerts)}
- `sessions`:       {_id: sha256(session id), user_id, created_at, expires_at, last_seen}
                    (expires_at: the earlier of 30 days and the idle timeout; TTL index)
- `login_attempts`: the limits of rate_limits.py: {_id: "<scope>:sha256(key)", n, v,
                    locked_until, expires_at} for login locks, {_id: "<scope>:sha256(key):
                    <window start>", n, expires_at} for per-window caps (TTL index)
- `mail_outbox`:    {to, subject, kind, created_at, sent: bool, error}
- `identities`, `provider_links`, `provider_logins`: identity-provider logins keyed by
                    issuer + subject (identities.py; the rules in oidc.py)
Only plain finds, upserts and indexes, so it runs on FerretDB 1.24 and MongoDB alike; FerretDB
1.24 refuses TTL indexes, so what they delete on MongoDB is also purged on use (expiry.py).
"""

from streamlit_app.auth.accounts import Accounts
from streamlit_app.auth.errors import AuthError, RateLimited
from streamlit_app.auth.key_files import load_data_keys, load_secret
from streamlit_app.auth.oidc import LINK_PARAM, LinkNeeded
from streamlit_app.auth.passwords import MIN_PASSWORD_CHARS, normalize_email
from streamlit_app.auth.sessions import SESSION_MAX_AGE
from streamlit_app.auth.users import User

__all__ = [
    "MIN_PASSWORD_CHARS",
    "SESSION_MAX_AGE",
    "Accounts",
    "AuthError",
    "LINK_PARAM",
    "LinkNeeded",
    "RateLimited",
    "User",
    "load_data_keys",
    "load_secret",
    "normalize_email",
]
