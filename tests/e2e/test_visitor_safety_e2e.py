"""What a visitor's browser does with text from tweets and with the X actions, in headless
Chromium against a real dashboard on the test stack: a location or device that is an `<a href>`
shows as text in the Plotly chart (no link in the page), a CSV cell `=HYPERLINK(...)` arrives
neutralised in the file the browser downloads while numbers stay numbers, and a like or reply
confirmed in the live feed reaches a local fake X API exactly once, with the right tweet id.
The same rules without a browser: tests/unit/test_chart_text_safety.py, test_x_actions.py."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import plotly.express as px
import pytest

from streamlit_app.auth import Accounts
from streamlit_app.auth.key_files import load_data_keys
from tests.e2e.browser import PASSWORD, expect, log_in, make_user, new_page, wait_logged_in
from tests.e2e.dashboard_server import CHROMIUM, running_dashboard
from tests.fake_http import serve
from tests.support import sample_data as sd
from tests.unit.test_x_actions import CREDS, USER_ID, FakeXUser, FakeXUserHandler
from tweektrend_dagster.contracts.periods import PERIOD_KINDS
from tweektrend_dagster.x.http import API_BASE_ENV

pytestmark = pytest.mark.e2e

EVIL_HOST = "https://evil.example"
LINK = f'<a href="{EVIL_HOST}">click</a>'  # a tweet's author location
DEVICE_LINK = f'<a href="{EVIL_HOST}/app">Evil for iPhone</a>'  # a tweet's source
FORMULA = f'=HYPERLINK("{EVIL_HOST}","x")'
KEYWORD = "visitorsafety"
LIKED, REPLIED, SPARED = 1605900000000000123, 1605900000000000456, 1605900000000000789
XLINK = "http://www.w3.org/1999/xlink"
# every link target inside `root`: Plotly writes the link of a label as xlink:href on an SVG <a>
LINK_TARGETS = (
    "root => Array.from(root.querySelectorAll('a'))"
    f".map(a => a.getAttribute('href') || a.getAttributeNS('{XLINK}', 'href') || '')"
)


def _evil_docs(today) -> list[dict]:
    """The trend documents the analytics publish for a period whose posts came from a place
    called LINK (and FORMULA) and a device called DEVICE_LINK, with FORMULA among their words
    (documents.py copies those names as they are)."""
    docs = []
    for period in PERIOD_KINDS:
        doc = sd.make_trend_doc(KEYWORD, period, sd.period_start(period, today), final=False)
        doc["locations"] = [
            {"name": LINK, "count": 900},
            {"name": FORMULA, "count": 700},
            *doc["locations"],
        ]
        doc["devices"] = [{"name": DEVICE_LINK, "count": 800}, *doc["devices"]]
        doc["related_words"].append({"word": FORMULA, "count": 3, "score": -0.4, "kind": "word"})
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def fake_x():
    with serve(FakeXUser(), FakeXUserHandler) as fake:
        yield fake


@pytest.fixture(scope="module")
def dash(stack_settings, tmp_path_factory, fake_x):
    """A dashboard whose X client talks to `fake_x` (TWEEKTREND_X_API_BASE)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install -y chromium")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(API_BASE_ENV, fake_x.url)
        with running_dashboard(stack_settings, tmp_path_factory.mktemp("visitor")) as d:
            mp.undo()  # the dashboard's process has read it; this process goes on without
            today = datetime.now(UTC).date()
            sd.publish_docs(d.db, _evil_docs(today))
            now = datetime.now(UTC)
            sd.insert_tweet_rows(
                d.cassandra,
                [
                    sd.tweet_row(KEYWORD, tid, now - timedelta(minutes=i + 1), text, f"poster{i}")
                    for i, (tid, text) in enumerate(
                        [
                            (LIKED, "a post worth a like"),
                            (REPLIED, "a post worth a reply"),
                            (SPARED, "a post nobody acts on"),
                        ]
                    )
                ],
            )
            yield d


def _logged_in_page(dash, browser, tag: str):
    email = f"{tag}-{uuid.uuid4().hex[:6]}@example.com"
    make_user(dash, email, [KEYWORD])
    page = new_page(browser)
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)
    return page, email


def _chart(page, title: str):
    return page.locator(".js-plotly-plot").filter(has=page.locator("text.gtitle", has_text=title))


def _tick_labels(chart) -> list[str]:
    return chart.locator(".ytick text").evaluate_all("els => els.map(e => e.textContent)")


def test_the_link_detector_sees_a_link_plotly_draws_from_a_raw_label(browser):
    """The control of the next test: the same Plotly, given the label unescaped, draws a real
    link, and LINK_TARGETS finds it."""
    fig = px.bar(x=[5], y=[LINK], orientation="h")
    page = new_page(browser)
    page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
    plot = page.locator(".js-plotly-plot")
    expect(plot.locator(".ytick text")).to_have_count(1)
    assert EVIL_HOST in plot.evaluate(LINK_TARGETS)
    assert _tick_labels(plot) == ["click"]  # the markup was taken as markup
    page.context.close()


def test_a_location_or_device_that_is_a_link_shows_as_text_in_the_chart(dash, browser):
    page, _ = _logged_in_page(dash, browser, "viewer")
    page.goto(f"{dash.url}/trends?kw={KEYWORD}&period=Day")
    page.get_by_role("tab", name="Location & device").click()
    for title, label in (("Locations", LINK), ("Devices", DEVICE_LINK)):
        chart = _chart(page, title)
        expect(chart).to_be_visible()
        label_text = chart.locator(".ytick text").filter(has_text=label)
        expect(label_text).to_be_visible()  # the markup, as the characters it is
        assert label in _tick_labels(chart)
        assert chart.locator("svg a").count() == 0
        assert not [t for t in chart.evaluate(LINK_TARGETS) if EVIL_HOST in t]
    # nowhere in the page: not in another chart, not in a hover label
    _chart(page, "Locations").locator(".bars path").first.hover(force=True)
    assert not [t for t in page.locator("body").evaluate(LINK_TARGETS) if EVIL_HOST in t]
    page.context.close()


def _download_csv(page, key: str) -> list[dict[str, str]]:
    """The rows of the CSV the browser saves from the download button with `key`."""
    with page.expect_download() as info:
        page.locator(f".st-key-{key} button").first.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # utf-8-sig, for spreadsheet programs
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_formula_cell_arrives_neutralised_in_the_downloaded_csv(dash, browser):
    page, _ = _logged_in_page(dash, browser, "exporter")
    page.goto(f"{dash.url}/trends?kw={KEYWORD}&period=Day")
    page.get_by_role("tab", name="Location & device").click()
    expect(_chart(page, "Locations")).to_be_visible()
    places = _download_csv(page, "csv-locations")
    names = [row["name"] for row in places]
    assert "'" + FORMULA in names and FORMULA not in names
    assert LINK in names  # the data keeps what the tweet said; only the chart escapes
    assert [row["count"] for row in places][:2] == ["900", "700"]  # numbers stay numbers

    page.get_by_role("tab", name="Related words").click()
    ranking = _download_csv(page, "dl-ranking")
    [word] = [row for row in ranking if row["word"].endswith(FORMULA)]
    assert word["word"] == "'" + FORMULA
    assert word["score"] == "-0.4" and word["count"] == "3"  # a minus number is not quoted
    assert all(row["rank"].isdigit() for row in ranking)
    page.context.close()


def _x_user_page(dash, browser):
    page, email = _logged_in_page(dash, browser, "xuser")
    user_id = dash.db["users"].find_one({"email": email})["_id"]
    Accounts(dash.db, "unused-for-this", load_data_keys(dash.settings)).set_x_credentials(
        user_id, CREDS
    )  # the app's own data key, as the Settings page saves them
    page.goto(f"{dash.url}/live")
    expect(page.get_by_text("a post worth a like")).to_be_visible()
    return page


def _settle(page, fake_x, count: int) -> None:
    """Two refreshes of the live feed later, still exactly `count` requests at the fake X."""
    page.wait_for_timeout(7_000)
    assert len(fake_x.requests) == count, fake_x.requests


def test_x_actions_confirmed_in_the_browser_reach_x_once(dash, browser, fake_x):
    page = _x_user_page(dash, browser)
    fake_x.requests.clear()

    # cancelled: nothing leaves
    page.locator(f".st-key-like-{KEYWORD}-x-{SPARED} button").click()
    expect(page.get_by_text(f"Like post {SPARED} on X?")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(f"Like post {SPARED} on X?")).to_have_count(0)

    # a like
    page.locator(f".st-key-like-{KEYWORD}-x-{LIKED} button").click()
    expect(page.get_by_text(f"Like post {LIKED} on X?")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Liked on X.")).to_be_visible()
    _settle(page, fake_x, 1)
    [like] = fake_x.requests
    assert (like["method"], like["path"]) == ("POST", f"/2/users/{USER_ID}/likes")
    assert like["body"] == {"tweet_id": str(LIKED)}
    assert f'oauth_consumer_key="{CREDS["consumer_key"]}"' in like["auth"]

    # a reply, with its text
    page.locator(f".st-key-re-{KEYWORD}-x-{REPLIED} button").click()
    expect(page.get_by_text(f"Reply post {REPLIED} on X?")).to_be_visible()
    reply_box = page.get_by_label("Reply", exact=True)
    reply_box.fill("같은 생각이에요 & agreed")
    reply_box.press("Control+Enter")  # commit the text before the button's run
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Reply posted on X.")).to_be_visible()
    _settle(page, fake_x, 2)
    reply = fake_x.requests[1]
    assert (reply["method"], reply["path"]) == ("POST", "/2/tweets")
    assert reply["body"] == {
        "text": "같은 생각이에요 & agreed",
        "reply": {"in_reply_to_tweet_id": str(REPLIED)},
    }
    page.context.close()
