"""Keyword normalisation, the rule language, the Aho-Corasick matcher and the Mongo keyword
registry."""

from tweektrend_dagster.keywords.matcher import KeywordMatcher
from tweektrend_dagster.keywords.normalize import (
    MAX_KEYWORD_CHARS,
    InvalidKeyword,
    display_keyword,
    normalize_keyword,
    normalize_text,
)
from tweektrend_dagster.keywords.registry import KeywordRegistry
from tweektrend_dagster.keywords.rules import (
    MAX_RULE_CHARS,
    Rule,
    RuleError,
    RuleSet,
    XTranslation,
    legacy_rule,
    parse_rule,
    rule_from_canonical,
    x_rules,
)

__all__ = [
    "MAX_KEYWORD_CHARS",
    "MAX_RULE_CHARS",
    "InvalidKeyword",
    "KeywordMatcher",
    "KeywordRegistry",
    "Rule",
    "RuleError",
    "RuleSet",
    "XTranslation",
    "display_keyword",
    "legacy_rule",
    "normalize_keyword",
    "normalize_text",
    "parse_rule",
    "rule_from_canonical",
    "x_rules",
]
