"""Each dashboard page's logic through streamlit.testing.v1.AppTest, on a fresh Mongo database
and Cassandra keyspace of the test stack (TWEEKTREND_DASH_E2E_STACK=dev: the dev stack)."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from streamlit.testing.v1 import AppTest

from streamlit_app import data
from streamlit_app.auth import Accounts, load_data_keys
from tests.support import sample_data as sd
from tweektrend_dagster.clients import cassandra_session, connect_mongo
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.ingest.schema import create_schema
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.keywords.rules import parse_rule
from tweektrend_dagster.mail import read_mailbox, start_mailcatcher

pytestmark = pytest.mark.integration
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app" / "app.py")
SECRET = "apptest-secret"
PASSWORD = "Tr3nd-watcher!"
EVIL = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"
# an imported 2020 archive: a post every five days, one clearly busier day
ARCHIVE = {date(2020, 10, 5) + timedelta(days=5 * i): 1.0 + i % 3 for i in range(16)}
ARCHIVE[date(2020, 11, 4)] = 8.0
QUIET_DAY = date(2020, 11, 6)  # inside the range, no post


@pytest.fixture(scope="module")
def env(request, tmp_path_factory):
    if os.environ.get("TWEEKTREND_DASH_E2E_STACK") == "dev":
        base = replace(Settings.from_env(), cassandra_port=9042, mongo_port=27017)
    else:
        base = request.getfixturevalue("stack_settings")
    from tests.e2e.dashboard_server import free_port

    name = "app" + uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("apptest")
    settings = replace(base, home=home, mongo_db=name, keyspace=name, smtp_port=free_port())
    session, cluster = cassandra_session(settings, keyspace=None)
    create_schema(session, settings)
    db = connect_mongo(settings.mongo_uri, name)
    today = datetime.now(UTC).date()
    for keyword in ("코로나", "bts"):
        sd.publish_trends(db, keyword, today)
    for keyword, seed in (("vaccine", 0), ("mask", 1)):
        sd.publish_docs(db, sd.archive_docs(keyword, ARCHIVE, seed=seed))
    now = datetime.now(UTC)
    sd.insert_tweet_rows(
        session,
        [
            sd.tweet_row("코로나", 10**15 + 1, now - timedelta(minutes=1), EVIL, "attacker"),
            sd.tweet_row(
                "코로나", 10**15 + 2, now - timedelta(hours=3), "older 코로나 post", "old"
            ),
        ],
    )
    catcher = start_mailcatcher(settings, echo=False)
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ.update(
        {
            "TWEEKTREND_HOME": str(home),
            "TWEEKTREND_MONGO_DB": name,
            "TWEEKTREND_KEYSPACE": name,
            "TWEEKTREND_SECRET_KEY": SECRET,
            "TWEEKTREND_SMTP_PORT": str(settings.smtp_port),
            "TWEEKTREND_SMTP_HOST": "127.0.0.1",
            "TWEEKTREND_PUBLIC_URL": "http://testserver",
            "TWEEKTREND_MONGO_PORT": str(settings.mongo_port),
            "TWEEKTREND_CASSANDRA_PORT": str(settings.cassandra_port),
        }
    )
    try:
        yield settings, db
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        catcher.stop()
        db.client.drop_database(name)
        db.client.close()
        session.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=60)
        cluster.shutdown()


ENV_KEYS = [
    "TWEEKTREND_HOME",
    "TWEEKTREND_MONGO_DB",
    "TWEEKTREND_KEYSPACE",
    "TWEEKTREND_SECRET_KEY",
    "TWEEKTREND_SMTP_PORT",
    "TWEEKTREND_SMTP_HOST",
    "TWEEKTREND_PUBLIC_URL",
    "TWEEKTREND_MONGO_PORT",
    "TWEEKTREND_CASSANDRA_PORT",
]


def new_user(db, keywords: list[str], verified: bool = True):
    accounts = Accounts(db, SECRET)
    user = accounts.sign_up(f"u{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    if verified:
        db["users"].update_one({"_id": user.id}, {"$set": {"verified": True}})
    for k in keywords:
        KeywordRegistry(db).add(user.id, k)
    return user, accounts.open_session(user.id)


def visitor(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    if page:
        at.switch_page(page).run()
    return at


def member(token: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["auth_token"] = token  # what the cookie restores after a reload
    at.run()
    at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in (
            "markdown",
            "caption",
            "title",
            "header",
            "subheader",
            "text",
            "success",
            "error",
            "info",
            "warning",
        )
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_landing_introduces_the_service(env):
    at = visitor()
    assert not at.exception
    assert "Follow any keyword on X" in texts(at)
    assert "identity provider" not in texts(at)  # no [auth] secrets: social login hidden


def test_signup_errors_then_mail_then_onboarding(env):
    settings, db = env
    at = visitor("views/signup.py")
    email = f"new{uuid.uuid4().hex[:6]}@example.com"
    at.text_input(key="su_email").input(email)
    at.text_input(key="su_password").input("weak")
    at.text_input(key="su_confirm").input("weak")
    at.button[0].click().run()
    assert "Password too weak" in texts(at)
    at.text_input(key="su_password").input(PASSWORD)
    at.text_input(key="su_confirm").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "Almost there" in texts(at)
    mail = read_mailbox(settings, email)[-1]
    assert mail.links[0].startswith("http://testserver/?verify=")
    # onboarding keywords wait until the address is confirmed
    at.text_input(key="signup_kw_text").input("코로나, #BTS ,")
    at.button[0].click().run()
    assert db["users"].find_one({"email": email})["pending_keywords"] == ["코로나", "#BTS"]
    assert db["user_keywords"].count_documents({}) >= 0
    # the same address again
    again = visitor("views/signup.py")
    again.text_input(key="su_email").input(email.upper())
    again.text_input(key="su_password").input(PASSWORD)
    again.text_input(key="su_confirm").input(PASSWORD)
    again.button[0].click().run()
    # the same answer as a new sign-up; the owner is told by mail
    assert "Almost there" in texts(again) and "already exists" not in texts(again)
    assert "already has an account" in read_mailbox(settings, email)[-1].body
    # opening the link verifies and registers the pending keywords
    link = AppTest.from_file(APP, default_timeout=30)
    link.query_params["verify"] = mail.links[0].split("verify=")[1]
    link.run()
    assert "confirmed" in texts(link)
    user_id = db["users"].find_one({"email": email})["_id"]
    followed = {k["keyword"] for k in KeywordRegistry(db).user_keywords(user_id)}
    assert followed == {"코로나", parse_rule("#bts").key}  # a hashtag rule, as on X


def test_login_refuses_unverified_and_rate_limits(env):
    _, db = env
    user, _ = new_user(db, [], verified=False)
    at = visitor("views/login.py")
    at.text_input(key="li_email").input(user.email)
    at.text_input(key="li_password").input(PASSWORD)
    at.button[0].click().run()
    assert "confirm your e-mail" in texts(at)
    db["users"].update_one({"_id": user.id}, {"$set": {"verified": True}})
    for _ in range(3):
        at.text_input(key="li_password").input("wrong-one-1")
        at.button[0].click().run()
    at.text_input(key="li_password").input(PASSWORD)
    at.button[0].click().run()
    assert "Too many failed logins" in texts(at)


def test_login_opens_a_session_and_shows_onboarding(env):
    _, db = env
    user, _ = new_user(db, [])
    at = visitor("views/login.py")
    at.text_input(key="li_email").input(user.email)
    at.text_input(key="li_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["auth_token"]
    assert "Welcome to TweekTrend" in texts(at)
    assert db["sessions"].count_documents({"user_id": user.id}) == 2  # new_user opened one


def test_a_forged_session_token_is_a_visitor(env):
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["auth_token"] = "forged.token.value"
    at.run()
    assert "Follow any keyword on X" in texts(at)


def test_trends_page_shows_metrics_charts_and_csv(env):
    _, db = env
    _, token = new_user(db, ["코로나", "BTS"])
    at = member(token, "views/trends.py")
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Mentions", "Unique users", "Spikes", "Positive"]
    assert at.metric[0].delta  # change vs the previous period
    assert len(at.tabs) == 5
    charts = at.get("plotly_chart")
    assert len(charts) >= 8  # volume, users, related x2, location, device, sentiment, corr.
    assert len(at.get("download_button")) >= len(charts)
    assert "코로나 — Day" in texts(at)
    at.segmented_control(key="period").set_value("quarter").run()
    assert "3 months" in texts(at) and not at.exception
    at.segmented_control(key="kw").set_value("bts").run()
    assert "BTS — 3 months" in texts(at)


def test_saved_analyses_are_private(env):
    _, db = env
    alice, alice_token = new_user(db, ["코로나"])
    _, bob_token = new_user(db, ["bts"])
    at = member(alice_token, "views/trends.py")
    at.text_input(key="save_name").input("Alice corona")
    at.get("form_submit_button")  # exists
    save = next(b for b in at.button if b.label == "Save")
    save.click().run()
    assert db["saved_analyses"].count_documents({"user_id": alice.id}) == 1
    mine = member(alice_token, "views/saved.py")
    assert "Alice corona" in texts(mine)
    theirs = member(bob_token, "views/saved.py")
    assert "Alice corona" not in texts(theirs) and "Nothing saved yet" in texts(theirs)
    # Bob's keyword list does not include Alice's
    kws = member(bob_token, "views/keywords.py")
    assert "코로나" not in texts(kws) and "bts" in texts(kws)
    # reopening restores keyword and period
    open_btn = next(b for b in mine.button if b.label == "Open")
    open_btn.click().run()
    assert "Alice corona" not in texts(mine) and "코로나 — Day" in texts(mine)


def test_keywords_add_validate_delete(env):
    _, db = env
    user, token = new_user(db, ["bts"])
    at = member(token, "views/keywords.py")
    at.text_input(key="add_kw_text").input("  넷플릭스 ")
    at.button(key="add_kw_check_button").click().run()
    next(b for b in at.button if b.label == "Follow this topic").click().run()
    assert "Following 넷플릭스" in texts(at)
    assert KeywordRegistry(db).follows(user.id, "넷플릭스")
    assert "넷플릭스" in KeywordRegistry(db).active_keywords()
    at.text_input(key="add_kw_text").input("x" * 5000)
    at.button(key="add_kw_check_button").click().run()
    assert at.error
    at.button(key="del-넷플릭스").click().run()
    assert not KeywordRegistry(db).follows(user.id, "넷플릭스")


def test_live_feed_renders_tweets_as_plain_text(env):
    _, db = env
    _, token = new_user(db, ["코로나"])
    at = member(token, "views/live.py")
    assert not at.exception
    assert EVIL in [t.value for t in at.text]  # st.text: no Markdown, no HTML
    assert all(EVIL not in m.value for m in at.markdown)
    assert "older 코로나 post" in [t.value for t in at.text]  # earlier hour partitions too
    assert not [b for b in at.button if b.label.startswith("♥")]  # no X keys: no actions


def test_x_actions_appear_with_credentials(env):
    settings, db = env
    user, token = new_user(db, ["코로나"])
    at = member(token, "views/settings.py")
    for box, value in zip(at.text_input, ["k", "s", "t", "ts-long-secret"], strict=True):
        box.input(value)
    next(b for b in at.button if b.label == "Save X keys").click().run()
    accounts = Accounts(db, SECRET, load_data_keys(settings))  # the app's data key
    assert accounts.x_credentials(user.id)["access_token"] == "t"
    assert "ts-long-secret" not in str(db["users"].find_one({"_id": user.id}))  # encrypted
    live = member(token, "views/live.py")
    assert [b for b in live.button if b.label.startswith("♥")]


def test_x_keys_under_a_lost_data_key_ask_to_be_entered_again(env):
    _, db = env
    user, token = new_user(db, ["코로나"])
    foreign = Accounts(db, SECRET, [Fernet.generate_key().decode()])  # not the app's key
    foreign.set_x_credentials(user.id, {"consumer_key": "k", "access_token": "t"})
    at = member(token, "views/settings.py")
    assert not at.exception
    assert "can no longer be read" in at.warning[0].value
    live = member(token, "views/live.py")
    assert not live.exception and "can no longer be read" in texts(live)
    assert not [b for b in live.button if b.label.startswith("♥")]


def test_spike_alerts_are_off_by_default_and_per_user(env):
    _, db = env
    alice, alice_token = new_user(db, ["bts"])
    bob, bob_token = new_user(db, ["bts"])
    at = member(alice_token, "views/settings.py")
    assert not at.exception
    assert at.toggle[0].value is False
    at.toggle[0].set_value(True).run()
    assert "Spike alerts on" in texts(at)
    assert Accounts(db, SECRET).spike_alerts(alice.id) is True
    assert not db["users"].find_one({"_id": bob.id}).get("spike_alerts")
    # a reload shows the stored choice; Bob still sees (and keeps) his own
    assert member(alice_token, "views/settings.py").toggle[0].value is True
    assert member(bob_token, "views/settings.py").toggle[0].value is False
    at.toggle[0].set_value(False).run()
    assert "Spike alerts off" in texts(at)
    assert Accounts(db, SECRET).spike_alerts(alice.id) is False


def test_compare_needs_two_keywords_and_charts_share_of_voice(env):
    _, db = env
    _, one = new_user(db, ["bts"])
    assert "at least two keywords" in texts(member(one, "views/compare.py"))
    _, two = new_user(db, ["bts", "코로나"])
    at = member(two, "views/compare.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2


def test_logout_deletes_the_session(env):
    _, db = env
    user, token = new_user(db, ["bts"])
    at = member(token, "views/keywords.py")
    at.button(key="logout").click().run()
    assert "You are logged out" in texts(at) or "Follow any keyword" in texts(at)
    assert db["sessions"].count_documents({"user_id": user.id}) == 0
    assert Accounts(db, SECRET).session_user(token) is None


def test_unreachable_mongo_is_explained_not_a_traceback(env, monkeypatch):
    from tests.e2e.dashboard_server import free_port

    monkeypatch.setenv("TWEEKTREND_MONGO_PORT", str(free_port()))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    # visitors get a notice; the server address (and any password in it) stays in the log
    assert at.error[0].value == data.SERVICE_NOTICE


def shown_mentions(at: AppTest) -> int:
    return int(str(at.metric[0].value).replace(",", ""))


def stored(db, keyword: str, period: str, start: date) -> dict | None:
    return db["trends"].find_one({"_id": f"{keyword}|{period}|{start.isoformat()}"})


def test_a_keyword_with_only_2020_data_opens_on_its_latest_period(env):
    _, db = env
    _, token = new_user(db, ["vaccine"])
    at = member(token, "views/trends.py")
    assert not at.exception
    last = max(ARCHIVE)
    assert f"Data from {min(ARCHIVE)} to {last}" in texts(at)
    assert at.date_input(key="date").value == last
    assert f"vaccine — Day from {last}" in texts(at)
    assert shown_mentions(at) == stored(db, "vaccine", "day", last)["mentions"] > 0
    assert len(at.get("plotly_chart")) >= 6
    # the week kind opens on the week holding the same day, with that week's numbers
    at.segmented_control(key="period").set_value("week").run()
    week = sd.period_start("week", last)
    assert f"vaccine — Week from {week}" in texts(at)
    assert shown_mentions(at) == stored(db, "vaccine", "week", week)["mentions"]


def test_the_busiest_button_opens_the_busiest_period_of_the_kind(env):
    _, db = env
    _, token = new_user(db, ["vaccine"])
    at = member(token, "views/trends.py")
    for kind in ("day", "month"):
        at.segmented_control(key="period").set_value(kind).run()
        docs = list(db["trends"].find({"keyword": "vaccine", "period": kind}))
        top = max(docs, key=lambda d: d["mentions"])
        button = at.button(key="busiest")
        assert button.label == f"Busiest {kind}: {top['start']}"
        button.click().run()
        assert not at.exception
        assert f"from {top['start']}" in texts(at)
        assert shown_mentions(at) == top["mentions"]


def test_an_old_period_chosen_by_date_and_a_day_without_posts(env):
    _, db = env
    _, token = new_user(db, ["vaccine"])
    at = member(token, "views/trends.py")
    picked = date(2020, 10, 20)
    at.date_input(key="date").set_value(picked).run()
    assert f"vaccine — Day from {picked}" in texts(at)
    assert shown_mentions(at) == stored(db, "vaccine", "day", picked)["mentions"]
    # a day inside the range without posts: zero and a sentence, no empty chart
    at.date_input(key="date").set_value(QUIET_DAY).run()
    assert stored(db, "vaccine", "day", QUIET_DAY) is None
    assert not at.exception and shown_mentions(at) == 0
    assert "No posts in this period." in texts(at)
    assert not at.get("plotly_chart")
    # one period earlier: the busy day before it
    at.button(key="earlier").click().run()
    assert at.date_input(key="date").value == QUIET_DAY - timedelta(days=1)
    at.button(key="earlier").click().run()
    assert f"Day from {QUIET_DAY - timedelta(days=2)}" in texts(at)
    assert shown_mentions(at) > 0
    # the picker ends at the first data day, and the Earlier button there is off
    at.date_input(key="date").set_value(min(ARCHIVE)).run()
    assert at.button(key="earlier").disabled


def test_a_saved_old_period_reopens_on_that_period(env):
    _, db = env
    alice, token = new_user(db, ["vaccine"])
    at = member(token, "views/trends.py")
    picked = date(2020, 11, 4)
    at.date_input(key="date").set_value(picked).run()
    at.text_input(key="save_name").input("Vaccine peak")
    next(b for b in at.button if b.label == "Save").click().run()
    saved = db["saved_analyses"].find_one({"user_id": alice.id})
    assert saved["start"] == picked.isoformat()
    again = member(token, "views/saved.py")
    next(b for b in again.button if b.label == "Open").click().run()
    assert not again.exception
    assert f"vaccine — Day from {picked}" in texts(again)
    assert shown_mentions(again) == stored(db, "vaccine", "day", picked)["mentions"]


def test_compare_opens_on_the_keywords_latest_common_data(env):
    _, db = env
    _, token = new_user(db, ["vaccine", "mask"])
    at = member(token, "views/compare.py")
    assert not at.exception
    week = sd.period_start("week", max(ARCHIVE))
    assert at.date_input(key="cmp_date_week").value == week
    assert len(at.get("plotly_chart")) == 2
    at.date_input(key="cmp_date_week").set_value(date(2022, 3, 2)).run()  # nothing then
    assert "No posts for these keywords in this period." in texts(at)


def _with_originals(db, keyword: str, period: str, start: date) -> dict:
    """Give a published document original-post figures unlike its totals (a third of them),
    with its own top user; returns them."""
    doc = db["trends"].find_one({"_id": Period(period, start).doc_id(keyword)})
    series = [{"t": p["t"], "mentions": p["mentions"] // 3, "users": p["users"] // 4}
              for p in doc["series"]]
    originals = {
        "mentions": sum(p["mentions"] for p in series), "unique_users": 321,
        "prev_mentions": 100, "prev_unique_users": 300, "change_mentions_pct": 12.5,
        "change_users_pct": 7.0, "series": series,
        "top_users": [{"author_id": "9", "username": "original_writer", "name": "Writer",
                       "posts": 9, "followers": 3}],
    }
    db["trends"].update_one({"_id": doc["_id"]}, {"$set": {"originals": originals}})
    return originals


def test_exclude_retweets_switches_numbers_charts_and_top_users(env):
    _, db = env
    keyword = "nasa" + uuid.uuid4().hex[:4]
    today = datetime.now(UTC).date()
    sd.publish_trends(db, keyword, today)
    day = db["trends"].find_one({"_id": Period("day", today).doc_id(keyword)})
    originals = _with_originals(db, keyword, "day", today)
    _, token = new_user(db, [keyword])
    at = member(token, "views/trends.py")
    assert not at.exception
    assert "Showing all posts, retweets included." in texts(at)
    assert at.metric[0].value == f"{day['mentions']:,}"

    at.toggle(key="exclude_retweets").set_value(True).run()
    assert not at.exception
    assert "Showing original posts only" in texts(at)
    assert at.metric[0].value == f"{originals['mentions']:,}" != f"{day['mentions']:,}"
    assert at.metric[1].value == "321" and at.metric[0].delta == ui_pct(12.5)
    shown = texts(at)
    assert "Top users (by original posts)" in shown
    users = [df.value for df in at.dataframe if "username" in df.value.columns]
    assert list(users[0]["username"]) == ["original_writer"]
    figures = at.get("plotly_chart")
    assert any("Mentions (original posts)" in str(f.proto) for f in figures)
    assert any("Unique users (original posts)" in str(f.proto) for f in figures)

    # a week computed before original figures existed: said, and the totals shown
    at.segmented_control(key="period").set_value("week").run()
    assert not at.exception and at.toggle(key="exclude_retweets").value is True
    week = db["trends"].find_one({"_id": Period.containing("week", today).doc_id(keyword)})
    assert "Original-post figures not computed for this period yet" in texts(at)
    assert at.metric[0].value == f"{week['mentions']:,}"

    at.toggle(key="exclude_retweets").set_value(False).run()
    assert "not computed" not in texts(at) and "Showing all posts" in texts(at)


def ui_pct(value: float) -> str:
    from streamlit_app import ui

    return ui.pct(value)


def _pie_values(at: AppTest) -> list[int]:
    import json

    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            if trace.get("type") == "pie":
                values = trace["values"]
                if isinstance(values, dict):  # plotly's typed array: base64 of numbers
                    import base64

                    import numpy as np

                    values = np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"])
                return sorted(int(v) for v in values)
    return []


def test_compare_excludes_retweets_only_when_every_keyword_has_original_figures(env):
    _, db = env
    today = datetime.now(UTC).date()
    week = Period.containing("week", today)
    one, two = ("cmp" + uuid.uuid4().hex[:4] for _ in range(2))
    for keyword in (one, two):
        sd.publish_trends(db, keyword, today)
    first = _with_originals(db, one, "week", week.start)
    _, token = new_user(db, [one, two])
    at = member(token, "views/compare.py")
    at.toggle(key="cmp_exclude_retweets").set_value(True).run()
    assert not at.exception
    assert "not computed for this period yet for: " + two in texts(at)
    totals = sorted(db["trends"].find_one({"_id": week.doc_id(k)})["mentions"] for k in (one, two))
    assert _pie_values(at) == totals  # unlike numbers are never mixed

    second = _with_originals(db, two, "week", week.start)
    data.compare.clear()  # the page caches its documents for seconds
    at = member(token, "views/compare.py")
    at.toggle(key="cmp_exclude_retweets").set_value(True).run()
    assert "Showing original posts only" in texts(at)
    assert _pie_values(at) == sorted([first["mentions"], second["mentions"]]) != totals


def test_feed_cards_and_top_posts_name_their_network_and_link_to_it(env):
    settings, db = env
    now = datetime.now(UTC)
    uri = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l3qo2vuowo2b"
    session, cluster = cassandra_session(settings)
    try:
        sd.insert_tweet_rows(session, [
            sd.tweet_row("bts", uri, now - timedelta(minutes=2), "BTS on Bluesky",
                         "did:plc:ewvi7nxzyoun6zhxrhs64oiz", network="bluesky"),
            sd.tweet_row("bts", "mastodon.social/1000", now - timedelta(minutes=3),
                         "BTS on Mastodon", "army@mastodon.social", network="mastodon"),
        ])
    finally:
        cluster.shutdown()
    user, token = new_user(db, ["bts"])
    Accounts(db, SECRET, load_data_keys(settings)).set_x_credentials(
        user.id, {"consumer_key": "k", "consumer_secret": "s", "access_token": "t",
                  "access_token_secret": "ts"})
    live = member(token, "views/live.py")
    assert not live.exception
    shown = texts(live)
    assert "Bluesky · " in shown and "Mastodon · " in shown
    # X actions act on X posts only: two cards of other networks, no X buttons for them
    assert "BTS on Bluesky" in [t.value for t in live.text]
    likes = [b for b in live.button if b.label.startswith("♥")]
    assert all("bluesky" not in b.key and "mastodon" not in b.key for b in likes)


def test_settings_page_shows_which_sources_are_live_and_their_lag(env):
    _, db = env
    now = datetime.now(UTC)
    db["source_status"].insert_many([
        {"_id": "bluesky", "kind": "bluesky", "network": "bluesky", "posts": 1234, "events": 56,
         "skipped": 7, "dead": 1, "lag_seconds": 0.8, "updated_at": now - timedelta(seconds=3)},
        {"_id": "simulator", "kind": "simulator", "network": "x", "posts": 10, "events": 0,
         "skipped": 0, "dead": 0, "lag_seconds": None,
         "updated_at": now - timedelta(hours=2)},
    ])
    _, token = new_user(db, ["bts"])
    at = member(token, "views/settings.py")
    assert not at.exception
    (table,) = at.dataframe
    rows = table.value.to_dict("records")
    assert [(r["source"], r["network"], r["state"], r["lag"]) for r in rows] == [
        ("bluesky", "Bluesky", "live", "0.8 s"), ("simulator", "X", "stopped", "-")]
    assert rows[0]["posts"] == 1234
