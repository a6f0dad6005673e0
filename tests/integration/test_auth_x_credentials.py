"""Users' X API keys are encrypted at rest: the Accounts round trips on a fresh Mongo database
of the test stack (key loading and the cipher, pure: tests/unit/test_auth_rules.py)."""

from __future__ import annotations

import json

import bson
import pytest
from cryptography.fernet import Fernet

from streamlit_app.auth import Accounts
from streamlit_app.auth.x_keys import LEGACY_X_CREDS_FIELD, X_CREDS_FIELD

GOOD = "Tr3nd-watcher!"
# long, distinctive values so "not in the raw document" can only pass when they are encrypted
KEYS = {
    "consumer_key": "ck-7d1e0f5a9b3c4e21",
    "consumer_secret": "cs-2b8f6a0d4c1e9f73a5",
    "access_token": "at-5e3c9a1f7b2d0e84c6",
    "access_token_secret": "ats-8a4d2f6c0e1b9d37f5",
}


def _key() -> str:
    return Fernet.generate_key().decode()


# --- Accounts on the test stack ----------------------------------------------------------------
@pytest.fixture
def user_id(mongo_db):
    accounts = Accounts(mongo_db, "test-secret")
    return accounts.sign_up("x@example.com", GOOD).id


def _raw(mongo_db, user_id: str) -> bytes:
    return bson.encode(mongo_db["users"].find_one({"_id": user_id}))


def _assert_no_plaintext(mongo_db, user_id: str) -> None:
    raw = _raw(mongo_db, user_id)
    for value in KEYS.values():
        assert value.encode() not in raw
    assert LEGACY_X_CREDS_FIELD.encode() + b"\x00" not in raw  # no plaintext field left


@pytest.mark.integration
def test_saved_keys_round_trip_and_are_not_stored_in_plaintext(mongo_db, user_id):
    key = _key()
    accounts = Accounts(mongo_db, "test-secret", [key])
    assert accounts.x_credentials_state(user_id) == "none"
    accounts.set_x_credentials(user_id, KEYS)
    assert accounts.x_credentials(user_id) == KEYS
    assert accounts.x_credentials_state(user_id) == "saved"
    assert accounts.user(user_id).has_x_credentials
    _assert_no_plaintext(mongo_db, user_id)
    token = mongo_db["users"].find_one({"_id": user_id})[X_CREDS_FIELD]
    assert key.encode() not in _raw(mongo_db, user_id)
    assert json.loads(Fernet(key).decrypt(token.encode())) == KEYS
    accounts.set_x_credentials(user_id, None)
    assert accounts.x_credentials(user_id) is None
    assert not accounts.user(user_id).has_x_credentials
    assert X_CREDS_FIELD not in mongo_db["users"].find_one({"_id": user_id})


@pytest.mark.integration
def test_legacy_plaintext_is_read_and_encrypted_on_read(mongo_db, user_id):
    users = mongo_db["users"]
    users.update_one({"_id": user_id}, {"$set": {LEGACY_X_CREDS_FIELD: KEYS}})
    accounts = Accounts(mongo_db, "test-secret", [_key()])
    assert accounts.user(user_id).has_x_credentials
    assert accounts.x_credentials(user_id) == KEYS
    _assert_no_plaintext(mongo_db, user_id)
    assert accounts.x_credentials(user_id) == KEYS  # now from the encrypted field


@pytest.mark.integration
def test_legacy_plaintext_is_encrypted_by_the_start_up_sweep(mongo_db, user_id):
    users = mongo_db["users"]
    users.update_one({"_id": user_id}, {"$set": {LEGACY_X_CREDS_FIELD: KEYS}})
    accounts = Accounts(mongo_db, "test-secret", [_key()])
    assert accounts.encrypt_legacy_x_credentials() == 1
    _assert_no_plaintext(mongo_db, user_id)
    assert accounts.encrypt_legacy_x_credentials() == 0
    assert accounts.x_credentials(user_id) == KEYS


@pytest.mark.integration
def test_keys_under_a_lost_data_key_read_as_none_not_an_error(mongo_db, user_id):
    Accounts(mongo_db, "test-secret", [_key()]).set_x_credentials(user_id, KEYS)
    other = Accounts(mongo_db, "test-secret", [_key()])
    assert other.x_credentials(user_id) is None
    assert other.x_credentials_state(user_id) == "unreadable"
    assert Accounts(mongo_db, "test-secret").x_credentials_state(user_id) == "unreadable"
    mongo_db["users"].update_one({"_id": user_id}, {"$set": {X_CREDS_FIELD: "garbage"}})
    assert other.x_credentials_state(user_id) == "unreadable"
    other.set_x_credentials(user_id, KEYS)  # entering them again works
    assert other.x_credentials(user_id) == KEYS


@pytest.mark.integration
def test_rotation_old_key_still_decrypts_and_new_writes_use_the_first(mongo_db, user_id):
    old, new = _key(), _key()
    Accounts(mongo_db, "test-secret", [old]).set_x_credentials(user_id, KEYS)
    rotated = Accounts(mongo_db, "test-secret", [new, old])
    assert rotated.x_credentials(user_id) == KEYS
    # that read re-encrypted the token with the first key, so the old one can be retired
    assert Accounts(mongo_db, "test-secret", [new]).x_credentials(user_id) == KEYS
    rotated.set_x_credentials(user_id, {**KEYS, "access_token": "at-rotated-0001"})
    assert Accounts(mongo_db, "test-secret", [old]).x_credentials_state(user_id) == "unreadable"
    assert Accounts(mongo_db, "test-secret", [new]).x_credentials(user_id)["access_token"] == (
        "at-rotated-0001"
    )
