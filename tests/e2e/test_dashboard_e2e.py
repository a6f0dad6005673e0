"""The dashboard in headless Chromium against the real stack: sign up → verification mail →
log in → add a keyword → charts fill and the live feed moves; tweets render inert; users are
isolated; wrong passwords are slowed down. Screenshots of each page go to docs/screenshots/."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.browser import (
    PASSWORD,
    T,
    expect,
    fill,
    log_in,
    make_user,
    new_page,
    shot,
    wait_logged_in,
)
from tests.e2e.dashboard_server import CHROMIUM, running_dashboard
from tests.support import sample_data as sd
from tweektrend_dagster.config import Settings

pytestmark = pytest.mark.e2e

EVIL = (
    'EVIL <script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> '
    "**bold** [click](javascript:window.__pwned=1)"
)


@pytest.fixture(scope="module")
def base_settings(request):
    """The test stack; TWEEKTREND_DASH_E2E_STACK=dev runs against an already running dev stack
    on the default ports instead (handy while the shared test stack is busy)."""
    if os.environ.get("TWEEKTREND_DASH_E2E_STACK") == "dev":
        return replace(Settings.from_env(), cassandra_port=9042, mongo_port=27017)
    return request.getfixturevalue("stack_settings")


@pytest.fixture(scope="module")
def dash(base_settings, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install -y chromium")
    with running_dashboard(base_settings, tmp_path_factory.mktemp("dash")) as d:
        today = datetime.now(UTC).date()
        for keyword in ("코로나", "bts", "넷플릭스"):
            sd.publish_trends(d.db, keyword, today)
        now = datetime.now(UTC)
        rows = [
            sd.tweet_row(
                "코로나",
                10**15 + i,
                now - timedelta(minutes=5 * i + 1),
                f"코로나 소식 {i}: 확진자 백신 news",
                f"reporter{i}",
            )
            for i in range(15)
        ]
        rows.append(
            sd.tweet_row("코로나", 10**15 + 99, now - timedelta(seconds=30), EVIL, "attacker")
        )
        sd.insert_tweet_rows(d.cassandra, rows)
        yield d


def test_landing_signup_verify_login_keyword_charts_live(dash, browser):
    page = new_page(browser)
    page.goto(dash.url)
    expect(page.get_by_text("Follow any keyword on X")).to_be_visible()
    shot(page, "01-landing")

    email = f"e2e-{uuid.uuid4().hex[:6]}@example.com"
    page.goto(f"{dash.url}/signup")
    fill(page, "E-mail", email)
    fill(page, "Password", "short")
    fill(page, "Repeat password", "short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Password too weak")).to_be_visible()
    fill(page, "Password", PASSWORD)
    fill(page, "Repeat password", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Almost there")).to_be_visible()
    shot(page, "02-signup-onboarding")

    # unverified accounts cannot log in
    log_in(page, dash.url, email, PASSWORD)
    expect(page.get_by_text("confirm your e-mail first")).to_be_visible()
    shot(page, "03-login")

    mails = dash.mails(email)
    assert mails, "the verification mail was not captured"
    link = next(u for u in mails[-1].links if "verify=" in u)
    page.goto(link)
    expect(page.get_by_text("confirmed")).to_be_visible()

    log_in(page, dash.url, email, PASSWORD)
    expect(page.get_by_text("Welcome to TweekTrend")).to_be_visible()
    shot(page, "04-get-started")
    page.wait_for_function("document.cookie.includes('tweektrend_session=')")
    fill(page, "Your own keywords or rules", "코로나")
    page.get_by_role("button", name="Follow these").click()
    expect(page.get_by_text("posts that mention 코로나")).to_be_visible()  # what it matches
    page.get_by_role("button", name="Start following").click()

    # charts fill from the published trend documents
    expect(page.get_by_text("Mentions").first).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    shot(page, "05-trends")
    page.get_by_role("tab", name="Related words").click()
    expect(page.get_by_text("Word cloud")).to_be_visible()
    shot(page, "06-trends-related-words")

    # the session survives a reload (cookie → Mongo `sessions`)
    page.reload()
    expect(page.get_by_text(f"Logged in as {email}")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()

    # the live feed shows the newest rows and moves by itself
    page.goto(f"{dash.url}/live")
    expect(page.get_by_text("코로나 소식 0", exact=False).first).to_be_visible()
    fresh = f"brand new post {uuid.uuid4().hex[:6]}"
    sd.insert_tweet_rows(
        dash.cassandra,
        [sd.tweet_row("코로나", 10**15 + 500, datetime.now(UTC), f"코로나 {fresh}", "fresh")],
    )
    expect(page.get_by_text(fresh)).to_be_visible(timeout=20_000)
    shot(page, "07-live-feed")

    # the HTML and Markdown of a tweet render as text
    expect(page.get_by_text("**bold**", exact=False).first).to_be_visible()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("strong", has_text="bold").count() == 0
    assert page.locator("img[src='x']").count() == 0

    # save and reopen an analysis
    page.goto(f"{dash.url}/trends")
    page.get_by_text("Save this analysis").click()
    fill(page, "Name", "My corona week")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. Find it")).to_be_visible()
    page.goto(f"{dash.url}/saved")
    expect(page.get_by_text("My corona week")).to_be_visible()
    shot(page, "08-saved-analyses")
    page.get_by_role("button", name="Open").first.click()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()

    for path, name in (
        ("keywords", "09-keywords"),
        ("compare", "10-compare"),
        ("settings", "11-settings"),
    ):
        page.goto(f"{dash.url}/{path}")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_text(f"Logged in as {email}")).to_be_visible()
        shot(page, name)

    # phone width
    phone = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    phone.add_cookies(page.context.cookies())
    mobile = phone.new_page()
    mobile.set_default_timeout(T)
    mobile.goto(f"{dash.url}/trends")
    expect(mobile.locator(".js-plotly-plot").first).to_be_visible()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page scrolls sideways at phone width ({width}px)"
    shot(mobile, "12-trends-phone")
    phone.close()

    # logout ends the session, also after a reload
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("Follow any keyword on X")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Follow any keyword on X")).to_be_visible()
    page.context.close()


def test_users_only_see_their_own_keywords_and_saved_analyses(dash, browser):
    other = f"other-{uuid.uuid4().hex[:6]}@example.com"
    me = f"me-{uuid.uuid4().hex[:6]}@example.com"
    make_user(dash, other, ["넷플릭스"])
    make_user(dash, me, ["bts"])
    dash.db["saved_analyses"].update_many(
        {"user_id": dash.db["users"].find_one({"email": me})["_id"]},
        {"$set": {"name": "Mine only"}},
    )
    page = new_page(browser)
    log_in(page, dash.url, me, PASSWORD)
    wait_logged_in(page, me)
    page.goto(f"{dash.url}/keywords")
    expect(page.get_by_text("bts", exact=True).first).to_be_visible()
    assert page.get_by_text("넷플릭스").count() == 0
    page.goto(f"{dash.url}/saved")
    expect(page.get_by_text("Mine only")).to_be_visible()
    assert page.get_by_text("Secret plan of the other user").count() == 0
    # another user's keyword forced through the URL is ignored
    page.goto(f"{dash.url}/trends?kw=넷플릭스")
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert page.get_by_text("넷플릭스").count() == 0
    page.context.close()


def test_repeated_wrong_passwords_are_slowed_down(dash, browser):
    email = f"victim-{uuid.uuid4().hex[:6]}@example.com"
    make_user(dash, email, ["bts"])
    page = new_page(browser)
    messages = []
    for _ in range(4):
        log_in(page, dash.url, email, "wrong-password-1")
        alert = page.get_by_text(re.compile("Wrong e-mail or password|Too many failed logins"))
        expect(alert.first).to_be_visible()
        messages.append(alert.first.inner_text())
    assert any("Too many failed logins" in m for m in messages), messages
    # even the right password is refused while locked
    log_in(page, dash.url, email, PASSWORD)
    expect(page.get_by_text("Too many failed logins")).to_be_visible()
    shot(page, "13-login-rate-limited")
    page.context.close()


def test_an_imported_2020_archive_opens_on_its_data(dash, browser):
    """Trend documents of a 2020 archive as an import publishes them (days without posts have
    none; the keyword index is built by the publisher's own function): the page opens on the
    archive's latest day with its mentions, jumps to its busiest day, takes a date in the URL."""
    days = {date(2020, 10, 5) + timedelta(days=4 * i): 1.0 + i % 3 for i in range(20)}
    days[date(2020, 11, 2)] = 9.0
    docs = sd.archive_docs("vaccine", days)
    sd.publish_docs(dash.db, docs)  # upserts, then update_keyword_ranges(db, docs)
    mentions = {(d["period"], d["start"]): d["mentions"] for d in docs}
    last, busiest = (
        max(days),
        max((d for d in docs if d["period"] == "day"), key=lambda d: d["mentions"]),
    )
    email = f"archive-{uuid.uuid4().hex[:6]}@example.com"
    make_user(dash, email, ["vaccine"])
    page = new_page(browser)
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)
    page.goto(f"{dash.url}/trends")

    def shows(period_label: str, kind: str, start: str) -> None:
        expect(page.get_by_text(f"vaccine — {period_label} from {start}")).to_be_visible()
        value = page.get_by_test_id("stMetricValue").first
        expect(value).to_have_text(f"{mentions[(kind, start)]:,}")
        expect(page.locator(".js-plotly-plot").first).to_be_visible()

    expect(page.get_by_text(f"Data from {min(days)} to {last}")).to_be_visible()
    shows("Day", "day", last.isoformat())
    shot(page, "14-trends-archive")

    page.get_by_role("button", name=f"Busiest day: {busiest['start']}").click()
    shows("Day", "day", busiest["start"])

    # an old period straight from a shared URL
    week = sd.period_start("week", date(2020, 10, 21)).isoformat()
    page.goto(f"{dash.url}/trends?kw=vaccine&period=Week&date=2020-10-21")  # labels in URLs
    shows("Week", "week", week)
    # a day inside the range without posts: said in words, no chart
    quiet = next(
        d for d in (min(days) + timedelta(days=i) for i in range(60)) if d not in days
    ).isoformat()
    page.goto(f"{dash.url}/trends?kw=vaccine&period=Day&date={quiet}")
    expect(page.get_by_text("No posts in this period.")).to_be_visible()
    assert page.locator(".js-plotly-plot").count() == 0
    page.context.close()
