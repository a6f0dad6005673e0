"""Accounts on a fresh Mongo database of the test stack: sign-up, verification links, login
limits (per pair, account, client and site, atomic under parallel attempts), sign-up and mail
limits, sign-ups that tell nothing, expiring unverified sign-ups, password reset and change,
idle sessions and the purge that stands in for TTL indexes on FerretDB 1.24 (the pure rules:
tests/unit/test_auth_rules.py, tests/unit/test_client_address.py)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
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
    for _ in range(limits.PAIR.free):
        with pytest.raises(AuthError, match="Wrong e-mail or password"):
            accounts.login("me@example.com", "wrong", "10.0.0.1")  # the last of these locks
    with pytest.raises(RateLimited) as first:
        accounts.login("me@example.com", GOOD, "10.0.0.1")  # even the right password waits
    assert 0 < first.value.retry_after <= limits.PAIR.base.total_seconds()
    # another address is not locked out by this one
    accounts.login("me@example.com", GOOD, "10.0.0.2")
    # the next attempt after the lock doubles the wait
    key = limits.counter_id("pair", "me@example.com", "10.0.0.1")
    mongo_db["login_attempts"].update_many({"key": key}, {"$set": {"locked_until": None}})
    with pytest.raises(AuthError):
        accounts.login("me@example.com", "wrong", "10.0.0.1")
    with pytest.raises(RateLimited) as second:
        accounts.login("me@example.com", GOOD, "10.0.0.1")
    assert second.value.retry_after > limits.PAIR.base.total_seconds()
    # unknown e-mails are counted exactly like known ones (no way to probe which exist)
    for _ in range(limits.PAIR.free):
        with pytest.raises(AuthError, match="Wrong"):
            accounts.login("nobody@example.com", GOOD, "10.0.0.1")
    with pytest.raises(RateLimited, match="Too many failed logins for this e-mail"):
        accounts.login("nobody@example.com", GOOD, "10.0.0.1")


@pytest.mark.integration
def test_success_resets_and_old_failures_are_forgotten(accounts, mongo_db):
    _verified(accounts)
    with pytest.raises(AuthError):
        accounts.login("me@example.com", "wrong", "ip")
    accounts.login("me@example.com", GOOD, "ip")
    counters = limits.Counters(mongo_db["login_attempts"])
    assert counters.last(limits.PAIR, "me@example.com", "ip")["streak"] == 0  # forgotten
    assert counters.last(limits.ACCOUNT, "me@example.com")["streak"] == 0
    # the client keeps its failure: only the successful attempt was given back
    assert counters.last(limits.CLIENT, "ip")["streak"] == 1
    key = limits.counter_id("pair", "me@example.com", "ip")
    old = datetime.now(UTC) - timedelta(minutes=1)  # expired: quiet for longer than memory
    mongo_db["login_attempts"].insert_one(
        {"_id": f"{key}#100", "key": key, "n": 100, "streak": 50, "expires_at": old}
    )
    with pytest.raises(AuthError, match="Wrong"):
        accounts.login("me@example.com", "wrong", "ip")
    assert counters.last(limits.PAIR, "me@example.com", "ip")["streak"] == 1


@pytest.mark.integration
def test_a_spray_of_one_password_over_50_accounts_is_slowed(accounts):
    for i in range(5):
        _verified(accounts, f"user{i}@example.com")
    outcomes = []
    for i in range(50):  # 50 accounts (5 real, 45 unknown), one password, one client
        try:
            accounts.login(f"user{i}@example.com", "Summer2026!", "198.51.100.7")
            outcomes.append("in")
        except RateLimited as exc:
            outcomes.append("slowed")
            assert "from your network" in str(exc)
        except AuthError:
            outcomes.append("wrong")
    assert outcomes.count("wrong") == limits.CLIENT.free and "in" not in outcomes
    assert outcomes[limits.CLIENT.free :] == ["slowed"] * (50 - limits.CLIENT.free)
    # the sprayed accounts themselves are not locked for their owners elsewhere
    accounts.login("user0@example.com", GOOD, "203.0.113.1")


@pytest.mark.integration
def test_a_distributed_attack_on_one_account_is_slowed(accounts):
    _verified(accounts)
    outcomes = []
    for i in range(30):  # one account, 30 clients, one guess each
        try:
            accounts.login("me@example.com", f"guess-{i}", f"198.51.100.{i}")
            outcomes.append("wrong?")
        except RateLimited as exc:
            outcomes.append("slowed")
            assert "for this e-mail" in str(exc) and "network" not in str(exc)
        except AuthError:
            outcomes.append("wrong")
    assert outcomes.count("wrong") == limits.ACCOUNT.free
    assert outcomes[limits.ACCOUNT.free :] == ["slowed"] * (30 - limits.ACCOUNT.free)


@pytest.mark.integration
def test_parallel_wrong_attempts_cannot_share_a_free_window(accounts, mongo_db):
    _verified(accounts)

    def attempt(_i: int) -> str:
        try:
            accounts.login("me@example.com", "wrong-but-parallel", "198.51.100.99")
        except RateLimited:
            return "slowed"
        except AuthError:
            return "checked"
        return "in"

    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(pool.map(attempt, range(48)))
    # the password was checked at most `free` times however the 48 attempts interleaved
    assert 1 <= outcomes.count("checked") <= limits.PAIR.free, outcomes
    pair = limits.Counters(mongo_db["login_attempts"]).last(
        limits.PAIR, "me@example.com", "198.51.100.99"
    )
    assert pair["streak"] == outcomes.count("checked")  # each checked attempt has its ticket


@pytest.mark.integration
def test_a_global_cap_limits_the_whole_login_rate(accounts, monkeypatch):
    monkeypatch.setattr(
        limits, "GLOBAL_LOGINS", replace(limits.GLOBAL_LOGINS, limit=5, window=timedelta(hours=1))
    )
    for i in range(5):
        with pytest.raises(AuthError, match="Wrong"):
            accounts.login(f"u{i}@example.com", "wrong", f"198.51.100.{i}")
    with pytest.raises(RateLimited, match="Too many logins on the site"):
        accounts.login("fresh@example.com", "wrong", "203.0.113.50")


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


# --- sign-up that tells nothing, its limits, expiring unverified sign-ups --------------------
def _link(body: str, marker: str) -> str:
    return next(word for word in body.split() if marker in word)


@pytest.mark.integration
def test_sign_up_of_a_taken_address_answers_like_a_new_one_and_mails_the_owner(accounts):
    owner = _verified(accounts, "owner@example.com")
    new = accounts.register("new@example.com", GOOD, "198.51.100.1")
    taken = accounts.register("Owner@Example.com", "An0ther-pass!", "198.51.100.1")
    assert new.user_id and new.kind == "verify" and "?verify=" in new.body
    assert taken.user_id is None and taken.kind == "exists" and taken.email == owner.email
    assert "already has an account" in taken.body and "/login?reset=" in taken.body
    # the notice's link resets the owner's password; the stranger's password did nothing
    with pytest.raises(AuthError, match="Wrong"):
        accounts.login("owner@example.com", "An0ther-pass!", "198.51.100.2")
    accounts.reset_password(_link(taken.body, "reset=").split("reset=")[1], "Fresh-start-42!")
    accounts.login("owner@example.com", "Fresh-start-42!", "198.51.100.3")
    # an unverified sign-up that has not expired is an account too (no second sign-up)
    again = accounts.register("new@example.com", "Squatt3r-pass!", "198.51.100.4")
    assert again.user_id is None and again.kind == "exists"
    with pytest.raises(AuthError):
        accounts.register("not-an-email", GOOD, "198.51.100.1")  # shape errors still show


@pytest.mark.integration
def test_an_expired_unverified_sign_up_is_replaced_and_purged(accounts, mongo_db):
    squat = accounts.register("victim@example.com", "Squatt3r-pass!", "198.51.100.66")
    users = mongo_db["users"]
    assert users.find_one({"_id": squat.user_id})["unverified_expires_at"]
    past = datetime.now(UTC) - timedelta(minutes=1)
    users.update_one({"_id": squat.user_id}, {"$set": {"unverified_expires_at": past}})
    with pytest.raises(AuthError, match="expired"):  # its old link is dead too
        accounts.verify_email(_link(squat.body, "verify=").split("verify=")[1])
    mine = accounts.register("victim@example.com", GOOD, "203.0.113.5")
    assert mine.kind == "verify" and mine.user_id != squat.user_id
    assert users.find_one({"_id": squat.user_id}) is None
    user = accounts.verify_email(_link(mine.body, "verify=").split("verify=")[1])
    assert "unverified_expires_at" not in users.find_one({"_id": user.id})  # never expires now
    accounts.login("victim@example.com", GOOD, "203.0.113.5")
    # the purge (FerretDB has no TTL indexes) drops expired sign-ups, never a verified account
    other = accounts.register("late@example.com", GOOD, "203.0.113.6")
    users.update_one({"_id": other.user_id}, {"$set": {"unverified_expires_at": past}})
    users.update_one({"_id": user.id}, {"$set": {"unverified_expires_at": past}})
    accounts.purge_expired()
    assert users.find_one({"_id": other.user_id}) is None
    assert users.find_one({"_id": user.id}) is not None


@pytest.mark.integration
def test_sign_ups_and_mails_are_limited_per_client_and_per_address(accounts):
    for i in range(limits.SIGNUPS_PER_CLIENT.limit):
        accounts.register(f"bulk{i}@example.com", GOOD, "198.51.100.8")
    with pytest.raises(RateLimited, match="Too many sign-ups from your network"):
        accounts.register("bulk-more@example.com", GOOD, "198.51.100.8")
    # one address, asked from many clients: its mails are capped (known or not)
    for i in range(limits.MAILS_PER_ADDRESS.limit):
        accounts.reset_mail_for("target@example.com", f"203.0.113.{i}")
    with pytest.raises(RateLimited, match="sent several mails to this address"):
        accounts.reset_mail_for("target@example.com", "203.0.113.200")
    with pytest.raises(RateLimited, match="sent several mails to this address"):
        accounts.register("target@example.com", GOOD, "203.0.113.201")
    # the confirmation mail again: counted in Mongo, not in a browser session
    accounts.register("wait@example.com", GOOD, "192.0.2.1")
    for _ in range(limits.MAILS_PER_ADDRESS.limit - 1):
        assert accounts.verification_mail_for("wait@example.com", "192.0.2.1") is not None
    with pytest.raises(RateLimited):
        accounts.verification_mail_for("wait@example.com", "192.0.2.2")


# --- password reset and change --------------------------------------------------------------
@pytest.mark.integration
def test_a_reset_link_works_once_and_expires(accounts, mongo_db):
    user = _verified(accounts)
    _, session = accounts.login("me@example.com", GOOD, "ip")
    assert accounts.reset_mail_for("nobody@example.com", "ip") is None  # nothing to send
    to, subject, body = accounts.reset_mail_for("ME@example.com", "ip")
    assert to == "me@example.com" and "Reset" in subject
    token = _link(body, "reset=").split("reset=")[1]
    _, _, newer_body = accounts.reset_mail_for("me@example.com", "ip")
    newer = _link(newer_body, "reset=").split("reset=")[1]
    with pytest.raises(AuthError, match="expired"):
        accounts.reset_password(token, "N3w-password!", max_age=timedelta(seconds=-1))
    with pytest.raises(AuthError, match="too weak"):
        accounts.reset_password(token, "short")  # a weak password does not use up the link
    with pytest.raises(AuthError, match="not valid"):
        accounts.reset_password(token[:-3] + "abc", "N3w-password!")
    assert accounts.reset_password(token, "N3w-password!").id == user.id
    assert accounts.session_user(session) is None  # every session ended
    with pytest.raises(AuthError, match="used already"):
        accounts.reset_password(token, "Th1rd-password!")
    with pytest.raises(AuthError, match="used already"):
        accounts.reset_password(newer, "Th1rd-password!")  # older links die with the change
    accounts.login("me@example.com", "N3w-password!", "ip")
    with pytest.raises(AuthError, match="Wrong"):
        accounts.login("me@example.com", GOOD, "ip2")


@pytest.mark.integration
def test_two_parallel_uses_of_one_reset_link_set_one_password(accounts):
    _verified(accounts)
    _, _, body = accounts.reset_mail_for("me@example.com", "ip")
    token = _link(body, "reset=").split("reset=")[1]

    start = threading.Barrier(8)

    def use(password: str) -> str | None:
        start.wait()  # all at once
        try:
            accounts.reset_password(token, password)
            return password
        except AuthError:
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        winners = [p for p in pool.map(use, [f"Parallel-{i}-pass!" for i in range(8)]) if p]
    assert len(winners) == 1
    accounts.login("me@example.com", winners[0], "ip")


@pytest.mark.integration
def test_password_change_checks_the_current_one_and_ends_other_sessions(accounts):
    user = _verified(accounts)
    _, here = accounts.login("me@example.com", GOOD, "ip")
    _, elsewhere = accounts.login("me@example.com", GOOD, "ip2")
    with pytest.raises(AuthError, match="current password is not right"):
        accounts.change_password(user.id, "wrong", "N3w-password!", "ip", here)
    with pytest.raises(AuthError, match="same as the current"):
        accounts.change_password(user.id, GOOD, GOOD, "ip", here)
    assert accounts.change_password(user.id, GOOD, "N3w-password!", "ip", here) == 1
    assert accounts.session_user(here).id == user.id
    assert accounts.session_user(elsewhere) is None
    accounts.login("me@example.com", "N3w-password!", "ip3")
    # guessing the current password from a stolen session is limited like a login
    for _ in range(limits.PAIR.free):
        with pytest.raises(AuthError):
            accounts.change_password(user.id, "guess", "An0ther-pass!", "ip9", here)
    with pytest.raises(RateLimited):
        accounts.change_password(user.id, "N3w-password!", "An0ther-pass!", "ip9", here)


# --- idle sessions and the purge that stands in for TTL indexes -------------------------------
@pytest.mark.integration
def test_an_idle_session_ends_and_use_keeps_one_alive(accounts, mongo_db):
    _verified(accounts)
    _, token = accounts.login("me@example.com", GOOD, "ip")
    sessions = mongo_db["sessions"]
    doc = sessions.find_one()
    now = datetime.now(UTC)
    # used a minute ago: no write (last_seen is written at most every few minutes)
    sessions.update_one({"_id": doc["_id"]}, {"$set": {"last_seen": now - timedelta(minutes=1)}})
    assert accounts.session_user(token) is not None
    assert sessions.find_one()["last_seen"] < (now - timedelta(seconds=30))
    # used 23 h ago: still alive, and the use moves last_seen and expires_at forward
    sessions.update_one({"_id": doc["_id"]}, {"$set": {"last_seen": now - timedelta(hours=23)}})
    assert accounts.session_user(token) is not None
    touched = sessions.find_one()
    assert touched["last_seen"] > (now - timedelta(minutes=1))
    assert touched["expires_at"] > (now + timedelta(hours=23))
    # unused for longer than the idle timeout (24 h): it ends and its document goes
    sessions.update_one({"_id": doc["_id"]}, {"$set": {"last_seen": now - timedelta(hours=25)}})
    assert accounts.session_user(token) is None
    assert sessions.count_documents({}) == 0


@pytest.mark.integration
def test_the_idle_timeout_follows_the_setting(mongo_db):
    short = Accounts(mongo_db, "test-secret", session_idle=timedelta(seconds=2))
    short.sign_up("me@example.com", GOOD)
    short.verify_email(short.verification_token("me@example.com"))
    _, token = short.login("me@example.com", GOOD, "ip")
    assert short.session_user(token) is not None
    time.sleep(2.5)
    assert short.session_user(token) is None


@pytest.mark.integration
def test_expired_documents_go_by_ttl_index_or_by_the_purge(accounts, mongo_db):
    indexes = mongo_db["sessions"].index_information()
    ttl = any("expireAfterSeconds" in spec for spec in indexes.values())
    info = mongo_db.client.server_info()
    if "ferretdb" in str(info).lower() or not ttl:
        assert not ttl  # FerretDB 1.24 refuses TTL indexes (NotImplemented): the purge works
    past = datetime.now(UTC) - timedelta(seconds=1)
    future = datetime.now(UTC) + timedelta(hours=1)
    mongo_db["sessions"].insert_many(
        [
            {"_id": "old", "user_id": "u", "expires_at": past},
            {"_id": "live", "user_id": "u", "expires_at": future},
        ]
    )
    mongo_db["login_attempts"].insert_many(
        [
            {"_id": "client:old#1", "key": "client:old", "n": 1, "expires_at": past},
            {"_id": "client:live#1", "key": "client:live", "n": 1, "expires_at": future},
        ]
    )
    accounts.purge_expired()
    assert [d["_id"] for d in mongo_db["sessions"].find()] == ["live"]
    assert [d["_id"] for d in mongo_db["login_attempts"].find()] == ["client:live#1"]


@pytest.mark.integration
def test_parallel_sign_ups_cannot_exceed_the_window(accounts):
    def sign_up(i: int) -> bool:
        try:
            accounts.register(f"burst{i}@example.com", GOOD, "198.51.100.77")
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        admitted = sum(pool.map(sign_up, range(32)))
    assert 1 <= admitted <= limits.SIGNUPS_PER_CLIENT.limit
