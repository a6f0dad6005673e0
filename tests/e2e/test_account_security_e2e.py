"""Attacks on the accounts, in headless Chromium against a real dashboard on the test stack:
forged X-Forwarded-For headers mint no new clients (from an untrusted peer, and behind a trusted
proxy the right-most hop counts), sign-up of a taken address looks exactly like a new one and
mails the owner, a reset link works once and ends the account's sessions, a password change
ends the other sessions, an idle session ends. The same rules against Mongo alone:
tests/integration/test_auth.py; the hop rule alone: tests/unit/test_client_address.py."""

from __future__ import annotations

import re
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamlit_app.auth.rate_limits import CLIENT
from tests.e2e.browser import (
    PASSWORD,
    expect,
    fill,
    log_in,
    make_user,
    new_page,
    wait_logged_in,
)
from tests.e2e.dashboard_server import CHROMIUM, running_dashboard

pytestmark = pytest.mark.e2e

LOCKED = "Too many failed logins"
LIMIT_PER_CLIENT = CLIENT.free  # the failure that locks the client
ALERT = re.compile(f"Wrong e-mail or password|{LOCKED}")


@contextmanager
def _dashboard(stack_settings, home: Path, trusted: str):
    """A dashboard whose limits see the browser's (loopback) connection as `trusted` says.
    FORWARDED_ALLOW_IPS="" stops uvicorn from reading X-Forwarded-For itself, so the
    dashboard's own rule (auth/proxies.py) is what decides."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install -y chromium")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TWEEKTREND_TRUSTED_PROXIES", trusted)
        mp.setenv("FORWARDED_ALLOW_IPS", "")
        with running_dashboard(stack_settings, home) as d:  # its process reads the env here
            mp.undo()
            yield d


@pytest.fixture(scope="module")
def dash(stack_settings, tmp_path_factory):
    """Behind a "proxy": the browser's loopback connection is a trusted proxy."""
    with _dashboard(stack_settings, tmp_path_factory.mktemp("acct"), "127.0.0.1") as d:
        yield d


@pytest.fixture(scope="module")
def open_dash(stack_settings, tmp_path_factory):
    """No trusted proxy: the browser is an ordinary, untrusted peer."""
    with _dashboard(stack_settings, tmp_path_factory.mktemp("acct-open"), "") as d:
        yield d


def _email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:6]}@example.com"


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _wait_mail(dash, to: str, count: int = 1, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = dash.mails(to)
        if len(mails) >= count:
            return mails
        time.sleep(0.3)
    raise AssertionError(f"no mail #{count} to {to}")


def _try_login(page, url: str, email: str, password: str) -> str:
    log_in(page, url, email, password)
    alert = page.get_by_text(ALERT).first
    expect(alert).to_be_visible()
    return alert.inner_text()


# --- a forged X-Forwarded-For mints no new clients -----------------------------------------
def test_a_forged_forwarded_header_from_an_untrusted_peer_is_ignored(open_dash, browser):
    email = _email("victim")
    make_user(open_dash, email, ["bts"])
    page = new_page(browser)
    seen = []
    for i in range(4):  # a new "client address" for every attempt
        page.context.set_extra_http_headers({"X-Forwarded-For": f"198.51.100.{i + 1}"})
        seen.append(_try_login(page, open_dash.url, email, "wrong-password-1"))
    # the header was ignored: all four came from one client, and the pair locked at the 3rd
    assert LOCKED in seen[-1], seen
    page.context.close()


def test_behind_a_trusted_proxy_only_the_hop_it_added_names_the_client(dash, browser):
    email = _email("victim")
    make_user(dash, email, ["bts"])
    page = new_page(browser)
    seen = []
    for i in range(4):  # the client rotates what it writes; "the proxy" appends 203.0.113.7
        page.context.set_extra_http_headers({"X-Forwarded-For": f"6.6.6.{i}, 203.0.113.7"})
        seen.append(_try_login(page, dash.url, email, "wrong-password-1"))
    assert LOCKED in seen[-1], seen
    # another client behind the same proxy is not locked out by the first one's failures
    page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.8"})
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)
    page.context.close()


def test_a_password_sprayed_over_many_accounts_is_slowed(dash, browser):
    page = new_page(browser)
    page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.66"})  # one client
    seen: list[str] = []
    # the client's lock starts at 2 s and doubles with each further failure, so however slow
    # each attempt is (a browser on a busy machine), a later one lands inside the lock
    took: list[float] = []
    for i in range(LIMIT_PER_CLIENT + 8):
        started = time.monotonic()
        seen.append(_try_login(
            page, dash.url, f"spray{i}-{uuid.uuid4().hex[:4]}@example.com", "Summer2026!"))
        took.append(round(time.monotonic() - started, 1))
        if "Too many failed logins from your network" in seen[-1]:
            break
    assert all("Wrong" in m for m in seen[: LIMIT_PER_CLIENT - 1]), seen
    assert "Too many failed logins from your network" in seen[-1], (seen, took)
    assert len(seen) > LIMIT_PER_CLIENT  # not before the free attempts were used
    # other clients behind the proxy go on as before
    email = _email("bystander")
    make_user(dash, email, ["bts"])
    page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.67"})
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)
    page.context.close()


# --- sign-up tells nobody who has an account ------------------------------------------------
def _sign_up(page, url: str, email: str, password: str) -> str:
    page.goto(f"{url}/signup")
    fill(page, "E-mail", email)
    fill(page, "Password", password)
    fill(page, "Repeat password", password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Almost there")).to_be_visible()
    # the whole page, the keyword form below included, before its text is compared
    expect(page.get_by_text("Popular")).to_be_visible()
    expect(page.get_by_role("button", name="Follow these")).to_be_visible()
    return _main_text(page).replace(email, "<address>")


def test_sign_up_of_a_taken_address_looks_like_a_new_one_and_mails_the_owner(dash, browser):
    owner, fresh = _email("owner"), _email("fresh")
    make_user(dash, owner, ["bts"])
    page = new_page(browser)
    new_answer = _sign_up(page, dash.url, fresh, PASSWORD)
    page.context.close()
    page = new_page(browser)
    taken_answer = _sign_up(page, dash.url, owner, "Someone-else-9!")
    assert taken_answer == new_answer  # the very same page
    fresh_mail = _wait_mail(dash, fresh)[-1]
    owner_mail = _wait_mail(dash, owner)[-1]
    assert any("verify=" in link for link in fresh_mail.links)
    assert "already has an account" in owner_mail.body
    assert any("/login?reset=" in link for link in owner_mail.links)
    # the stranger's password opened nothing; the owner's still does
    assert "Wrong e-mail or password" in _try_login(page, dash.url, owner, "Someone-else-9!")
    log_in(page, dash.url, owner, PASSWORD)
    wait_logged_in(page, owner)
    page.context.close()


# --- password reset and change --------------------------------------------------------------
def _ask_reset(page, url: str, email: str) -> str:
    page.goto(f"{url}/login")
    page.get_by_text("Forgot password?").click()
    fill(page, "Your account's e-mail", email)
    page.get_by_role("button", name="Mail me a reset link").click()
    answer = page.get_by_text("a link to choose a new password is on its way")
    expect(answer).to_be_visible()
    return answer.inner_text().replace(email, "<address>")


def _set_new_password(page, link: str, password: str) -> None:
    page.goto(link)
    expect(page.get_by_text("Choose a new password")).to_be_visible()
    fill(page, "New password", password)
    fill(page, "Repeat new password", password)
    page.get_by_role("button", name="Set new password").click()


def test_a_reset_link_works_once_and_ends_the_sessions(dash, browser):
    email = _email("forgetful")
    make_user(dash, email, ["bts"])
    other = new_page(browser)  # a session elsewhere, open before the reset
    log_in(other, dash.url, email, PASSWORD)
    wait_logged_in(other, email)

    page = new_page(browser)
    unknown = _ask_reset(page, dash.url, _email("nobody"))
    known = _ask_reset(page, dash.url, email)
    assert known == unknown  # no hint which address has an account
    link = next(u for u in _wait_mail(dash, email)[-1].links if "reset=" in u)

    _set_new_password(page, link, "Brand-new-pass-7")
    expect(page.get_by_text("New password set")).to_be_visible()
    log_in(page, dash.url, email, "Brand-new-pass-7")
    wait_logged_in(page, email)
    other.reload()  # the session from before the reset has ended
    expect(other.get_by_text("Log in").first).to_be_visible()
    assert other.get_by_text(f"Logged in as {email}").count() == 0

    second = new_page(browser)  # the same link again
    _set_new_password(second, link, "Third-pass-word-8")
    expect(second.get_by_text("used already")).to_be_visible()
    assert "Wrong e-mail or password" in _try_login(second, dash.url, email, "Third-pass-word-8")
    for p in (page, other, second):
        p.context.close()


def test_a_password_change_ends_the_other_sessions(dash, browser):
    email = _email("changer")
    make_user(dash, email, ["bts"])
    here, elsewhere = new_page(browser), new_page(browser)
    for p in (here, elsewhere):
        log_in(p, dash.url, email, PASSWORD)
        wait_logged_in(p, email)
    here.goto(f"{dash.url}/settings")
    here.get_by_text("Change my password").click()
    fill(here, "Current password", PASSWORD)
    fill(here, "New password", "Changed-pass-42")
    fill(here, "Repeat new password", "Changed-pass-42")
    here.get_by_role("button", name="Change password").click()
    expect(here.get_by_text("Password changed; 1 other session logged out.")).to_be_visible()
    elsewhere.reload()
    expect(elsewhere.get_by_text("Log in").first).to_be_visible()
    assert elsewhere.get_by_text(f"Logged in as {email}").count() == 0
    here.reload()  # this session stays
    expect(here.get_by_text(f"Logged in as {email}")).to_be_visible()
    for p in (here, elsewhere):
        p.context.close()


def test_an_idle_session_ends(dash, browser):
    email = _email("idle")
    make_user(dash, email, ["bts"])
    page = new_page(browser)
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)
    user_id = dash.db["users"].find_one({"email": email})["_id"]
    page.reload()  # used recently: still in
    expect(page.get_by_text(f"Logged in as {email}")).to_be_visible()
    # nobody used it for 25 hours (the default timeout is 24)
    idle_since = datetime.now(UTC) - timedelta(hours=25)
    dash.db["sessions"].update_many({"user_id": user_id}, {"$set": {"last_seen": idle_since}})
    page.reload()
    expect(page.get_by_text("Log in").first).to_be_visible()
    assert page.get_by_text(f"Logged in as {email}").count() == 0
    assert dash.db["sessions"].count_documents({"user_id": user_id}) == 0
    page.context.close()
