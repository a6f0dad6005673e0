"""The rule table (tests/support/rule_cases.py) through the one evaluator, and the evaluator's
promises: a bare word matches exactly as the keyword matcher did, a set of many rules answers as
each rule alone, and a set rebuilt from canonical texts is the same set."""

from __future__ import annotations

import dataclasses
import pickle
import random
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.support.rule_cases import CASES, POSTS, RuleCase
from tweektrend_dagster.keywords import KeywordMatcher
from tweektrend_dagster.keywords.rules import RuleSet, legacy_rule, parse_rule
from tweektrend_dagster.tweets import Author, InvalidTweet, Tweet, parse_payload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tweets"
TWEETS = {name: Tweet.from_json(orjson.dumps(post)) for name, post in POSTS.items()}


def _matching(rules: RuleSet, key: str) -> set[str]:
    return {name for name, tweet in TWEETS.items() if key in rules.match(tweet)}


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule_table(case: RuleCase) -> None:
    rule = parse_rule(case.rule)
    assert _matching(RuleSet({rule.key: rule}), rule.key) == case.matches, case.why


def test_all_table_rules_in_one_set_answer_as_each_alone() -> None:
    rules = {parse_rule(c.rule).key: parse_rule(c.rule) for c in CASES}
    together = RuleSet(rules)
    expected = {parse_rule(c.rule).key: c.matches for c in CASES}
    for key in rules:
        assert _matching(together, key) == expected[key], rules[key].canonical


def test_the_table_covers_every_post_and_operator() -> None:
    matched = set().union(*(c.matches for c in CASES))
    assert matched >= set(POSTS) - {"en_covidiot", "en_newyork", "tag_longer"}
    typed = " ".join(c.rule for c in CASES)
    for operator in ("lang:", "is:retweet", "is:reply", "is:quote", "has:links", "has:media",
                     "from:", "#", "@", " OR ", "-(", '"', "network:x", "network:bluesky",
                     "network:mastodon", "-network:"):
        assert operator in typed, operator
    # Every network has posts, and a rule without network: matches posts of each.
    networks = {TWEETS[name].network for name in parse_case("코로나").matches}
    assert networks == {"x", "bluesky", "mastodon"}


def parse_case(rule: str) -> RuleCase:
    return next(case for case in CASES if case.rule == rule)


# ---- a bare word is today's keyword --------------------------------------------------------------

_KEYWORDS = ["코로나", "bts", "netflix", "new york", "york", "covid", "cat", "c#", "넷플릭스", "😷",
             "apple", "pie", "vaccine", "백신", "covid-19", "ai", "x"]
_PIECES = ["코로나", "코로나가", "포스트코로나", "BTS", "#bts", "@bts_twt", "subtsystem", "btsarmy",
           "한국BTS가", "Netflix's", "NETFLIX", "netflix.com", "New", "York", "new  york",
           "newyork",
           "covid19", "covid-19", "Covidiot", "cat!", "category", "C#", "abc#", "넷플릭스코리아",
           "😷", "apple", "Apple-pie", "pie", "VACCINE", "백신을", "AI", "x", "x.com", "é", "ß",
           ",", " ", "\n", "19", "a", "ai-generated", "ǰ", unicodedata.normalize("NFD", "코로나")]


def _texts(count: int) -> list[str]:
    rng = random.Random(15)
    texts = []
    for _ in range(count):
        parts = [rng.choice(_PIECES) for _ in range(rng.randint(0, 8))]
        texts.append(rng.choice(("", " ")).join(parts) if rng.random() < 0.3 else " ".join(parts))
    return texts


def _fixture_tweets() -> list[Tweet]:
    tweets = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                tweets.append(parse_payload(line))
            except (InvalidTweet, ValueError):
                continue
    return tweets


def test_a_single_word_rule_matches_exactly_as_the_keyword_matcher() -> None:
    tweets = _fixture_tweets()
    assert len(tweets) > 20
    texts = _texts(3000)
    rng = random.Random(3)
    for text in texts[:400]:
        tags = ["BTS", "Netflix", "코로나", "cats", "apple pie"][: rng.randint(0, 2)]
        tweets.append(Tweet(id="1", created_at=datetime(2026, 3, 5, tzinfo=UTC), text=text,
                            author=Author(id="1", username="u"), hashtags=tags))
    for keyword in _KEYWORDS:
        matcher = KeywordMatcher([keyword])
        rules = RuleSet({legacy_rule(keyword).key: legacy_rule(keyword)})
        for item in [*texts, *tweets]:
            assert rules.match(item) == matcher.match(item), (keyword, item)
    # All keywords at once, too: the same keys per text.
    matcher = KeywordMatcher(_KEYWORDS)
    rules = RuleSet({legacy_rule(k).key: legacy_rule(k) for k in _KEYWORDS})
    for item in [*texts, *tweets]:
        assert rules.match(item) == matcher.match(item), item
    assert sum(bool(matcher.match(t)) for t in texts) > 1000  # the texts do hit


def test_a_typed_bare_word_is_the_legacy_rule() -> None:
    for keyword in ("BTS", "코로나", '"New York"', "covid-19"):
        typed = parse_rule(keyword)
        assert typed == legacy_rule(typed.key)


# ---- the set -------------------------------------------------------------------------------------


def test_built_from_canonical_texts_and_pickled() -> None:
    rules = {parse_rule(c.rule).key: parse_rule(c.rule) for c in CASES}
    from_text = RuleSet({key: rule.canonical for key, rule in rules.items()})
    assert from_text.keys == frozenset(rules) and len(from_text) == len(rules)
    shipped = pickle.loads(pickle.dumps(from_text))
    assert shipped.rules == rules
    for tweet in TWEETS.values():
        assert shipped.match(tweet) == RuleSet(rules).match(tweet)


def test_set_basics_and_plain_text() -> None:
    rules = RuleSet({"bts": legacy_rule("bts"), "q": parse_rule("#bts lang:ko")})
    assert "bts" in rules and "other" not in rules and sorted(rules) == ["bts", "q"]
    # A bare text has hashtags in its text but no language, relation or entities.
    assert rules.match("#BTS 최고") == ["bts"]
    assert RuleSet({}).match("bts") == [] and len(RuleSet({})) == 0
    assert RuleSet({"q": parse_rule("#bts")}).match("#BTS!") == ["q"]


def test_network_is_the_posts_network_and_a_bare_text_has_none() -> None:
    rules = RuleSet({
        "bsky": parse_rule("코로나 network:bluesky"),
        "not_x": parse_rule("코로나 -network:x"),
        "x": parse_rule("코로나 network:twitter"),
        "all": parse_rule("코로나"),
    })
    post = TWEETS["bsky_corona"]
    assert rules.match(post) == ["all", "bsky", "not_x"]
    on_x = dataclasses.replace(post, network="x", id="1")
    assert rules.match(on_x) == ["all", "x"]
    on_mastodon = dataclasses.replace(post, network="mastodon", id="mastodon.social/1")
    assert rules.match(on_mastodon) == ["all", "not_x"]
    # A bare text is on no network: network:… is false there, -network:… true.
    assert rules.match(post.text) == ["all", "not_x"]
    # A post stored before networks existed is read as an X post.
    legacy = {**POSTS["ko_particle"]}
    del legacy["network"]
    assert rules.match(Tweet.from_json(orjson.dumps(legacy))) == ["all", "x"]


def test_only_rules_with_a_found_anchor_are_evaluated() -> None:
    rules = RuleSet({f"r{i}": parse_rule(f"w{i}x -is:retweet") for i in range(200)})
    rules = RuleSet({**rules.rules, "lang": parse_rule("(w7x OR w8x) lang:ko"),
                     "plain": parse_rule("w7x OR w9x")})
    text = "w7x and w12x and nothing"
    assert rules.match(text) == ["plain", "r12", "r7"]
    # "plain" is an OR of words: matched without evaluation.
    assert rules._evaluated_for(text) == {"r12", "r7", "lang"}


def test_negated_words_are_still_found_in_the_text() -> None:
    rules = RuleSet({"q": parse_rule("apple -pie -#dessert -@chef")})
    assert rules.match("apple") == ["q"]
    assert rules.match("apple pie") == []
    assert rules.match("apple #dessert") == []
    assert rules.match("apple #desserts") == ["q"]
    assert rules.match("apple @chef") == [] and rules.match("apple @chef_kim") == ["q"]


# ---- against a plain tree walk -------------------------------------------------------------------


def _reference(node, tweet: Tweet) -> bool:  # type: ignore[no-untyped-def]
    """The documented semantics, one node at a time (slow and obvious)."""
    from tweektrend_dagster.keywords import normalize_text
    from tweektrend_dagster.keywords.boundaries import is_hashtag_char
    from tweektrend_dagster.keywords.rules import tree as T

    text = normalize_text(tweet.text)
    if isinstance(node, T.Text):
        return bool(KeywordMatcher([node.value]).match(tweet))
    if isinstance(node, (T.Hashtag, T.Mention)):
        is_tag = isinstance(node, T.Hashtag)
        sigil, entities = ("#", tweet.hashtags) if is_tag else ("@", tweet.mentions)
        if node.value in {normalize_text(e).lstrip("#@") for e in entities}:
            return True
        literal, start = sigil + node.value, 0
        while (at := text.find(literal, start)) != -1:
            after = at + len(literal)
            follows = text[after] if after < len(text) else ""
            bad = is_hashtag_char(follows) if sigil == "#" else (follows.isascii() and (
                follows.isalnum() or follows == "_"))
            if not follows or not bad:
                return True
            start = at + 1
        return False
    if isinstance(node, T.From):
        return node.value in (tweet.author.username.casefold(), tweet.author.id)
    if isinstance(node, T.Lang):
        lang = (tweet.lang or "").lower()
        return lang == node.value or lang.startswith(node.value + "-")
    if isinstance(node, T.Network):
        return tweet.network == node.value
    if isinstance(node, T.Is):
        return tweet.relation == node.value
    if isinstance(node, T.Has):
        return bool(getattr(tweet, {"links": "urls", "media": "has_media"}.get(node.value,
                                                                             node.value)))
    if isinstance(node, T.Not):
        return not _reference(node.child, tweet)
    parts = (_reference(c, tweet) for c in node.children)
    return all(parts) if isinstance(node, T.And) else any(parts)


def test_the_set_agrees_with_a_plain_tree_walk_on_random_rules() -> None:
    rng = random.Random(21)
    words = ["코로나", "covid", "bts", "apple", "pie", "new york", "게임", "york", "stage",
             "사랑해", "vaccine", "cat"]
    atoms = [*words, *(f'"{w}"' for w in words if " " in w), "#bts", "#코로나19", "@bts_twt",
             "from:nasa", "from:minji"]
    filters = ["lang:ko", "lang:en", "is:retweet", "is:reply", "is:quote", "has:links",
               "has:media", "has:hashtags", "has:mentions", "network:x", "network:bluesky",
               "network:mastodon"]

    def anchored() -> str:
        roll = rng.random()
        if roll < 0.4:
            return rng.choice(atoms)
        if roll < 0.7:
            return "(" + " OR ".join(rng.choice(atoms) for _ in range(rng.randint(2, 3))) + ")"
        return f"{rng.choice(atoms)} {rng.choice(atoms)}"

    def rule() -> str:
        parts = [anchored()]
        for _ in range(rng.randint(0, 3)):
            extra = rng.choice([anchored(), rng.choice(filters)])
            parts.append(("-" if rng.random() < 0.4 else "") + extra)
        text = " ".join(parts)
        return f"{text} OR {anchored()}" if rng.random() < 0.2 else text

    rules = {}
    while len(rules) < 300:
        parsed = parse_rule(rule())
        rules[parsed.key] = parsed
    together = RuleSet(rules)
    tweets = [*TWEETS.values(), *_fixture_tweets()]
    matched = 0
    for tweet in tweets:
        expected = sorted(key for key, r in rules.items() if _reference(r.tree, tweet))
        assert together.match(tweet) == expected, tweet.text
        matched += len(expected)
    assert matched > 100
