"""The rule table: rules × posts in Korean and English, on X, Bluesky and Mastodon, with the
posts each rule must match.

Pure data, so the same cases run through the producer's evaluator (tests/unit/test_rules_table.py)
and through Spark on the same posts. `POSTS` are normalised tweet objects (the "tweektrend" JSON
the raw archive holds: `Tweet.from_json(orjson.dumps(post))` reads one); `CASES` pair a rule as a
user types it with the names of the posts it matches.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

_BASE_ID = 1_800_000_000_000_000_000
_AT = "2026-03-05T12:00:00.000Z"


def _post_id(network: str, n: int) -> int | str:
    # Each network spells its ids its own way (tweets/checks.py check_post_id).
    if network == "bluesky":
        return f"at://did:plc:rules{n}/app.bsky.feed.post/3kdrules{n:04d}"
    if network == "mastodon":
        return f"mastodon.social/{_BASE_ID + n}"  # host/status-id
    return _BASE_ID + n


def _post(
    n: int,
    text: str,
    *,
    lang: str | None = None,
    username: str = "user",
    author_id: str | None = None,
    relation: str | None = None,
    hashtags: tuple[str, ...] = (),
    mentions: tuple[str, ...] = (),
    urls: tuple[str, ...] = (),
    has_media: bool = False,
    network: str = "x",
) -> dict[str, Any]:
    return {
        "network": network,
        "id": _post_id(network, n),
        "created_at": _AT,
        "text": text,
        "author": {"id": author_id or str(1000 + n), "username": username},
        "lang": lang,
        "relation": relation,
        "related_id": _post_id(network, 999) if relation else None,
        "hashtags": list(hashtags),
        "mentions": list(mentions),
        "urls": list(urls),
        "has_media": has_media,
    }


POSTS: dict[str, dict[str, Any]] = {
    "ko_particle": _post(1, "코로나가 다시 유행이네요", lang="ko", username="minji"),
    "ko_corona19": _post(2, "코로나19 확진자 늘었다 #코로나19", lang="ko", hashtags=("코로나19",)),
    "ko_game": _post(3, "코로나 게임 재밌다", lang="ko"),
    "ko_post_corona": _post(4, "포스트코로나 시대의 여행", lang="ko"),
    "ko_nfd": _post(5, unicodedata.normalize("NFD", "코로나 조심하세요"), lang="ko"),
    "en_covid19": _post(
        6, "covid19 cases are rising https://t.co/x1", lang="en", urls=("https://who.int/x",)
    ),
    "en_covidiot": _post(7, "what a covidiot", lang="en"),
    "en_retweet": _post(8, "COVID vaccine news today", lang="en", relation="retweet"),
    "en_quote": _post(9, "quoting this covid thread", lang="en", relation="quote"),
    "en_upper": _post(10, "CORONA VIRUS COVID", lang="EN"),
    "en_apple": _post(11, "I bought an Apple watch", lang="en"),
    "en_apple_pie": _post(12, "Apple pie recipe, so good", lang="en", has_media=True),
    "en_new_york": _post(13, "Visiting New  York city", lang="en"),
    "en_newyork": _post(14, "newyork style bagels", lang="en"),
    "tag_entity_only": _post(15, "오늘 무대 최고", lang="ko", hashtags=("BTS",)),
    "tag_in_text": _post(16, "#BTS comeback tonight", lang="en"),
    "tag_longer": _post(17, "#BTSARMY forever", lang="en", hashtags=("BTSARMY",)),
    "mention_entity_reply": _post(
        18, "thanks for the stage!", lang="en", relation="reply", mentions=("BTS_twt",)
    ),
    "mention_in_text": _post(19, "@bts_twt 사랑해", lang="ko"),
    "mention_longer": _post(20, "@bts_twt_jp hello", lang="en"),
    "nasa_photo": _post(
        21, "Moon photo of the day", lang="en", username="NASA", author_id="11348282",
        urls=("https://nasa.gov/m",), has_media=True,
    ),
    "ja_corona": _post(22, "コロナ対策について", lang="ja"),
    "zh_tw": _post(23, "新冠 covid 疫苗", lang="zh-TW"),
    "bsky_corona": _post(24, "코로나 끝난 줄 알았는데", lang="ko", network="bluesky"),
    "bsky_covid_reply": _post(
        25, "covid again? stay safe", lang="en", relation="reply", network="bluesky"
    ),
    "masto_corona19": _post(
        26, "코로나19 소식 정리 #코로나19", lang="ko", hashtags=("코로나19",), network="mastodon"
    ),
    "masto_covid_media": _post(
        27, "covid vaccine clinic photos", lang="en", has_media=True, network="mastodon"
    ),
}


@dataclass(frozen=True)
class RuleCase:
    rule: str  # as a user types it
    matches: frozenset[str]  # names of POSTS
    why: str


def _case(rule: str, matches: str, why: str) -> RuleCase:
    return RuleCase(rule, frozenset(matches.split()), why)


_KO_CORONA_X = "ko_particle ko_corona19 ko_game ko_post_corona ko_nfd"
_EN_COVID_X = "en_covid19 en_retweet en_quote en_upper zh_tw"
# A rule without network: covers every network.
_KO_CORONA = f"{_KO_CORONA_X} bsky_corona masto_corona19"
_EN_COVID = f"{_EN_COVID_X} bsky_covid_reply masto_covid_media"
_OTHER_NETWORKS_KO = "bsky_corona masto_corona19"

CASES: list[RuleCase] = [
    _case("코로나", _KO_CORONA, "Korean word: particles, numbers and compounds attached, NFD text"),
    _case(
        "코로나 -게임",
        f"ko_particle ko_corona19 ko_post_corona ko_nfd {_OTHER_NETWORKS_KO}",
        "exclusion",
    ),
    _case("COVID", _EN_COVID, "upper case typed; covid19 matches, covidiot does not"),
    _case("covid", _EN_COVID, "Latin boundaries"),
    _case("코로나 OR covid", f"{_KO_CORONA} {_EN_COVID}", "OR of two languages"),
    _case(
        "(코로나 OR covid OR #COVID19) -게임 lang:ko -is:retweet",
        f"ko_particle ko_corona19 ko_post_corona ko_nfd {_OTHER_NETWORKS_KO}",
        "the issue's researcher rule",
    ),
    _case(
        "covid lang:en",
        "en_covid19 en_retweet en_quote en_upper bsky_covid_reply masto_covid_media",
        "lang: ignores case",
    ),
    _case("covid lang:zh", "zh_tw", "lang:zh includes its regions"),
    _case("covid (lang:ko OR lang:ja OR lang:zh)", "zh_tw", "an OR group of languages"),
    _case(
        "covid -is:retweet",
        "en_covid19 en_quote en_upper zh_tw bsky_covid_reply masto_covid_media",
        "retweets out",
    ),
    _case("covid is:retweet", "en_retweet", "only retweets"),
    _case("covid is:quote", "en_quote", "only quotes"),
    _case("@bts_twt is:reply", "mention_entity_reply", "only replies"),
    _case("covid has:links", "en_covid19", "links"),
    _case("apple has:media", "en_apple_pie", "media"),
    _case("apple -has:media", "en_apple", "no media"),
    _case('apple -"apple pie"', "en_apple", "a brand without the dessert"),
    _case('"new york"', "en_new_york", "a phrase; whitespace collapsed, no joined spelling"),
    _case("new york", "en_new_york", "two words anywhere"),
    _case('"covid vaccine"', "en_retweet masto_covid_media", "phrase in upper-case text"),
    _case("virus corona", "en_upper", "implicit AND, written order does not matter"),
    _case("#bts", "tag_entity_only tag_in_text", "hashtag: entity or text, not a longer tag"),
    _case(
        "bts",
        "tag_entity_only tag_in_text mention_in_text mention_longer",
        "the keyword bts: a hashtag entity equal to it, '#' and '@' are boundaries",
    ),
    _case("#코로나19", "ko_corona19 masto_corona19", "a Korean hashtag"),
    _case("#코로나", "", "a Korean hashtag is a whole tag: #코로나19 is not #코로나"),
    _case("@bts_twt", "mention_entity_reply mention_in_text", "mention: entity or text"),
    _case("from:NASA", "nasa_photo", "author username, any case"),
    _case("from:11348282 photo", "nasa_photo", "author id"),
    _case("from:nasa -has:links", "", "an author's posts without links"),
    _case("コロナ", "ja_corona", "Japanese needs no boundary"),
    _case(
        "코로나 OR (covid is:quote)",
        f"{_KO_CORONA} en_quote",
        "AND inside OR",
    ),
    _case(
        "(코로나 OR covid) (lang:ko OR is:retweet) -(게임 OR 포스트코로나)",
        f"ko_particle ko_corona19 ko_nfd en_retweet {_OTHER_NETWORKS_KO}",
        "groups on both sides and a negated group",
    ),
    _case(
        "covid -covid19",
        "en_retweet en_quote en_upper zh_tw bsky_covid_reply masto_covid_media",
        "a longer word excluded",
    ),
    # network: narrows a topic to the posts of one network; without it a topic covers them all.
    _case("코로나 network:bluesky", "bsky_corona", "one network"),
    _case("코로나 network:Mastodon", "masto_corona19", "network: ignores case"),
    _case("코로나 network:x", _KO_CORONA_X, "X's posts only"),
    _case("코로나 network:twitter", _KO_CORONA_X, "twitter is another name of x"),
    _case("코로나 -network:x", _OTHER_NETWORKS_KO, "every network but X"),
    _case(
        "covid (network:bluesky OR network:mastodon) -is:reply",
        "masto_covid_media",
        "an OR group of networks with another filter",
    ),
    _case(
        "(코로나 network:bluesky) OR (covid network:mastodon)",
        "bsky_corona masto_covid_media",
        "a different word per network",
    ),
    _case("covid -(network:x OR is:reply)", "masto_covid_media", "a negated group with network:"),
    _case(
        "covid -(network:x -has:media)",
        "bsky_covid_reply masto_covid_media",
        "X's posts only with media (none here), every other network's post",
    ),
    _case("#코로나19 -network:x", "masto_corona19", "a hashtag off X"),
    _case(
        "(코로나 OR covid) lang:ko network:mastodon",
        "masto_corona19",
        "language and network together",
    ),
]
