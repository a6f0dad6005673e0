"""Rules as X filtered-stream rule values: as written where X takes them, split at OR when too
long, the tightest superset (with a note saying so) where X cannot express them."""

from __future__ import annotations

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
from tweektrend_dagster.tweets import Tweet


def _x(text: str, max_length: int = X_MAX_RULE_LENGTH) -> XTranslation:
    return x_rules(parse_rule(text), max_length)


def _union_matches(values: list[str], posts: dict[str, Tweet]) -> set[str]:
    """What X would deliver if it evaluated its values as we do."""
    rules = RuleSet({f"v{i}": parse_rule(v) for i, v in enumerate(values)})
    return {name for name, tweet in posts.items() if rules.match(tweet)}


TWEETS = {name: Tweet.from_json(orjson.dumps(post)) for name, post in POSTS.items()}


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
        delivered = _union_matches(x.values, TWEETS)
        assert delivered >= set(case.matches), case.rule  # never fewer than the rule
        if x.exact:
            assert delivered == set(case.matches), (case.rule, x.values)
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
