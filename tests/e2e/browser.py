"""What the browser tests share: Playwright's expect with the suite's timeout, pages, screenshots,
logging in and a verified user made directly in Mongo."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from streamlit_app.auth import Accounts
from tests.e2e.dashboard_server import ROOT

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "Tr3nd-watcher!"
T = 30_000  # ms: a Streamlit rerun plus a Mongo round trip, with room for a slow CI machine
expect.set_options(timeout=T)


def new_page(browser, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(T)
    return page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)  # let plotly finish drawing
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)


def log_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    fill(page, "E-mail", email)
    fill(page, "Password", password)
    page.get_by_role("button", name="Log in").click()


def wait_logged_in(page, email: str) -> None:
    expect(page.get_by_text(f"Logged in as {email}")).to_be_visible()
    page.wait_for_function("document.cookie.includes('tweektrend_session=')")


def make_user(dash, email: str, keywords: list[str]) -> None:
    """A verified user created directly (the UI path is covered by the main test)."""
    from tweektrend_dagster.keywords import KeywordRegistry

    accounts = Accounts(dash.db, "unused-for-this")
    user = accounts.sign_up(email, PASSWORD)
    dash.db["users"].update_one({"_id": user.id}, {"$set": {"verified": True}})
    for k in keywords:
        KeywordRegistry(dash.db).add(user.id, k)
    dash.db["saved_analyses"].insert_one(
        {
            "_id": uuid.uuid4().hex,
            "user_id": user.id,
            "name": "Secret plan of the other user",
            "keyword": keywords[0],
            "period": "week",
            "start": None,
            "created_at": datetime.now(UTC),
        }
    )
