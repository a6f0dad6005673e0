"""Topics on the dashboard through AppTest: a rule is checked (its mistake pointed at), explained
and previewed on the archive before it is saved; editing a rule saves a new version; onboarding
takes words and rules alike. Same stack and fixtures as test_app_pages.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_app_pages import env, member, new_user, texts  # noqa: F401
from tweektrend_dagster.clients import cassandra_session
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.tweets.model import Author, Tweet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def archived(env):  # noqa: F811 - the imported fixture
    """Three archived posts of the last hour: two match `(코로나 OR covid) -게임`."""
    settings, _ = env
    session, cluster = cassandra_session(settings)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for i, text in enumerate(["코로나 확진자 소식", "covid news today", "코로나 게임 출시"]):
        tweet = Tweet(id=str(9_100_000 + i), created_at=now, text=text,
                      author=Author(id=f"p{i}", username=f"p{i}"))
        session.execute(
            "INSERT INTO raw_posts_by_day (day, hour, network, id, created_at, tweet, keywords) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (now.date(), now.hour, tweet.network, tweet.id, now, tweet.to_json().decode(), set()))
    session.execute("INSERT INTO ingested_days (scope, day, updated_at) VALUES ('all', %s, %s)",
                    (now.date(), now))
    session.execute("INSERT INTO ingested_hours (scope, day, hour, updated_at) "
                    "VALUES ('all', %s, %s, %s)", (now.date(), now.hour, now))
    yield now
    cluster.shutdown()


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_rule_is_checked_explained_and_previewed_before_it_is_followed(env, archived):  # noqa: F811
    _, db = env
    user, token = new_user(db, ["bts"])
    at = member(token, "views/keywords.py")

    at.text_input(key="add_kw_text").input("코로나 OR (covid")
    at.button(key="add_kw_check_button").click().run()
    assert "unbalanced" in texts(at).lower() or "parenthes" in texts(at).lower()
    assert any("^" in c.value for c in at.code)  # the caret under the mistake
    assert not [b for b in at.button if b.label == "Follow this topic"]

    # AND binds tighter than OR, as on X: the plain words say so, and the preview counts it
    at.text_input(key="add_kw_text").input("코로나 OR covid -게임")
    at.button(key="add_kw_check_button").click().run()
    shown = texts(at)
    assert "either posts that mention 코로나, or posts that mention covid, but not 게임" in shown
    assert "3 of 3 archived posts" in shown

    at.text_input(key="add_kw_text").input("(코로나 OR covid) -게임")
    at.text_input(key="add_kw_name").input("Corona")
    at.button(key="add_kw_check_button").click().run()
    shown = texts(at)
    assert "posts that mention 코로나 or covid, but not 게임" in shown  # in plain words
    assert "2 of 3 archived posts" in shown  # the preview on the archive
    assert not KeywordRegistry(db).find_topic(user.id, "Corona")  # nothing saved yet

    _button(at, "Follow this topic").click().run()
    assert not at.exception
    topic = KeywordRegistry(db).find_topic(user.id, "Corona")
    assert topic is not None and topic["keyword"].startswith("q:")
    assert topic["keyword"] in KeywordRegistry(db).active_keywords()
    assert "Following Corona" in texts(at)


def test_a_topic_on_one_network_is_its_own_rule_and_previews_that_network_only(
        env, archived):  # noqa: F811
    _, db = env
    user, token = new_user(db, ["bts"])
    at = member(token, "views/keywords.py")
    at.text_input(key="add_kw_text").input("코로나 OR covid")
    at.selectbox(key="add_kw_network").select("Bluesky")
    at.button(key="add_kw_check_button").click().run()
    shown = texts(at)
    assert "on Bluesky" in shown
    assert "0 of 3 archived posts" in shown  # the archive's three posts are X posts
    _button(at, "Follow this topic").click().run()
    assert not at.exception
    (topic,) = [t for t in KeywordRegistry(db).user_keywords(user.id) if t["keyword"] != "bts"]
    assert topic["canonical"] == "(코로나 OR covid) network:bluesky"
    assert topic["keyword"].startswith("q:")


def test_editing_a_rule_saves_a_new_version(env, archived):  # noqa: F811
    _, db = env
    user, token = new_user(db, ["코로나"])
    at = member(token, "views/keywords.py")
    at.text_input(key="edit_text_코로나").input("코로나 -게임")
    at.button(key="edit_check_button_코로나").click().run()
    assert "2 of 3 archived posts" not in texts(at) and "1 of 3 archived posts" in texts(at)
    _button(at, "Save the new rule").click().run()
    assert not at.exception
    (topic,) = KeywordRegistry(db).user_keywords(user.id)
    assert topic["rule"] == "코로나 -게임" and len(topic["versions"]) == 2
    assert topic["display"] == "코로나"
    assert "now follows the new rule" in texts(at)


def test_onboarding_takes_words_and_rules_and_shows_what_they_match(env, archived):  # noqa: F811
    _, db = env
    user, token = new_user(db, [])
    at = member(token, "views/onboarding.py")
    at.text_input(key="onboard_kw_text").input('covid -"covid news", 코로나')
    _button(at, "Follow these").click().run()
    assert KeywordRegistry(db).user_keywords(user.id) == []  # shown first, not yet saved
    shown = texts(at)
    assert "0 of 3 archived posts" in shown and "2 of 3 archived posts" in shown
    _button(at, "Start following").click().run()
    assert not at.exception
    rules = [t["rule"] for t in KeywordRegistry(db).user_keywords(user.id)]
    assert rules == ['covid -"covid news"', "코로나"]


def test_the_preview_window_ignores_posts_older_than_a_week(env, archived):  # noqa: F811
    settings, _ = env
    from tweektrend_dagster.archive.preview import preview_rule
    from tweektrend_dagster.keywords.rules import parse_rule

    session, cluster = cassandra_session(settings)
    try:
        old = archived - timedelta(days=10)
        session.execute("INSERT INTO ingested_days (scope, day, updated_at) VALUES ('all', %s, %s)",
                        (old.date(), old))
        result = preview_rule(session, parse_rule("코로나"))
        assert (result.matched, result.scanned, result.complete) == (2, 3, True)
    finally:
        cluster.shutdown()


def test_a_saved_view_of_an_edited_rule_still_reads_as_its_topic(env):  # noqa: F811
    from streamlit_app.queries import insert_saved

    _, db = env
    user, token = new_user(db, [])
    registry = KeywordRegistry(db)
    old = registry.add(user.id, "apple", name="Apple")
    insert_saved(db, user.id, "before the edit", old, "day", None)
    registry.edit(user.id, old, "apple -pie")
    at = member(token, "views/saved.py")
    assert "Apple \\(earlier rule\\)" in texts(at) or "Apple (earlier rule)" in texts(at)


def test_the_trends_page_says_which_rule_made_its_numbers(env):  # noqa: F811
    from datetime import date

    from tests.support import sample_data as sd

    _, db = env
    user, token = new_user(db, [])
    rule_key = KeywordRegistry(db).add(user.id, "(코로나 OR covid) -게임", name="Corona")
    rule = KeywordRegistry(db).active_rules()[rule_key]
    sd.publish_trends(db, rule_key, date.today())
    db.trends.update_many({"keyword": rule_key},
                          {"$set": {"rule": rule.canonical, "rule_version": rule.version}})
    at = member(token, "views/trends.py")
    assert not at.exception
    shown = texts(at)
    assert "Corona" in shown and rule.version in shown and "covid" in shown
