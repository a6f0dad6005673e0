"""The claims a provider login must carry (streamlit_app/auth/oidc.py): issuer, subject and an
e-mail the provider says is verified; the login's key names one login, not one identity."""

from __future__ import annotations

import pytest

from streamlit_app.auth import AuthError
from streamlit_app.auth.oidc import ProviderClaims

BASE = {
    "iss": "https://idp.example",
    "sub": "42",
    "email": "Me@Example.com",
    "iat": 1,
    "nonce": "x",
}


@pytest.mark.parametrize("verified", [True, "true", "True"])
def test_a_verified_email_is_accepted_lower_cased(verified):
    claims = ProviderClaims.parse({**BASE, "email_verified": verified})
    assert (claims.identity.iss, claims.identity.sub) == ("https://idp.example", "42")
    assert claims.email == "me@example.com"


@pytest.mark.parametrize("verified", [False, "false", 0, 1, "yes", None, ""])
def test_anything_but_true_is_refused_with_the_reason(verified):
    with pytest.raises(AuthError, match="has not confirmed that me@example.com is yours"):
        ProviderClaims.parse({**BASE, "email_verified": verified})


def test_a_missing_email_verified_claim_is_refused():
    with pytest.raises(AuthError, match="has not confirmed"):
        ProviderClaims.parse(BASE)


@pytest.mark.parametrize("missing", ["iss", "sub"])
def test_no_issuer_or_subject_no_login(missing):
    info = {**BASE, "email_verified": True}
    del info[missing]
    with pytest.raises(AuthError, match="did not say who you are"):
        ProviderClaims.parse(info)


def test_no_or_malformed_email_is_refused():
    with pytest.raises(AuthError, match="did not share your e-mail"):
        ProviderClaims.parse({**BASE, "email": "", "email_verified": True})
    with pytest.raises(AuthError):
        ProviderClaims.parse({**BASE, "email": "not-an-address", "email_verified": True})


def test_each_login_has_its_own_key_and_each_identity_its_own():
    first = ProviderClaims.parse({**BASE, "email_verified": True})
    later = ProviderClaims.parse({**BASE, "email_verified": True, "iat": 2, "nonce": "m"})
    other = ProviderClaims.parse({**BASE, "email_verified": True, "iss": "https://other"})
    assert first.identity == later.identity and first.login_key != later.login_key
    assert other.identity != first.identity and other.identity.key != first.identity.key
