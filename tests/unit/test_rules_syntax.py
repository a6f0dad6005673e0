"""The rule language's parser: trees, canonical text, keys and versions, errors and refusals."""

from __future__ import annotations

import hashlib
import pickle
import random
import unicodedata

import pytest

from tweektrend_dagster.keywords import InvalidKeyword, normalize_keyword
from tweektrend_dagster.keywords.rules import (
    MAX_RULE_CHARS,
    Rule,
    RuleError,
    legacy_rule,
    parse_rule,
    rule_from_canonical,
)
from tweektrend_dagster.keywords.rules.tree import (
    And,
    From,
    Has,
    Hashtag,
    Is,
    Lang,
    Mention,
    Network,
    Not,
    Or,
    Text,
)

# ---- trees ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("bts", Text("bts")),
        ("BTS", Text("bts")),
        ('"New  York"', Text("new york")),
        ("코로나", Text("코로나")),
        ("#COVID19", Hashtag("covid19")),
        ("＃코로나", Hashtag("코로나")),
        ("@BTS_twt", Mention("bts_twt")),
        ("from:NASA", From("nasa")),
        ("from:12345", From("12345")),
        ("a lang:KO", And((Text("a"), Lang("ko")))),
        ("a is:retweet", And((Text("a"), Is("retweet")))),
        ("a has:media", And((Text("a"), Has("media")))),
        ("a network:bluesky", And((Text("a"), Network("bluesky")))),
        ("a NETWORK:Mastodon", And((Text("a"), Network("mastodon")))),
        ("a network:twitter", And((Text("a"), Network("x")))),  # X's former name
        ("a -network:x", And((Text("a"), Not(Network("x"))))),
        (
            "a (network:x OR network:bluesky)",
            And((Text("a"), Or((Network("x"), Network("bluesky"))))),
        ),
        ('"network:x" a', And((Text("network:x"), Text("a")))),  # quoted: searched as text
        ("a b", And((Text("a"), Text("b")))),
        ("a AND b", And((Text("a"), Text("b")))),
        ("a OR b", Or((Text("a"), Text("b")))),
        ("a or b", And((Text("a"), Text("or"), Text("b")))),  # lower-case 'or' is a word, as on X
        ("a b OR c", Or((And((Text("a"), Text("b"))), Text("c")))),  # AND binds tighter
        ("a (b OR c)", And((Text("a"), Or((Text("b"), Text("c")))))),
        ("a -b", And((Text("a"), Not(Text("b"))))),
        ("a -(b OR c)", And((Text("a"), Not(Or((Text("b"), Text("c"))))))),
        ('a -"b c"', And((Text("a"), Not(Text("b c"))))),
        ("covid-19", Text("covid-19")),  # a '-' inside a word is part of it
        ("12:30", Text("12:30")),  # a non-alphabetic prefix is not an operator
        ('"say \\"hi\\" \\\\o/"', Text('say "hi" \\o/')),
        ("((a))", Text("a")),
        ("a OR (b OR c)", Or((Text("a"), Text("b"), Text("c")))),  # same operator flattened
        ("a a", Text("a")),  # repeats dropped
    ],
)
def test_trees(text: str, tree: object) -> None:
    assert parse_rule(text).tree == tree


def test_decomposed_hangul_and_case_give_the_same_rule() -> None:
    nfd = unicodedata.normalize("NFD", "코로나 OR COVID")
    assert parse_rule(nfd) == parse_rule("코로나 OR covid")
    assert parse_rule("  코로나\tOR   covid ") == parse_rule("코로나 OR covid")


# ---- canonical, key, version ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (
            "(코로나 OR covid OR #COVID19) -게임 lang:ko -is:retweet",
            "(코로나 OR covid OR #covid19) -게임 lang:ko -is:retweet",
        ),
        ("a b OR c", "(a b) OR c"),
        ("(a OR b) (c OR d)", "(a OR b) (c OR d)"),
        ("a -(b OR c)", "a -(b OR c)"),
        ('"covid"', "covid"),
        ('"new york"', '"new york"'),
        ("12:30", '"12:30"'),
        ('"lang:ko" news', '"lang:ko" news'),
        ('"-x" y', '"-x" y'),
        ('"OR" y', "or y"),
        ("a AND b", "a b"),
        ('"a \\"b\\""', '"a \\"b\\""'),
        ("코로나 network:Bluesky", "코로나 network:bluesky"),
        ("코로나 network:TWITTER", "코로나 network:x"),
        ("코로나 -(network:x OR is:retweet)", "코로나 -(network:x OR is:retweet)"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    rule = parse_rule(text)
    assert rule.canonical == canonical
    again = parse_rule(rule.canonical)
    assert again == rule and again.canonical == canonical


def test_a_single_word_or_phrase_keeps_todays_keyword_as_key() -> None:
    assert parse_rule("BTS").key == "bts" == normalize_keyword("BTS")
    assert parse_rule('"New York"').key == "new york"
    assert parse_rule("코로나").key == "코로나"


def test_a_rule_per_network_is_its_own_topic_keyed_by_its_hash() -> None:
    plain = parse_rule("코로나")
    keys = {parse_rule(f"코로나 network:{n}").key for n in ("x", "bluesky", "mastodon")}
    assert len(keys) == 3 and all(key.startswith("q:") for key in keys)
    assert plain.key == "코로나" and plain.key not in keys  # all networks together
    bluesky = parse_rule("코로나 network:bluesky")
    digest = hashlib.sha256(bluesky.canonical.encode()).hexdigest()
    assert bluesky.key == "q:" + digest[:16] and bluesky.text_atom is None
    assert parse_rule("코로나 network:twitter").key == parse_rule("코로나 network:x").key
    # A keyword followed before rules existed is never read as an operator.
    assert legacy_rule("network:bluesky").tree == Text("network:bluesky")


def test_other_rules_are_keyed_by_their_canonical_hash() -> None:
    rule = parse_rule("코로나 OR covid -게임")
    digest = hashlib.sha256(rule.canonical.encode()).hexdigest()
    assert rule.key == "q:" + digest[:16]
    assert rule.version == digest[:12]
    assert parse_rule("#bts").key.startswith("q:")  # a hashtag is not the keyword "bts"
    assert parse_rule("bts -x").key != parse_rule("bts").key
    # Same meaning typed differently: same key.
    assert parse_rule("(covid OR 코로나) -게임").key == parse_rule("(covid OR 코로나)  -게임").key
    assert parse_rule("covid OR 코로나").key != parse_rule("코로나 OR covid").key  # order kept


@pytest.mark.parametrize(
    "keyword", ["bts", "new york", "-foo", 'say "hi"', "a OR b", "(x", "lang:ko", "c#", "x\\y"]
)
def test_legacy_keyword_is_one_text_atom(keyword: str) -> None:
    rule = legacy_rule(keyword)
    assert rule.tree == Text(normalize_keyword(keyword))
    assert rule.key == normalize_keyword(keyword)
    assert rule.text_atom == rule.key
    assert rule_from_canonical(rule.canonical) == rule


def test_legacy_keyword_is_normalised_but_not_parsed() -> None:
    assert legacy_rule("#BTS").key == "bts"
    assert legacy_rule("A -B").tree == Text("a -b")
    with pytest.raises(InvalidKeyword):
        legacy_rule("")


def test_rule_pickles_as_its_canonical_text() -> None:
    rule = parse_rule("(코로나 OR covid) -게임 lang:ko")
    payload = pickle.dumps(rule)
    assert rule.canonical.encode() in payload
    assert pickle.loads(payload) == rule
    assert isinstance(rule, Rule) and str(rule) == rule.canonical


def test_rule_is_immutable() -> None:
    rule = parse_rule("bts")
    with pytest.raises(AttributeError):
        rule.key = "other"  # type: ignore[misc]


# ---- explain -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "english"),
    [
        (
            "(코로나 OR covid OR #COVID19) -게임 lang:ko -is:retweet",
            "posts that mention 코로나 or covid or the hashtag #covid19, but not 게임; in Korean; "
            "not retweets",
        ),
        ('apple -"apple pie"', 'posts that mention apple, but not "apple pie"'),
        ("from:nasa has:media", "posts by @nasa; with media"),
        ("(a OR b) (c OR d) -(e OR f)", "posts that mention (a or b) and (c or d), but not e or f"),
        ("@bts_twt is:reply", "posts that mention @bts_twt; only replies"),
        (
            "covid (lang:ko OR lang:en) -has:links",
            "posts that mention covid; in Korean or in English; without links",
        ),
        ("코로나 network:bluesky", "posts that mention 코로나; on Bluesky"),
        ("코로나 -network:x lang:ko", "posts that mention 코로나; not on X; in Korean"),
        (
            "covid (network:mastodon OR network:twitter)",
            "posts that mention covid; on Mastodon or on X",
        ),
    ],
)
def test_explain(text: str, english: str) -> None:
    assert parse_rule(text).explain() == english


# ---- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("코로나 OR (covid", 7, "unbalanced parenthesis at 7"),
        ("covid) OR 코로나", 5, "unbalanced parenthesis at 5"),
        ('bts "new album', 4, "unbalanced quote at 4"),
        ("covid OR", 6, "dangling OR at 6"),
        ("OR covid", 0, "dangling OR at 0"),
        ("a OR OR b", 2, "dangling OR at 2"),
        ("(a OR) b", 3, "dangling OR at 3"),
        ("a AND", 2, "dangling AND at 2"),
        ("a () b", 2, "empty group at 2"),
        ('a ""', 2, "empty phrase at 2"),
        ("covid url:who.int", 6, "url: is not supported at 6"),
        ("covid foo:bar", 6, "unknown operator foo: at 6"),
        ("covid is:verified", 6, "is:verified is not supported at 6"),
        ("covid has:geo", 6, "has:geo is not supported at 6"),
        (
            "covid network:facebook",
            6,
            "network:facebook is not a known network at 6; known: network:x, network:bluesky, "
            "network:mastodon",
        ),
        ("covid -network:", 7, "network: needs a network at 7; known: network:x"),
        ("코로나 network:bsky.app", 4, "network:bsky.app is not a known network at 4"),
        ("covid lang:", 6, "lang: needs a language code at 6"),
        ("covid lang:korean1", 6, "is not a language code"),
        ("covid from:", 6, "from: needs a username"),
        ("covid from:a.b", 6, "is not an X username"),
        ("covid @", 6, "@ needs an X username"),
        ("covid #", 6, "empty hashtag at 6"),
        ("covid #c++", 6, "is not a hashtag"),
        ("covid - 19", 6, "nothing to exclude after '-' at 6"),
        ("covid -", 6, "nothing to exclude"),
        ("covid --x", 6, "nothing to exclude"),
        ("covid -(-x)", 6, "double exclusion at 6"),
        ("a " + "x" * 101, 2, "word or phrase too long"),
        ("a bad\x00word", 2, "control character"),
    ],
)
def test_errors_point_at_the_mistake(text: str, position: int, reason: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rule(text)
    error = info.value
    assert reason in error.reason
    assert error.position == position
    assert isinstance(error, InvalidKeyword) and str(error) == error.reason


def test_nesting_deeper_than_16_is_refused() -> None:
    assert parse_rule("(" * 16 + "a" + ")" * 16).tree == Text("a")
    with pytest.raises(RuleError, match="nesting too deep at 16"):
        parse_rule("(" * 17 + "a" + ")" * 17)


def test_too_long_rule() -> None:
    words = " OR ".join(f"w{i}" for i in range(2000))
    with pytest.raises(RuleError, match=f"rule too long: {len(words)} chars > {MAX_RULE_CHARS}"):
        parse_rule(words)
    fits = ("w " * (MAX_RULE_CHARS // 2))[:MAX_RULE_CHARS]
    assert parse_rule(fits).tree == Text("w")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty rule"),
        ("   ", "empty rule"),
        ("-게임", "only exclusions"),
        ("-a -b -(c OR d)", "only exclusions"),
        ("lang:ko", '"lang:ko" at 0 has no word'),
        ("is:retweet -is:reply", "would match almost every post"),
        ("covid OR lang:ko", '"lang:ko" at 9 has no word'),
        ("covid OR (is:quote has:media)", '"(is:quote has:media)" at 9'),
        ("-covid lang:ko", "would match almost every post"),
        ("network:bluesky", '"network:bluesky" at 0 has no word'),
        ("network:x -network:bluesky", "network:, is: and has: only narrow a search"),
        ("-network:x", "only exclusions"),
        ("covid OR network:mastodon", '"network:mastodon" at 9 has no word'),
    ],
)
def test_refusals(text: str, reason: str) -> None:
    with pytest.raises(RuleError, match=None) as info:
        parse_rule(text)
    assert reason in info.value.reason


def test_operators_with_an_anchor_are_accepted() -> None:
    assert parse_rule("covid (lang:ko OR lang:en)").key.startswith("q:")
    assert parse_rule("from:nasa -is:retweet").tree == And((From("nasa"), Not(Is("retweet"))))
    assert parse_rule("covid OR (#bts is:quote)").tree == Or(
        (Text("covid"), And((Hashtag("bts"), Is("quote"))))
    )


def test_pointer_puts_a_caret_under_the_position() -> None:
    with pytest.raises(RuleError) as info:
        parse_rule("covid OR (bts")
    assert info.value.pointer() == "covid OR (bts\n         ^"
    with pytest.raises(RuleError) as info:
        parse_rule("코로나 OR (covid")
    # Hangul syllables take two terminal columns each.
    assert info.value.pointer() == "코로나 OR (covid\n" + " " * 10 + "^"
    with pytest.raises(RuleError) as info:
        parse_rule("a OR\nb OR")
    assert info.value.pointer() == "b OR\n  ^"


def test_rule_error_is_an_invalid_keyword_for_existing_callers() -> None:
    with pytest.raises(InvalidKeyword) as info:
        parse_rule("(")
    assert info.value.reason == "unbalanced parenthesis at 0: this '(' is never closed"
    assert parse_rule is not None and isinstance(info.value, ValueError)


def test_rule_error_pickles_with_its_position() -> None:
    with pytest.raises(RuleError) as info:
        parse_rule("covid OR (bts")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.reason, copy.position, copy.pointer()) == (
        info.value.reason, 9, info.value.pointer()
    )


def test_non_text_is_refused() -> None:
    with pytest.raises(RuleError):
        parse_rule(None)  # type: ignore[arg-type]


# ---- round trips and fuzz ------------------------------------------------------------------------

_CHARS = 'ab코로나 -"\\()#@:＃OR\tAND_1.é'


def test_any_legacy_keyword_round_trips_through_its_canonical_text() -> None:
    rng = random.Random(11)
    checked = 0
    for _ in range(3000):
        raw = "".join(rng.choice(_CHARS) for _ in range(rng.randint(1, 12)))
        try:
            rule = legacy_rule(raw)
        except InvalidKeyword:
            continue
        assert rule_from_canonical(rule.canonical) == rule, raw
        assert rule.key == normalize_keyword(raw)
        checked += 1
    assert checked > 2000


def test_random_text_is_parsed_or_refused_with_a_position() -> None:
    rng = random.Random(5)
    parsed = 0
    for _ in range(5000):
        text = "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 24)))
        try:
            rule = parse_rule(text)
        except RuleError as error:
            assert 0 <= error.position <= len(text) and error.reason
            assert error.pointer().endswith("^")
            continue
        again = parse_rule(rule.canonical)
        assert again == rule and again.canonical == rule.canonical, text
        parsed += 1
    assert parsed > 500


def test_anchor_words_are_what_a_matching_post_must_contain_one_of():
    assert parse_rule("(코로나 OR covid OR #COVID19) -게임 lang:ko").anchor_words() == [
        "코로나", "covid", "#covid19"]
    assert parse_rule('@NASA "moon landing"').anchor_words() in (["@nasa"], ["moon landing"])
    assert parse_rule("from:nasa").anchor_words() == []  # an author cannot be written into text
