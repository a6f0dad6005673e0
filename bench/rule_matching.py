"""Rule matching benchmark: the producer's parse + match rate with one bare keyword and with
1,000 rules followed, on the same simulated tweets. Prints numbers, never asserts them.

    .venv/bin/python bench/rule_matching.py                 # 30,000 tweets, best of 3
    .venv/bin/python bench/rule_matching.py --tweets 5000   # a smoke check
    .venv/bin/python bench/rule_matching.py --profile       # where the 1,000 rules' time goes

Per tweet, as `TweetProducer.send` does: `parse_payload` (the simulator's X API v2 envelope) and
`RuleSet.match`. The 1,000 rules are a realistic mix built from the simulator's vocabulary
(bare words, phrases, OR groups, exclusions, lang:, -is:retweet, hashtags, from: of authors that
post in the stream). Target (issue 15): 1,000 rules within 20 % of one bare keyword's rate.
Single process, no servers; a run takes well under a minute.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from tweektrend_dagster.ingest.sources.simulator import generate
from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.keywords import KeywordMatcher
from tweektrend_dagster.keywords.rules import Rule, RuleSet, legacy_rule, parse_rule
from tweektrend_dagster.tweets import parse_payload

START = datetime(2026, 2, 2, tzinfo=UTC)


def simulated(n: int) -> list[bytes]:
    return generate(n, seed=15, start=START, span=timedelta(hours=6))


def _words(absent: bool) -> tuple[list[str], list[str], list[str]]:
    """Korean words, English words and hashtags rules are made of: the topics' names, related
    words and tags, and the general nouns. `absent`: the same words with a suffix no post has."""
    topic_ko, topic_en, tags = [], [], list(V.GENERAL_HASHTAGS)
    for topic in V.TOPICS.values():
        topic_ko += [*topic["names_ko"], *topic["related_ko"]]
        topic_en += [*topic["names_en"], *topic["related_en"]]
        tags += topic["hashtags"]
    ko = list(dict.fromkeys([*topic_ko, *V.KO_NOUNS]))
    en = list(dict.fromkeys(w for w in [*topic_en, *V.EN_NOUNS] if " " not in w))
    tags = list(dict.fromkeys(tags))
    if absent:
        ko, en, tags = ([w + "qz" for w in words] for words in (ko, en, tags))
    return ko, en, tags


def thousand_rules(
    payloads: list[bytes], count: int = 1000, seed: int = 7, absent: bool = False
) -> dict[str, Rule]:
    """A realistic mix of `count` distinct rules over the simulator's words and authors
    (`absent`: the same shapes over words and authors the stream never has)."""
    rng = random.Random(seed)
    ko, en, tags = _words(absent)
    authors = [("qz" if absent else "") + u for u, _ in Counter(
        parse_payload(p).author.username for p in payloads[:5000]
    ).most_common(200)]

    def word() -> str:
        return rng.choice(ko if rng.random() < 0.5 else en)

    def phrase() -> str:
        if rng.random() < 0.5:
            return f'"{rng.choice(V.EN_DETERMINERS)} {rng.choice(en)}"'
        return f'"{rng.choice(ko)} {rng.choice(ko)}"'

    makers = [
        (30, lambda: word()),
        (8, lambda: phrase()),
        (14, lambda: "(" + " OR ".join(word() for _ in range(rng.randint(2, 5))) + ")"),
        (10, lambda: f"{word()} -{word()}"),
        (4, lambda: f"{word()} -({word()} OR {word()})"),
        (8, lambda: f"{rng.choice(ko)} lang:ko" if rng.random() < 0.5
            else f"{rng.choice(en)} lang:en"),
        (8, lambda: f"({word()} OR {word()}) -is:retweet"),
        (8, lambda: f"#{rng.choice(tags)}" if rng.random() < 0.5
            else f"#{rng.choice(tags)} OR {word()}"),
        (5, lambda: f"from:{rng.choice(authors)}" if rng.random() < 0.5
            else f"from:{rng.choice(authors)} {word()}"),
        (5, lambda: f"({word()} OR #{rng.choice(tags)}) -{word()} lang:ko -is:retweet"),
    ]
    weights = [w for w, _ in makers]
    rules: dict[str, Rule] = {}
    while len(rules) < count:
        make = rng.choices([m for _, m in makers], weights)[0]
        rule = parse_rule(make())
        rules.setdefault(rule.key, rule)
    return rules


def rates(payloads: list[bytes], makers: dict[str, object], repeats: int = 3) -> dict:
    """Best-of-`repeats` tweets/s of parse + match per matcher, and its (tweet, key) matches.
    Repeats interleave the matchers (a shared machine's load drifts alike for all of them) and
    each run builds its matcher fresh (no run starts with what the previous one remembered)."""
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeats):
        for name, make_match in makers.items():
            match = make_match()
            found = 0
            t0 = time.perf_counter()
            for payload in payloads:
                found += len(match(parse_payload(payload)))
            elapsed = time.perf_counter() - t0
            if len(payloads) / elapsed > best.get(name, (0.0, 0))[0]:
                best[name] = (len(payloads) / elapsed, found)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=30_000)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    payloads = simulated(args.tweets)
    rules = thousand_rules(payloads, args.rules)
    unmatched = thousand_rules(payloads, args.rules, absent=True)
    built = time.perf_counter()
    RuleSet(rules)
    build_s = time.perf_counter() - built
    canon = {key: rule.canonical for key, rule in rules.items()}
    rebuilt = time.perf_counter()
    RuleSet(canon)
    rebuild_s = time.perf_counter() - rebuilt
    kinds = Counter(
        "bare word/phrase" if r.text_atom else ("boolean" if " " in r.canonical else "operator")
        for r in rules.values()
    )
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
          f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}")
    print(f"{len(payloads):,} simulated tweets, {len(rules):,} rules ({dict(kinds)}); "
          f"setup {time.perf_counter() - t0:.1f} s")
    print(f"RuleSet of {len(rules):,} rules: built in {build_s * 1000:.0f} ms, "
          f"from canonical texts in {rebuild_s * 1000:.0f} ms")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        rates(payloads, {"rules": lambda: RuleSet(rules).match}, repeats=1)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
        return

    one = {"코로나": legacy_rule("코로나")}
    results = rates(payloads, {
        "parse only": lambda: lambda tweet: (),
        "1 keyword, KeywordMatcher": lambda: KeywordMatcher(["코로나"]).match,
        "1 bare keyword, RuleSet": lambda: RuleSet(one).match,
        f"{len(rules):,} rules, RuleSet": lambda: RuleSet(rules).match,
        f"{len(rules):,} rules none found": lambda: RuleSet(unmatched).match,
    }, args.repeats)
    for name, (per_s, found) in results.items():
        print(f"{name:<28}{per_s:>9,.0f} tweets/s  ({found:,} matches)")
    single = results["1 bare keyword, RuleSet"][0]
    thousand = results[f"{len(rules):,} rules, RuleSet"][0]
    per_tweet = results[f"{len(rules):,} rules, RuleSet"][1] / len(payloads)
    print(f"ratio {len(rules):,} rules / 1 keyword: {thousand / single:.2f} (target >= 0.80); "
          f"{per_tweet:.1f} rules matched per tweet")
    absent = results[f"{len(rules):,} rules none found"][0]
    print(f"ratio {len(rules):,} rules that this stream never matches / 1 keyword: "
          f"{absent / single:.2f} (the cost is per rule matched, not per rule followed)")


if __name__ == "__main__":
    main()
