"""Accounts on a fresh Mongo database of the test stack: sign-up, verification links, login
rate limiting, sessions, OIDC users (the pure rules: tests/unit/test_auth_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from streamlit_app.auth import Accounts, AuthError, RateLimited, User
from streamlit_app.auth import rate_limits as limits

GOOD = "Tr3nd-watcher!"


@pytest.fixture
def accounts(mongo_db):
    a = Accounts(mongo_db, "test-secret", [Fernet.generate_key().decode()])
    a.ensure_indexes()
    return a


def _verified(accounts: Accounts, email: str = "me@example.com") -> User:
    accounts.sign_up(email, GOOD)
    return accounts.verify_email(accounts.verification_token(email))


@pytest.mark.integration
def test_sign_up_hashes_with_argon2_and_refuses_taken_email(accounts, mongo_db):
    user = accounts.sign_up("Me@Example.com", GOOD)
    doc = mongo_db["users"].find_one({"_id": user.id})
    assert doc["email"] == "me@example.com" and doc["password_hash"].startswith("$argon2id$")
    assert GOOD not in str(doc) and not doc["verified"]
    with pytest.raises(AuthError, match="already exists"):
        accounts.sign_up("me@example.com", GOOD)
    with pytest.raises(AuthError, match="too weak"):
        accounts.sign_up("other@example.com", "short")


@pytest.mark.integration
def test_unverified_cannot_log_in_until_the_link_is_opened(accounts):
    accounts.sign_up("me@example.com", GOOD)
    with pytest.raises(AuthError, match="confirm your e-mail"):
        accounts.login("me@example.com", GOOD, "1.2.3.4")
    link = accounts.verification_link("me@example.com")
    assert "?verify=" in link
    accounts.verify_email(link.split("verify=")[1])
    user, token = accounts.login("ME@example.com", GOOD, "1.2.3.4")
    assert accounts.session_user(token) == user


@pytest.mark.integration
def test_verification_links_are_signed_and_expire(accounts):
    accounts.sign_up("me@example.com", GOOD)
    token = accounts.verification_token("me@example.com")
    with pytest.raises(AuthError, match="not valid"):
        accounts.verify_email(token[:-2] + "xx")
    with pytest.raises(AuthError, match="not valid"):
        Accounts(accounts.db, "another-secret").verify_email(token)
    with pytest.raises(AuthError, match="expired"):
        accounts.verify_email(token, max_age=timedelta(seconds=-1))


@pytest.mark.integration
def test_failed_logins_lock_the_email_and_ip_pair_exponentially(accounts, mongo_db):
    _verified(accounts)
    for _ in range(limits.FREE_FAILURES - 1):
        with pytest.raises(AuthError, match="Wrong e-mail or password"):
            accounts.login("me@example.com", "wrong", "10.0.0.1")
    with pytest.raises(AuthError, match="Wrong"):
        accounts.login("me@example.com", "wrong", "10.0.0.1")  # this failure locks
    with pytest.raises(RateLimited) as first:
        accounts.login("me@example.com", GOOD, "10.0.0.1")  # even the right password waits
    assert 0 < first.value.retry_after <= limits.LOCK_BASE.total_seconds()
    # another address is not locked out by this one
    accounts.login("me@example.com", GOOD, "10.0.0.2")
    # the next failure doubles the wait
    key = limits.attempt_key("me@example.com", "10.0.0.1")
    mongo_db["login_attempts"].update_one({"_id": key}, {"$set": {"locked_until": None}})
    with pytest.raises(AuthError):
        accounts.login("me@example.com", "wrong", "10.0.0.1")
    with pytest.raises(RateLimited) as second:
        accounts.login("me@example.com", GOOD, "10.0.0.1")
    assert second.value.retry_after > limits.LOCK_BASE.total_seconds()
    # unknown e-mails are counted too (no way to probe which addresses exist)
    for _ in range(limits.FREE_FAILURES):
        with pytest.raises(AuthError, match="Wrong"):
            accounts.login("nobody@example.com", GOOD, "10.0.0.1")
    with pytest.raises(RateLimited):
        accounts.login("nobody@example.com", GOOD, "10.0.0.1")


@pytest.mark.integration
def test_success_resets_and_old_failures_are_forgotten(accounts, mongo_db):
    _verified(accounts)
    with pytest.raises(AuthError):
        accounts.login("me@example.com", "wrong", "ip")
    accounts.login("me@example.com", GOOD, "ip")
    assert mongo_db["login_attempts"].count_documents({}) == 0
    key = limits.attempt_key("me@example.com", "ip")
    old = datetime.now(UTC) - limits.FAILURE_MEMORY - timedelta(minutes=1)
    mongo_db["login_attempts"].insert_one({"_id": key, "failures": 50, "last_failure": old})
    with pytest.raises(AuthError, match="Wrong"):
        accounts.login("me@example.com", "wrong", "ip")
    assert mongo_db["login_attempts"].find_one({"_id": key})["failures"] == 1


@pytest.mark.integration
def test_sessions_survive_until_logout_and_reject_forgeries(accounts, mongo_db):
    user = _verified(accounts)
    _, token = accounts.login("me@example.com", GOOD, "ip")
    assert accounts.session_user(token).id == user.id
    assert mongo_db["sessions"].count_documents({"user_id": user.id}) == 1
    assert token not in str(list(mongo_db["sessions"].find()))  # only a digest is stored
    assert accounts.session_user(token + "x") is None
    assert Accounts(mongo_db, "other-secret").session_user(token) is None
    accounts.logout(token)
    assert accounts.session_user(token) is None


@pytest.mark.integration
def test_oidc_user_is_created_verified_without_password(accounts, mongo_db):
    user = accounts.oidc_user("Social@Example.com")
    assert user.verified and user.email == "social@example.com"
    assert accounts.oidc_user("social@example.com").id == user.id
    with pytest.raises(AuthError):  # no password to guess
        accounts.login("social@example.com", "", "ip")


@pytest.mark.integration
def test_pending_keywords_and_x_credentials_are_per_user(accounts):
    a = accounts.sign_up("a@example.com", GOOD)
    b = accounts.sign_up("b@example.com", GOOD)
    accounts.set_pending_keywords(a.id, ["코로나", "BTS"])
    assert accounts.take_pending_keywords(b.id) == []
    assert accounts.take_pending_keywords(a.id) == ["코로나", "BTS"]
    assert accounts.take_pending_keywords(a.id) == []
    keys = {
        "consumer_key": "k",
        "consumer_secret": "s",
        "access_token": "t",
        "access_token_secret": "ts",
    }
    accounts.set_x_credentials(a.id, keys)
    assert accounts.x_credentials(a.id) == keys and accounts.x_credentials(b.id) is None
    assert accounts.user(a.id).has_x_credentials
    accounts.set_x_credentials(a.id, None)
    assert accounts.x_credentials(a.id) is None
