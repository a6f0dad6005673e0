"""The account rules that need no server: password and e-mail checks, the rate-limit message,
the key files and data keys (TWEEKTREND_SECRET_KEY / TWEEKTREND_DATA_KEY read through Settings),
the cipher and the signed tokens. The database side: tests/integration/test_auth*.py."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from itsdangerous import BadSignature, SignatureExpired

from streamlit_app.auth import RateLimited, key_files
from streamlit_app.auth.cipher import DataCipher, data_cipher
from streamlit_app.auth.passwords import email_problem, normalize_email, password_problems
from streamlit_app.auth.tokens import Signer
from tweektrend_dagster.config import Settings

GOOD = "Tr3nd-watcher!"


def _key() -> str:
    return Fernet.generate_key().decode()


def _settings(tmp_path) -> Settings:
    return replace(Settings.from_env(), home=tmp_path)


# --- passwords and e-mails ---------------------------------------------------------------------
def test_password_rules_explain_what_is_wrong():
    assert password_problems(GOOD, "me@example.com") == []
    assert any("10 characters" in p for p in password_problems("Ab1!", ""))
    assert any("two of" in p for p in password_problems("onlylowercaseletters", ""))
    assert any("common" in p for p in password_problems("password123", ""))
    assert any("e-mail name" in p for p in password_problems("minsu-2024-secret", "minsu@x.kr"))


def test_email_check():
    assert email_problem("a@example.com") is None
    assert email_problem("not-an-email") is not None
    assert normalize_email("  Me@Example.COM ") == "me@example.com"


def test_rate_limited_message_says_how_long():
    assert "30 seconds" in str(RateLimited(29.6))
    assert "15 minutes" in str(RateLimited(900))


# --- the key source ----------------------------------------------------------------------------
def test_data_key_file_is_made_once_with_owner_only_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv(key_files.DATA_KEY_ENV, raising=False)
    keys = key_files.load_data_keys(_settings(tmp_path))
    path = tmp_path / "data_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(keys) == 1 and key_files.load_data_keys(_settings(tmp_path)) == keys
    assert keys[0] != key_files.load_secret(_settings(tmp_path))  # not the signing key
    data_cipher(keys)  # a valid Fernet key


def test_data_keys_from_env_in_rotation_order(tmp_path, monkeypatch):
    new, old = _key(), _key()
    monkeypatch.setenv(key_files.DATA_KEY_ENV, f" {new} ,{old},")
    assert key_files.load_data_keys(_settings(tmp_path)) == [new, old]
    assert not (tmp_path / "data_key").exists()


def test_signing_key_from_env_else_one_file_shared_by_every_call(tmp_path, monkeypatch):
    monkeypatch.setenv("TWEEKTREND_SECRET_KEY", "from-the-environment")
    assert key_files.load_secret(_settings(tmp_path)) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.delenv("TWEEKTREND_SECRET_KEY")
    made = key_files.load_secret(_settings(tmp_path))
    assert len(made) >= 48 and key_files.load_secret(_settings(tmp_path)) == made
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_bad_data_key_error_names_position_not_key_material():
    bad = "not-a-fernet-key-0123456789"
    with pytest.raises(ValueError, match="key 2 of 2") as info:
        data_cipher([_key(), bad])
    assert bad not in str(info.value) and info.value.__cause__ is None
    assert info.value.__suppress_context__
    with pytest.raises(ValueError, match="No data encryption key"):
        data_cipher([])


# --- the cipher and the tokens -----------------------------------------------------------------
def test_cipher_says_when_an_older_key_opened_the_token():
    old, new = _key(), _key()
    token = DataCipher([old]).seal({"a": "b"})
    assert DataCipher([new, old]).unseal(token) == ({"a": "b"}, True)
    assert DataCipher([old, new]).unseal(token) == ({"a": "b"}, False)
    with pytest.raises(RuntimeError, match="TWEEKTREND_DATA_KEY"):
        DataCipher([]).seal({"a": "b"})


def test_tokens_of_one_kind_never_pass_as_the_other_or_under_another_key():
    signer = Signer("secret")
    verify = signer.verification_token("me@example.com")
    session = signer.session_token("sid")
    assert signer.verified_email(verify, timedelta(hours=1)) == "me@example.com"
    assert signer.session_id(session, timedelta(days=1)) == "sid"
    with pytest.raises(BadSignature):
        signer.session_id(verify)
    with pytest.raises(BadSignature):
        signer.verified_email(session, timedelta(hours=1))
    with pytest.raises(BadSignature):
        Signer("other").session_id(session)
    with pytest.raises(SignatureExpired):
        signer.verified_email(verify, timedelta(seconds=-1))
