"""An imported archive in the browser. A researcher's 2021 archive (a v1.1 file and twarc2-style
v2 pages) goes through the whole product (producer → Kafka → worker → Cassandra → the ingestion
sensor's runs → Spark → Mongo, tests/integration/archive_import.py); then the dashboard, logged in
as the researcher, says which dates each keyword holds, opens on its latest day with data, jumps
to its busiest day and opens an old week from a shared URL, each with the count made by hand
from the file."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from tests.archive_fixture import KEYWORDS, expected_numbers, generate
from tests.e2e.browser import PASSWORD, expect, log_in, make_user, new_page, shot, wait_logged_in
from tests.e2e.dashboard_server import CHROMIUM, running_dashboard
from tests.integration.archive_import import import_archive
from tests.integration.ingest_helpers import isolated

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def imported(stack_settings, tmp_path_factory):
    from tweektrend_dagster.keywords import KeywordRegistry

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install -y chromium")
    with running_dashboard(stack_settings, tmp_path_factory.mktemp("dash")) as dash:
        # the dashboard's keyspace and database; a topic and consumer group of its own
        settings = replace(isolated(dash.settings), mongo_db=dash.settings.mongo_db)
        email = f"researcher-{uuid.uuid4().hex[:6]}@example.com"
        make_user(dash, email, KEYWORDS)
        posts = generate(n=900, days=120, seed=23)
        result = import_archive(settings, KeywordRegistry(dash.db), tmp_path_factory.mktemp("a"),
                                posts)
        assert result.dead == 0 and all(not failed for failed in result.failed_checks.values())
        yield dash, email, expected_numbers(posts)


def test_an_imported_archive_opens_on_its_data_with_exact_counts(imported, browser):
    dash, email, expected = imported
    page = new_page(browser)
    log_in(page, dash.url, email, PASSWORD)
    wait_logged_in(page, email)

    def shows(keyword: str, label: str, kind: str, start: str) -> None:
        expect(page.get_by_text(f"{keyword} — {label} from {start}")).to_be_visible()
        value = page.get_by_test_id("stMetricValue").first
        expect(value).to_have_text(f"{expected[f'{keyword}|{kind}|{start}'][0]:,}")
        expect(page.locator(".js-plotly-plot").first).to_be_visible()

    for keyword in ("vaccine", "코로나"):
        days = sorted(k.split("|")[2] for k in expected if k.startswith(f"{keyword}|day|"))
        busiest = min(days, key=lambda d: (-expected[f"{keyword}|day|{d}"][0], d))
        page.goto(f"{dash.url}/trends?kw={keyword}")
        expect(page.get_by_text(f"Data from {days[0]} to {days[-1]}")).to_be_visible()
        shows(keyword, "Day", "day", days[-1])  # all in the past: opens on the latest day
        if keyword == "vaccine":
            shot(page, "15-trends-imported-archive")
        page.get_by_role("button", name=f"Busiest day: {busiest}").click()
        shows(keyword, "Day", "day", busiest)

    # an old week straight from a shared URL, inside the archive
    week = sorted(k.split("|")[2] for k in expected if k.startswith("vaccine|week|"))[1]
    page.goto(f"{dash.url}/trends?kw=vaccine&period=Week&date={week}")
    shows("vaccine", "Week", "week", week)
    page.context.close()
