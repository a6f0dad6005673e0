"""Identity-provider logins on a fresh Mongo database of the test stack: accounts keyed by
issuer + subject, a verified e-mail required, no takeover of an existing account through the
provider, linking only after the owner proves it (a single-use mailed link, or logged in), and
linking ends the account's other sessions. In the browser: tests/e2e/test_provider_login_e2e.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from streamlit_app.auth import Accounts, AuthError, LinkNeeded
from streamlit_app.auth.identities import Identity, IdentityStore

GOOD = "Tr3nd-watcher!"
ISS = "https://idp.example.com"


@pytest.fixture
def accounts(mongo_db):
    a = Accounts(mongo_db, "test-secret", [Fernet.generate_key().decode()])
    a.ensure_indexes()
    return a


def claims(sub: str, email: str, verified=True, iss: str = ISS) -> dict:
    """st.user's claims of one fresh provider login (each login has its own nonce)."""
    info = {"iss": iss, "sub": sub, "email": email, "iat": 1_700_000_000, "is_logged_in": True}
    info["nonce"] = uuid.uuid4().hex
    if verified is not None:
        info["email_verified"] = verified
    return info


def password_account(accounts: Accounts, email: str, verified: bool = True) -> str:
    user = accounts.sign_up(email, GOOD)
    if verified:
        accounts.verify_email(accounts.verification_token(email))
    return user.id


def mailed_token(exc: pytest.ExceptionInfo) -> str:
    assert isinstance(exc.value, LinkNeeded) and exc.value.token
    return exc.value.token


@pytest.mark.integration
@pytest.mark.parametrize("verified", [False, None, "false", 0])
def test_an_unverified_or_missing_email_verified_claim_is_refused(accounts, mongo_db, verified):
    with pytest.raises(AuthError, match="has not confirmed that new@example.com is yours"):
        accounts.provider_login(claims("s1", "new@example.com", verified))
    assert mongo_db["users"].count_documents({}) == 0
    assert mongo_db["sessions"].count_documents({}) == 0


@pytest.mark.integration
def test_first_login_creates_a_verified_account_keyed_by_issuer_and_subject(accounts, mongo_db):
    user, token = accounts.provider_login(claims("s1", "New@Example.com", "true"))
    assert user.email == "new@example.com" and user.verified
    assert accounts.session_user(token) == user
    doc = mongo_db["users"].find_one({"_id": user.id})
    assert "password_hash" not in doc
    assert mongo_db["identities"].find_one({"user_id": user.id})["sub"] == "s1"
    # the identity opens the account, whatever e-mail the provider says next time
    again, _ = accounts.provider_login(claims("s1", "renamed@example.com"))
    assert again.id == user.id
    # the same issuer's subject at another issuer is another identity
    with pytest.raises(LinkNeeded):
        accounts.provider_login(claims("s1", "new@example.com", iss="https://other.example"))


@pytest.mark.integration
def test_one_provider_login_opens_one_session_only(accounts):
    info = claims("s1", "new@example.com")
    user, token = accounts.provider_login(info)
    accounts.logout(token)  # e.g. ended by linking elsewhere: Streamlit's cookie stays
    assert accounts.provider_login(info) is None
    assert accounts.provider_login(claims("s1", "new@example.com"))[0].id == user.id


@pytest.mark.integration
def test_provider_login_never_takes_over_a_password_account(accounts, mongo_db):
    victim = password_account(accounts, "victim@example.com")
    before = mongo_db["users"].find_one({"_id": victim})
    with pytest.raises(LinkNeeded, match="already exists") as exc:
        accounts.provider_login(claims("attacker", "victim@example.com"))
    assert mailed_token(exc)
    assert mongo_db["users"].find_one({"_id": victim}) == before
    assert mongo_db["sessions"].count_documents({}) == 0
    assert mongo_db["identities"].count_documents({}) == 0
    # asking again within minutes mails no second link
    with pytest.raises(LinkNeeded, match="a few minutes ago") as again:
        accounts.provider_login(claims("attacker", "victim@example.com"))
    assert again.value.token is None


@pytest.mark.integration
def test_an_unverified_sign_up_is_neither_verified_nor_opened_by_the_provider(accounts, mongo_db):
    squatter = password_account(accounts, "victim@example.com", verified=False)
    with pytest.raises(LinkNeeded) as exc:
        accounts.provider_login(claims("victim-sub", "victim@example.com"))
    doc = mongo_db["users"].find_one({"_id": squatter})
    assert doc["verified"] is False and doc["password_hash"]
    # the owner proves the address by the mailed link: the unproven account is replaced
    owner_login = claims("victim-sub", "victim@example.com")
    user, token = accounts.provider_login(owner_login, mailed_token(exc))
    assert user.id != squatter and user.verified
    assert mongo_db["users"].find_one({"_id": squatter}) is None
    assert "password_hash" not in mongo_db["users"].find_one({"_id": user.id})
    with pytest.raises(AuthError, match="Wrong e-mail or password"):
        accounts.login("victim@example.com", GOOD, "1.2.3.4")  # the squatter's password is gone


@pytest.mark.integration
def test_the_mailed_link_links_once_and_ends_the_accounts_other_sessions(accounts, mongo_db):
    owner = password_account(accounts, "me@example.com")
    _, old_session = accounts.login("me@example.com", GOOD, "1.2.3.4")
    with pytest.raises(LinkNeeded) as exc:
        accounts.provider_login(claims("me-sub", "me@example.com"))
    token = mailed_token(exc)
    # only the identity that asked can use it
    with pytest.raises(AuthError, match="signed in as the same identity"):
        accounts.provider_login(claims("someone-else", "me@example.com"), token)
    user, session = accounts.provider_login(claims("me-sub", "me@example.com"), token)
    assert user.id == owner
    assert accounts.session_user(old_session) is None
    assert accounts.session_user(session) == user
    with pytest.raises(AuthError, match="already been used"):
        accounts.provider_login(claims("me-sub", "me@example.com"), token)
    assert accounts.provider_login(claims("me-sub", "me@example.com"))[0].id == owner
    assert accounts.login("me@example.com", GOOD, "1.2.3.4")[0].id == owner  # password kept
    assert [p["iss"] for p in accounts.linked_providers(owner)] == [ISS]


@pytest.mark.integration
def test_mailed_links_are_signed_and_expire(accounts, mongo_db):
    password_account(accounts, "me@example.com")
    with pytest.raises(LinkNeeded) as exc:
        accounts.provider_login(claims("me-sub", "me@example.com"))
    token = mailed_token(exc)
    with pytest.raises(AuthError, match="not valid"):
        accounts.provider_login(claims("me-sub", "me@example.com"), token[:-2] + "xx")
    with pytest.raises(AuthError, match="not valid"):
        Accounts(mongo_db, "another-secret").provider_login(claims("me-sub", "x@y.org"), token)
    store = IdentityStore(mongo_db, "test-secret")
    with pytest.raises(AuthError, match="expired"):
        store.take_mail_link(token, Identity(ISS, "me-sub"), max_age=timedelta(seconds=-1))
    assert mongo_db["identities"].count_documents({}) == 0


@pytest.mark.integration
def test_a_second_identity_with_the_same_email_cannot_open_a_linked_account(accounts, mongo_db):
    first, _ = accounts.provider_login(claims("first", "me@example.com"))
    with pytest.raises(LinkNeeded):
        accounts.provider_login(claims("second", "me@example.com"))
    assert mongo_db["sessions"].count_documents({"user_id": first.id}) == 1
    assert mongo_db["identities"].count_documents({}) == 1


@pytest.mark.integration
def test_a_logged_in_owner_links_a_provider_and_other_sessions_end(accounts, mongo_db):
    owner = password_account(accounts, "me@example.com")
    _, here = accounts.login("me@example.com", GOOD, "1.2.3.4")
    _, elsewhere = accounts.login("me@example.com", GOOD, "5.6.7.8")
    came_back = claims("work-sub", "me@work.example")  # another e-mail is fine: both proven
    assert accounts.finish_provider_link(owner, here, came_back) is False  # nobody asked
    accounts.begin_provider_link(owner, here)
    assert accounts.finish_provider_link(owner, here, came_back) is True
    assert accounts.session_user(here).id == owner
    assert accounts.session_user(elsewhere) is None
    assert accounts.finish_provider_link(owner, here, came_back) is False  # used up
    # the login that came back already has its session: it opens no second one
    assert accounts.provider_login(came_back) is None
    assert accounts.provider_login(claims("work-sub", "me@work.example"))[0].id == owner


@pytest.mark.integration
def test_linking_from_settings_refuses_an_identity_of_another_account(accounts):
    other, _ = accounts.provider_login(claims("taken", "other@example.com"))
    owner = password_account(accounts, "me@example.com")
    _, here = accounts.login("me@example.com", GOOD, "1.2.3.4")
    accounts.begin_provider_link(owner, here)
    with pytest.raises(AuthError, match="another TweekTrend account"):
        accounts.finish_provider_link(owner, here, claims("taken", "me@example.com"))
    assert accounts.provider_login(claims("taken", "other@example.com"))[0].id == other.id
    accounts.begin_provider_link(owner, here)
    with pytest.raises(AuthError, match="has not confirmed"):
        accounts.finish_provider_link(owner, here, claims("new", "me@example.com", False))
    assert accounts.linked_providers(owner) == []
    with pytest.raises(AuthError, match="log in again"):
        accounts.begin_provider_link(owner, "forged-token")


@pytest.mark.integration
def test_many_identities_claiming_one_address_mail_it_a_few_times_an_hour(accounts, mongo_db):
    password_account(accounts, "victim@example.com")
    tokens = []
    for n in range(5):
        with pytest.raises(LinkNeeded) as exc:
            accounts.provider_login(claims(f"sub-{n}", "victim@example.com"))
        tokens.append(exc.value.token)
    assert [t is not None for t in tokens] == [True, True, True, False, False]
    assert mongo_db["provider_links"].count_documents({"kind": "mail"}) == 3


@pytest.mark.integration
def test_expired_link_requests_and_old_logins_are_purged_as_new_ones_come(accounts, mongo_db):
    from datetime import UTC, datetime

    past = datetime(2020, 1, 1, tzinfo=UTC)
    mongo_db["provider_links"].insert_one({"_id": "old", "kind": "mail", "expires_at": past})
    mongo_db["provider_logins"].insert_one({"_id": "old", "user_id": "u", "expires_at": past})
    password_account(accounts, "me@example.com")
    with pytest.raises(LinkNeeded):
        accounts.provider_login(claims("me-sub", "me@example.com"))
    accounts.provider_login(claims("new-sub", "new@example.com"))
    assert mongo_db["provider_links"].find_one({"_id": "old"}) is None
    assert mongo_db["provider_logins"].find_one({"_id": "old"}) is None
    assert mongo_db["provider_logins"].count_documents({}) == 1


@pytest.mark.integration
def test_an_identity_is_unlinked_unless_it_is_the_only_way_in(accounts, mongo_db):
    only, _ = accounts.provider_login(claims("only", "solo@example.com"))
    [provider] = accounts.linked_providers(only.id)
    with pytest.raises(AuthError, match="only way into your account"):
        accounts.unlink_provider(only.id, provider["key"], None)
    assert len(accounts.linked_providers(only.id)) == 1

    owner = password_account(accounts, "me@example.com")
    _, here = accounts.login("me@example.com", GOOD, "1.2.3.4")
    accounts.begin_provider_link(owner, here)
    accounts.finish_provider_link(owner, here, claims("work-sub", "me@example.com"))
    _, through_provider = accounts.provider_login(claims("work-sub", "me@example.com"))
    [linked] = accounts.linked_providers(owner)
    accounts.unlink_provider(only.id, linked["key"], None)  # another account's: nothing happens
    assert accounts.linked_providers(owner) == [linked]
    accounts.unlink_provider(owner, linked["key"], here)
    assert accounts.linked_providers(owner) == []
    assert accounts.session_user(through_provider) is None and accounts.session_user(here)
    with pytest.raises(LinkNeeded):  # the identity no longer opens the account
        accounts.provider_login(claims("work-sub", "me@example.com"))
