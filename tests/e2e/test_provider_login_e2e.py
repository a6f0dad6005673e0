"""Provider logins through st.login in headless Chromium, against a local OIDC provider
(oidc-provider-mock, whose users' claims each test sets) and the real stack: an unconfirmed
e-mail is refused; a provider that vouches for someone else's address does not take over their
password account; the owner links by the mailed link (in the signed-in browser) or from
Settings, which ends the account's other sessions, and can unlink it; a second identity with
the same e-mail does not get into an account linked to the first. The account rules:
tests/integration/test_oidc_accounts.py."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.browser import PASSWORD, expect, log_in, make_user, new_page, wait_logged_in
from tests.e2e.dashboard_server import CHROMIUM, free_port, running_dashboard

pytestmark = pytest.mark.e2e
PROVIDER_BUTTON = "Continue with your identity provider"


@pytest.fixture(scope="module")
def provider():
    """A local OIDC provider on 127.0.0.1; any client id is accepted."""
    mock = pytest.importorskip("oidc_provider_mock")
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def dash(stack_settings, provider, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install -y chromium")
    auth = {
        "client_id": "tweektrend",
        "client_secret": uuid.uuid4().hex,
        "server_metadata_url": f"{provider}/.well-known/openid-configuration",
    }
    with running_dashboard(stack_settings, tmp_path_factory.mktemp("oidc"), auth) as d:
        yield d


def provider_user(provider: str, sub: str, email: str, verified: bool) -> None:
    """What the provider will say about `sub` (a provider that vouches for any address)."""
    body = json.dumps({"email": email, "email_verified": verified}).encode()
    req = urllib.request.Request(
        f"{provider}/users/{sub}",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 204


def sign_in_at_provider(page, provider: str, sub: str) -> None:
    """On the provider's authorization page (after st.login): authorize as `sub`."""
    page.wait_for_url(f"{provider}/oauth2/authorize**")
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def provider_login(browser, dash, provider: str, sub: str):
    """A new browser that signs in through the provider as `sub`; back on the dashboard."""
    page = new_page(browser)
    page.goto(dash.url)
    page.get_by_role("button", name=PROVIDER_BUTTON).click()
    sign_in_at_provider(page, provider, sub)
    page.wait_for_url(f"{dash.url}/**")
    return page


def sessions_of(dash, email: str) -> int:
    user = dash.db["users"].find_one({"email": email})
    return dash.db["sessions"].count_documents({"user_id": user["_id"]}) if user else 0


def link_mail(dash, email: str) -> str:
    mails = [m for m in dash.mails(email) if "identity provider" in m.subject]
    assert mails, f"no link mail reached {email}"
    return next(u for u in mails[-1].links if "link_provider=" in u)


def test_a_login_without_a_confirmed_email_is_refused(dash, browser, provider):
    email = f"unconfirmed-{uuid.uuid4().hex[:6]}@example.com"
    provider_user(provider, "unconfirmed", email, verified=False)
    page = provider_login(browser, dash, provider, "unconfirmed")
    expect(page.get_by_text(f"has not confirmed that {email} is yours")).to_be_visible()
    expect(page.get_by_text("Logged in as")).to_have_count(0)
    assert dash.db["users"].find_one({"email": email}) is None
    page.context.close()


def test_a_provider_cannot_take_over_a_password_account_the_owner_links_by_mail(
    dash, browser, provider
):
    victim = f"victim-{uuid.uuid4().hex[:6]}@example.com"
    make_user(dash, victim, ["bts"])
    before = dash.db["users"].find_one({"email": victim})
    owner_elsewhere = new_page(browser)  # the owner's password session on another device
    log_in(owner_elsewhere, dash.url, victim, PASSWORD)
    wait_logged_in(owner_elsewhere, victim)

    # the attacker's provider vouches for the victim's address
    provider_user(provider, "attacker", victim, verified=True)
    attacker = provider_login(browser, dash, provider, "attacker")
    expect(attacker.get_by_text(f"An account with {victim} already exists")).to_be_visible()
    attacker.reload()
    expect(attacker.get_by_text("Follow any keyword on X")).to_be_visible()
    expect(attacker.get_by_text("Logged in as")).to_have_count(0)
    assert dash.db["users"].find_one({"email": victim}) == before
    assert sessions_of(dash, victim) == 1  # the owner's own
    assert dash.db["identities"].count_documents({}) == 0
    attackers_link = link_mail(dash, victim)

    # the owner signs in with their own identity: refused too, and a link of their own
    provider_user(provider, "victim-sub", victim, verified=True)
    owner = provider_login(browser, dash, provider, "victim-sub")
    expect(owner.get_by_text(f"An account with {victim} already exists")).to_be_visible()
    owners_link = link_mail(dash, victim)
    assert owners_link != attackers_link
    # the link mailed for the attacker's identity does nothing in the owner's browser
    owner.goto(attackers_link)
    expect(owner.get_by_text("signed in as the same identity")).to_be_visible()
    assert dash.db["identities"].count_documents({}) == 0

    owner.goto(owners_link)
    wait_logged_in(owner, victim)
    linked = dash.db["identities"].find_one({"sub": "victim-sub"})
    assert linked["user_id"] == before["_id"]
    assert dash.db["users"].find_one({"email": victim})["password_hash"] == before["password_hash"]
    # linking ended the account's other sessions; the link works once
    owner_elsewhere.reload()
    expect(owner_elsewhere.get_by_role("heading", name="Log in")).to_be_visible()
    expect(owner_elsewhere.get_by_text(f"Logged in as {victim}")).to_have_count(0)
    owner.goto(owners_link)
    expect(owner.get_by_text("This link has already been used.")).to_be_visible()
    stranger = new_page(browser)  # a browser not signed in with the provider
    stranger.goto(owners_link)
    expect(stranger.get_by_text("Open this link in the browser where you")).to_be_visible()
    expect(stranger.get_by_text("Logged in as")).to_have_count(0)
    for page in (owner_elsewhere, attacker, owner, stranger):
        page.context.close()


def test_a_second_identity_with_the_same_email_stays_out(dash, browser, provider):
    email = f"first-{uuid.uuid4().hex[:6]}@example.com"
    provider_user(provider, "first-sub", email, verified=True)
    first = provider_login(browser, dash, provider, "first-sub")
    wait_logged_in(first, email)  # a first login creates the account, verified
    account = dash.db["users"].find_one({"email": email})
    assert account["verified"] and "password_hash" not in account

    provider_user(provider, "second-sub", email, verified=True)
    second = provider_login(browser, dash, provider, "second-sub")
    expect(second.get_by_text(f"An account with {email} already exists")).to_be_visible()
    expect(second.get_by_text("Logged in as")).to_have_count(0)
    assert sessions_of(dash, email) == 1
    assert dash.db["identities"].count_documents({"user_id": account["_id"]}) == 1
    first.context.close()
    second.context.close()


def test_a_logged_in_owner_links_a_provider_in_settings(dash, browser, provider):
    email = f"owner-{uuid.uuid4().hex[:6]}@example.com"
    make_user(dash, email, ["bts"])
    elsewhere = new_page(browser)
    log_in(elsewhere, dash.url, email, PASSWORD)
    wait_logged_in(elsewhere, email)
    page = new_page(browser)
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)

    provider_user(provider, "work-sub", f"work-{email}", verified=True)
    page.goto(f"{dash.url}/settings")
    page.get_by_role("button", name="Link an identity provider").click()
    sign_in_at_provider(page, provider, "work-sub")
    expect(page.get_by_text("Identity provider linked.")).to_be_visible()
    wait_logged_in(page, email)
    page.goto(f"{dash.url}/settings")
    expect(page.get_by_text(f"Linked: {provider}")).to_be_visible()
    assert sessions_of(dash, email) == 1
    elsewhere.reload()
    expect(elsewhere.get_by_role("heading", name="Log in")).to_be_visible()
    expect(elsewhere.get_by_text(f"Logged in as {email}")).to_have_count(0)

    # the linked identity now logs in to this account (its e-mail is another one)
    later = provider_login(browser, dash, provider, "work-sub")
    wait_logged_in(later, email)

    # unlinked, the identity's session ends too (Streamlit's identity cookie stays behind)
    page.goto(f"{dash.url}/settings")
    page.get_by_role("button", name="Unlink").click()
    expect(page.get_by_text(f"Linked: {provider}")).to_have_count(0)
    assert dash.db["identities"].count_documents({"sub": "work-sub"}) == 0
    later.goto(f"{dash.url}/settings")
    expect(later.get_by_role("heading", name="Log in")).to_be_visible()
    expect(later.get_by_text(f"Logged in as {email}")).to_have_count(0)
    for p in (elsewhere, page, later):
        p.context.close()
