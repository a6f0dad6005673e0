"""Rules as X filtered-stream rule values: as written where X takes them, split at OR when too
long, the tightest superset (with a note saying so) where X cannot express them; read for X posts
first (X has no network: operator), nothing at all for a rule only other networks match."""

from __future__ import annotations

import dataclasses
import random

import orjson
import pytest

from tests.support.rule_cases import CASES, POSTS
from tweektrend_dagster.keywords.rules import (
    X_MAX_RULE_LENGTH,
    RuleSet,
    XTranslation,
    legacy_rule,
    parse_rule,
    x_rules,
)
from tweektrend_dagster.keywords.rules.tree import Network, Text, make_and, on_network
from tweektrend_dagster.tweets import Tweet


def _x(text: str, max_length: int = X_MAX_RULE_LENGTH) -> XTranslation:
    return x_rules(parse_rule(text), max_length)


def _union_matches(values: list[str], posts: dict[str, Tweet]) -> set[str]:
    """What X would deliver if it evaluated its values as we do."""
    rules = RuleSet({f"v{i}": parse_rule(v) for i, v in enumerate(values)})
    return {name for name, tweet in posts.items() if rules.match(tweet)}


TWEETS = {name: Tweet.from_json(orjson.dumps(post)) for name, post in POSTS.items()}
# X delivers X posts only.
X_TWEETS = {name: tweet for name, tweet in TWEETS.items() if tweet.network == "x"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("bts", "bts"),
        ('"New York"', '"new york"'),
        ("(코로나 OR covid OR #COVID19) -게임 lang:ko -is:retweet",
         "(코로나 OR covid OR #covid19) -게임 lang:ko -is:retweet"),
        ("apple -(pie OR juice)", "apple -pie -juice"),
        ("from:nasa has:media -is:reply", "from:nasa has:media -is:reply"),
        ("a b OR c", "(a b) OR c"),
        ("covid -(pie OR (tart OR cake))", "covid -pie -tart -cake"),
    ],
)
def test_fits_as_written(text: str, value: str) -> None:
    x = _x(text)
    assert x.values == [value] and x.exact
    assert x.note.startswith("X receives the rule as written.")
    # X's value is a rule of our language too, matching the same posts.
    assert _union_matches(x.values, TWEETS) == _union_matches([text], TWEETS)


def test_a_legacy_keyword_goes_to_x_as_its_phrase() -> None:
    assert x_rules(legacy_rule("new york")).values == ['"new york"']
    assert x_rules(legacy_rule("a OR b")).values == ['"a or b"']


def test_korean_words_carry_the_particle_caveat() -> None:
    assert "particle" in _x("코로나 OR covid").note
    assert "particle" not in _x("covid -게임").note  # only an exclusion is Korean
    assert "particle" not in _x("#코로나").note  # a hashtag is a whole token on X as well


def test_too_long_is_split_at_the_top_level_or_and_stays_exact() -> None:
    words = [f"word{i}" for i in range(150)]
    rule = parse_rule(" OR ".join(words))
    x = x_rules(rule)
    assert x.exact and len(x.values) > 1
    assert all(len(v) <= X_MAX_RULE_LENGTH for v in x.values)
    assert [w for v in x.values for w in v.split(" OR ")] == words  # every word, once, in order
    assert "split at OR" in x.note and f"{len(rule.canonical)} chars > 512" in x.note


def test_a_long_or_group_inside_an_and_is_split_with_the_rest_kept() -> None:
    words = " OR ".join(f"word{i}" for i in range(150))
    x = _x(f"({words}) lang:en -is:retweet")
    assert x.exact and len(x.values) > 1
    for value in x.values:
        assert len(value) <= 512 and value.endswith(") lang:en -is:retweet")


def test_split_values_match_the_same_posts() -> None:
    for case in CASES:
        rule = parse_rule(case.rule)
        x = x_rules(rule, max_length=30)
        delivered = _union_matches(x.values, X_TWEETS)
        on_x = set(case.matches) & set(X_TWEETS)
        assert delivered >= on_x, case.rule  # never fewer than the rule's X posts
        if x.exact:
            assert delivered == on_x, (case.rule, x.values)
        assert all(len(v) <= 30 for v in x.values) or not x.exact, x.values


def test_a_negated_and_group_is_dropped_and_said_so() -> None:
    x = _x("apple -(pie crust) lang:en")
    assert x.values == ["apple lang:en"] and not x.exact
    assert "-(pie crust)" in x.note and "counts stay exact" in x.note


def test_still_too_long_drops_exclusions_then_keeps_only_anchors() -> None:
    x = _x("averyveryverylongword -nope -(pie OR tart) lang:en", max_length=32)
    assert x.values == ["averyveryverylongword lang:en"] and not x.exact
    assert "without its exclusions" in x.note
    x = _x("averyveryverylongword anotherveryverylongword lang:en", max_length=30)
    assert x.values == ["anotherveryverylongword"] and not x.exact
    assert "only words, hashtags and mentions" in x.note and "anotherveryverylongword" in x.note

def test_nested_or_groups_are_distributed_until_they_fit() -> None:
    x = _x("(alpha OR beta OR gamma OR delta) (#one OR #two) lang:ko", max_length=20)
    assert x.exact and len(x.values) == 8
    assert "alpha #one lang:ko" in x.values and "delta #two lang:ko" in x.values


def test_accepts_canonical_text() -> None:
    rule = parse_rule("(코로나 OR covid) -(게임 OR 주식)")
    assert x_rules(rule.canonical) == x_rules(rule)
    assert x_rules(rule).values == ["(코로나 OR covid) -게임 -주식"]


# ---- network: (X has no such operator) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("코로나 network:x", "코로나"),
        ("코로나 network:Twitter", "코로나"),
        ("코로나 -network:bluesky", "코로나"),
        ("코로나 -network:mastodon lang:ko", "코로나 lang:ko"),
        ("(코로나 network:bluesky) OR (covid network:x)", "covid"),
        ("(코로나 network:bluesky) OR covid OR bts", "covid OR bts"),
        ("covid (network:x OR lang:ko)", "covid"),  # true on X, so the whole group is
        ("covid (network:bluesky OR lang:ko)", "covid lang:ko"),
        ("covid -(network:bluesky OR 게임)", "covid -게임"),  # De Morgan: -bluesky -게임
        ("covid -(게임 network:bluesky)", "covid"),  # -(게임 AND false) is true
        ("covid -(게임 -network:bluesky)", "covid -게임"),
        ("covid -(-has:media network:x)", "covid has:media"),  # no double exclusion
        ("covid -(network:mastodon OR (pie OR tart))", "covid -pie -tart"),
    ],
)
def test_network_parts_are_read_for_x_posts_before_x_receives_the_rule(
    text: str, value: str
) -> None:
    x = _x(text)
    assert x.values == [value] and x.exact
    reads = x.note.removeprefix("X has no network: operator; on X the rule reads ")
    assert reads != x.note and "network:" not in reads
    assert _x(reads.split(". X receives")[0]).values == x.values  # the reading is a rule
    # What X delivers is what the rule matches among X posts.
    assert _union_matches(x.values, X_TWEETS) == _union_matches([text], X_TWEETS)


@pytest.mark.parametrize(
    ("text", "networks"),
    [
        ("코로나 network:bluesky", "Bluesky"),
        ("코로나 network:mastodon -is:reply", "Mastodon"),
        ("코로나 -network:x", "Bluesky or Mastodon"),
        ("covid (network:bluesky OR network:mastodon)", "Bluesky or Mastodon"),
        ("covid -(network:x OR 게임)", "Bluesky or Mastodon"),
        ("(코로나 network:bluesky) OR (covid -network:x)", "Bluesky or Mastodon"),
        ("(코로나 network:bluesky) OR (covid network:mastodon)", "Bluesky or Mastodon"),
    ],
)
def test_a_rule_only_other_networks_match_sends_x_nothing(text: str, networks: str) -> None:
    x = _x(text)
    assert x.values == [] and x.exact  # exactly the rule's X posts: none
    assert x.note == (
        f"The rule matches only posts on {networks}; X delivers only posts on X, so X "
        "receives nothing for it."
    )
    assert not parse_rule(text).key.startswith("코로나")  # its own q: key, not a keyword
    assert _union_matches([text], X_TWEETS) == set()


def test_a_long_rule_with_network_parts_is_split_without_repeating_it_in_the_note() -> None:
    words = " OR ".join(f"word{i}" for i in range(150))
    x = _x(f"({words}) -network:mastodon lang:en")
    assert x.exact and len(x.values) > 1
    assert all(len(v) <= 512 and v.endswith(") lang:en") for v in x.values)
    assert x.note.startswith("X has no network: operator; on X the rule reads without its "
                             "network: parts. The rule is longer than X allows")
    assert "word149" not in x.note


def test_a_rule_without_network_goes_to_x_unchanged() -> None:
    for case in CASES:
        if "network:" not in case.rule.lower():
            rule = parse_rule(case.rule)
            assert on_network(rule.tree, "x") is rule.tree, case.rule
            assert "network:" not in x_rules(rule).note, case.rule


def test_a_rule_reads_per_network() -> None:
    rule = parse_rule("(코로나 network:bluesky) OR (covid -network:x)")
    assert on_network(rule.tree, "x") is False
    assert on_network(rule.tree, "bluesky") == parse_rule("코로나 OR covid").tree
    assert on_network(rule.tree, "mastodon") == Text("covid")
    assert on_network(Network("x"), "x") is True
    assert on_network(make_and([Text("a"), Network("bluesky")]), "x") is False


def _as_x_posts() -> dict[str, Tweet]:
    # Every table post as an X post as well, so each filter has X posts on both sides.
    posts = dict(X_TWEETS)
    for name, tweet in TWEETS.items():
        if tweet.network != "x":
            copy = dataclasses.replace(tweet, network="x", id=str(9000 + len(posts)))
            posts[name + "_on_x"] = copy
    return posts


def test_random_rules_with_network_parts_send_x_what_they_match_on_x() -> None:
    rng = random.Random(16)
    words = ["코로나", "covid", "bts", "apple", "pie", "게임", "vaccine", "#코로나19", "@bts_twt"]
    filters = ["network:x", "network:bluesky", "network:mastodon", "lang:ko", "lang:en",
               "is:reply", "is:retweet", "has:media"]

    def part() -> str:
        roll = rng.random()
        if roll < 0.3:
            return rng.choice(filters)
        if roll < 0.6:
            return "(" + " OR ".join(rng.sample(filters, 2)) + ")"
        inner = f"{rng.choice(words)} {rng.choice(filters)}"
        return f"({inner})" if roll < 0.8 else f"({rng.choice(words)} OR {inner})"

    def rule() -> str:
        text = rng.choice(words) + "".join(
            " " + ("-" if rng.random() < 0.5 else "") + part() for _ in range(rng.randint(1, 3))
        )
        return f"({text}) OR ({rng.choice(words)} {rng.choice(filters)})" if rng.random() < 0.3 \
            else text

    posts = _as_x_posts()
    nothing = matched = 0
    for _ in range(400):
        text = rule()
        x = _x(text)
        expected = _union_matches([text], posts)
        assert all("network:" not in value for value in x.values), (text, x.values)
        delivered = _union_matches(x.values, posts) if x.values else set()
        assert delivered >= expected, (text, x.values)
        if x.exact:
            assert delivered == expected, (text, x.values)
        nothing += not x.values
        matched += len(expected)
    assert nothing > 20 and matched > 100  # both kinds of rule were drawn, and they matched
