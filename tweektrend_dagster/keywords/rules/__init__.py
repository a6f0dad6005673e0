"""The rule language: a subset of X API v2 filtered-stream rule syntax (docs/RULES.md), parsed
into one tree, evaluated by one RuleSet (producer and Spark backfill alike) and translated into
X filtered-stream rule values."""

from tweektrend_dagster.keywords.rules.errors import RuleError
from tweektrend_dagster.keywords.rules.evaluate import RuleSet
from tweektrend_dagster.keywords.rules.rule import (
    Rule,
    legacy_rule,
    parse_rule,
    rule_from_canonical,
)
from tweektrend_dagster.keywords.rules.syntax import MAX_RULE_CHARS
from tweektrend_dagster.keywords.rules.x_rules import X_MAX_RULE_LENGTH, XTranslation, x_rules

__all__ = [
    "MAX_RULE_CHARS",
    "Rule",
    "RuleError",
    "RuleSet",
    "XTranslation",
    "X_MAX_RULE_LENGTH",
    "legacy_rule",
    "parse_rule",
    "rule_from_canonical",
    "x_rules",
]
