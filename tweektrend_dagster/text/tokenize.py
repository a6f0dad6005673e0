"""Related-word candidates of a tweet: Korean nouns (Kiwi), English words and hashtags.

Rules (one tweet → a de-duplicated token list, Korean first, then English, then hashtags):
- URLs, e-mail addresses and @mentions are removed; a leading "RT @user:" is ignored.
- Hashtags become "#tag" tokens (case-folded, at least one letter) and are removed from the
  text, so "#넷플릭스" does not also count as the noun 넷플릭스.
- Korean: kiwipiepy morphological analysis, keeping only NNG (common noun) and NNP (proper noun).
  Particles and endings are thereby stripped ("예매가" → 예매) and nothing is joined. XR (adjective
  roots like 깨끗) and SH (Hanja) are left out: they read as fragments in a word cloud. Kiwi's SL
  (Latin) tokens are not used; Latin words of every tweet come from the English rule below, so
  "covid19" is one token whatever script surrounds it.
- Single-syllable Korean nouns are dropped except a short list of topical ones (돈, 집, 꽃, …):
  most are analysis fragments or bound nouns.
- English (any Latin-script word): case-folded, apostrophes removed ("BTS's" → bts,
  "don't" → dont), letters/digits only, length ≥ 2, numbers-only dropped. No plural folding: its
  mistakes ("news" → "new") would be visible in the UI and counts are per tweet anyway.
- Emoji and other symbols never match a token rule, so they vanish.
- Stopwords from `stopwords.py`.

Performance: Kiwi runs only on texts that contain Hangul syllables, one instance per process
(created lazily, re-created after a fork), with a bounded LRU cache keyed by text, because
retweets repeat their original's text. `tokenize_many` hands all uncached Korean texts of a batch
to Kiwi's batch API. The `lang` argument is accepted but not trusted: X's language tag is often
wrong for mixed-script tweets, so the script of the text decides.

Environment: TWEEKTREND_KIWI_THREADS (Kiwi worker threads, default 1: Spark already runs one
Python worker per core), TWEEKTREND_TOKEN_CACHE_SIZE (cached texts per process, default 50000).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from tweektrend_dagster.text.stopwords import (
    ENGLISH_STOPWORDS,
    KOREAN_SINGLE_SYLLABLE_KEEP,
    KOREAN_STOPWORDS,
)

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

TokenKind = Literal["ko", "en", "hashtag"]

# Long posts exist (up to 25k chars); related words come from the start, Kiwi cost stays bounded.
MAX_CHARS = 2000
# Longer "words" are run-on garbage (a key held down, base64), never useful related words.
MAX_TOKEN_CHARS = 40
_KOREAN_TAGS = frozenset({"NNG", "NNP"})

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LEADING_RT = re.compile(r"^RT @\w+:?\s*")
# One pass finds every kind of noise; the hashtag group is collected by the callback.
_NOISE = re.compile(
    r"https?://\S+|www\.\S+"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|(?<![\w@])@\w+"
    r"|(?<![\w&#])#(\w+)",
    re.IGNORECASE,
)
_APOSTROPHE = re.compile(r"['\u2019](?:s\b)?")
_LATIN_WORD = re.compile(r"[0-9a-z\u00e0-\u00f6\u00f8-\u024f]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")


class _Prepared(NamedTuple):
    clean: str  # text without URLs, mentions, hashtags: what Kiwi reads
    english: tuple[str, ...]
    hashtags: tuple[str, ...]
    has_hangul: bool


# ---------------------------------------------------------------- per-process state
_lock = threading.Lock()
_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_kiwi: Kiwi | None = None
_kiwi_pid: int | None = None
_user_words: dict[str, None] = {}  # insertion-ordered set, replayed into a re-created Kiwi


@functools.cache
def _settings() -> tuple[int, int]:
    """(token cache size, Kiwi threads), read once per process (Spark's Python workers too)."""
    from tweektrend_dagster.config import Settings

    settings = Settings.from_env()
    return settings.token_cache_size, settings.kiwi_threads


def _kiwi_threads() -> int:
    return _settings()[1]


def _get_kiwi() -> Kiwi:
    global _kiwi, _kiwi_pid
    # A Kiwi with worker threads must not cross a fork (Spark forks Python workers).
    if _kiwi is None or _kiwi_pid != os.getpid():
        from kiwipiepy import Kiwi  # imported lazily: drivers that never tokenise skip the load

        # The multi-word dictionary joins words into one token and doubles load time: off.
        kiwi = Kiwi(num_workers=_kiwi_threads(), load_multi_dict=False)
        for word in _user_words:
            kiwi.add_user_word(word, "NNP")
        _kiwi, _kiwi_pid = kiwi, os.getpid()
    return _kiwi


@functools.cache
def _match_options() -> int:
    from kiwipiepy import Match

    # URLs, mentions, hashtags and emoji are already handled; coda normalisation helps
    # informal spelling such as "맛있닼ㅋㅋ".
    return int(Match.NORMALIZING_CODA)


def add_user_words(words: Iterable[str]) -> int:
    """Teach this process's Kiwi extra proper nouns (e.g. the tracked keywords like 오징어게임).

    Only single Hangul words of two or more characters are added. Returns how many were new;
    the token cache is cleared when the dictionary changed. Call it on every executor (e.g. at the
    start of a mapPartitions function) since each process has its own Kiwi.
    """
    new = [
        w
        for w in (unicodedata.normalize("NFC", w.strip()) for w in words)
        if len(w) >= 2 and " " not in w and _HANGUL.search(w) and w not in _user_words
    ]
    if not new:
        return 0
    with _lock:
        kiwi = _kiwi if _kiwi is not None and _kiwi_pid == os.getpid() else None
        for word in new:
            _user_words[word] = None
            if kiwi is not None:
                kiwi.add_user_word(word, "NNP")
        _cache.clear()
    return len(new)


def clear_cache() -> None:
    """Forget cached tokenisations (benchmarks and tests)."""
    with _lock:
        _cache.clear()


# ---------------------------------------------------------------- the rules
def _cache_key(text: str) -> str:
    # Retweets repeat their original's text behind "RT @user: "; share one cache entry.
    if text.startswith("RT @"):
        text = _LEADING_RT.sub("", text, count=1)
    return text[:MAX_CHARS]


def _prepare(text: str) -> _Prepared:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    hashtags: list[str] = []

    def _drop(match: re.Match[str]) -> str:
        tag = match.group(1)
        if tag is not None and len(tag) < MAX_TOKEN_CHARS and _HAS_LETTER.search(tag):
            hashtags.append("#" + tag.casefold())
        return " "

    clean = _NOISE.sub(_drop, text)
    folded = _APOSTROPHE.sub("", clean.casefold())
    english = tuple(
        w
        for w in _LATIN_WORD.findall(folded)
        if 2 <= len(w) <= MAX_TOKEN_CHARS and not w.isdigit() and w not in ENGLISH_STOPWORDS
    )
    has_hangul = _HANGUL.search(clean) is not None
    if has_hangul:
        # Lone surrogates (from broken UTF-16 upstream) would make Kiwi raise.
        try:
            clean.encode("utf-8")
        except UnicodeEncodeError:
            clean = clean.encode("utf-8", "replace").decode("utf-8")
    return _Prepared(clean, english, tuple(hashtags), has_hangul)


def _korean_nouns(tokens: Sequence[Any]) -> list[str]:
    out = []
    for token in tokens:
        if token.tag not in _KOREAN_TAGS:
            continue
        form = token.form
        if len(form) > MAX_TOKEN_CHARS or not _HANGUL.search(form) or form in KOREAN_STOPWORDS:
            continue
        if len(form) == 1 and form not in KOREAN_SINGLE_SYLLABLE_KEEP:
            continue
        out.append(form)
    return out


def _finish(prepared: _Prepared, korean: list[str]) -> tuple[str, ...]:
    # dict.fromkeys: de-duplicate, keep first-seen order (counts are per tweet)
    return tuple(dict.fromkeys([*korean, *prepared.english, *prepared.hashtags]))


def _cache_get(key: str) -> tuple[str, ...] | None:
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
    return hit


def _cache_put(key: str, value: tuple[str, ...]) -> None:
    _cache[key] = value
    _cache.move_to_end(key)
    while len(_cache) > _settings()[0]:
        _cache.popitem(last=False)


# ---------------------------------------------------------------- public API
def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Related-word candidates of one tweet (see the module docstring for the rules)."""
    if not text:
        return []
    key = _cache_key(text)
    with _lock:
        hit = _cache_get(key)
    if hit is not None:
        return list(hit)
    prepared = _prepare(key)
    korean: list[str] = []
    if prepared.has_hangul:
        korean = _korean_nouns(_get_kiwi().tokenize(prepared.clean, match_options=_match_options()))
    result = _finish(prepared, korean)
    with _lock:
        _cache_put(key, result)
    return list(result)


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    """Tokenise a batch: cache and in-batch duplicates first, then one Kiwi batch call."""
    texts = list(texts)
    results: list[tuple[str, ...]] = [()] * len(texts)
    todo: dict[str, list[int]] = {}
    with _lock:
        for i, text in enumerate(texts):
            if not text:
                continue
            key = _cache_key(text)
            positions = todo.get(key)
            if positions is not None:
                positions.append(i)
                continue
            hit = _cache_get(key)
            if hit is not None:
                results[i] = hit
            else:
                todo[key] = [i]
    if not todo:
        return [list(r) for r in results]

    prepared = {key: _prepare(key) for key in todo}
    done: dict[str, tuple[str, ...]] = {}
    korean_keys = [key for key, p in prepared.items() if p.has_hangul]
    for key, p in prepared.items():
        if not p.has_hangul:
            done[key] = _finish(p, [])
    if korean_keys:
        kiwi = _get_kiwi()
        clean = [prepared[key].clean for key in korean_keys]
        options = _match_options()
        if _kiwi_threads() > 0:
            analyses: Iterable[Any] = kiwi.tokenize(clean, match_options=options)
        else:  # Kiwi's batch API needs worker threads
            analyses = (kiwi.tokenize(t, match_options=options) for t in clean)
        for key, tokens in zip(korean_keys, analyses, strict=True):
            done[key] = _finish(prepared[key], _korean_nouns(tokens))

    with _lock:
        for key, positions in todo.items():
            value = done[key]
            _cache_put(key, value)
            for i in positions:
                results[i] = value
    return [list(r) for r in results]


def keyword_tokens(keyword: str) -> frozenset[str]:
    """Tokens that stand for the keyword itself, to `exclude` from its related words.

    "BTS" → {bts, #bts}; "오징어 게임" → {오징어, 게임, #오징어, #게임, #오징어게임}.
    """
    words = tokenize(keyword)
    plain = [w.lstrip("#") for w in words]
    joined = "#" + "".join(unicodedata.normalize("NFC", keyword).casefold().split()).lstrip("#")
    return frozenset([*plain, *("#" + w for w in plain), joined] if plain else [joined])


def token_kind(token: str) -> TokenKind:
    """Kind of a token: "hashtag" for "#tag", "ko" when it has Hangul, else "en"."""
    if token.startswith("#"):
        return "hashtag"
    if _HANGUL.search(token):
        return "ko"
    return "en"
