"""Keyword normalisation, the Aho-Corasick matcher and the Mongo keyword registry."""

from tweektrend_dagster.keywords.matcher import KeywordMatcher
from tweektrend_dagster.keywords.normalize import (
    MAX_KEYWORD_CHARS,
    InvalidKeyword,
    display_keyword,
    normalize_keyword,
    normalize_text,
)
from tweektrend_dagster.keywords.registry import KeywordRegistry

__all__ = [
    "MAX_KEYWORD_CHARS",
    "InvalidKeyword",
    "KeywordMatcher",
    "KeywordRegistry",
    "display_keyword",
    "normalize_keyword",
    "normalize_text",
]
