"""A rule in plain English, for the keyword form and the command line:
`posts that mention 코로나 or covid or the hashtag #covid19, but not 게임; in Korean; not retweets`,
`posts that mention 코로나; on Bluesky`.
"""

from __future__ import annotations

from tweektrend_dagster.keywords.rules.tree import (
    And,
    From,
    Has,
    Hashtag,
    Is,
    Lang,
    Mention,
    Network,
    Node,
    Not,
    Or,
    Text,
    network_name,
)

LANGUAGES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
    "ru": "Russian",
    "th": "Thai",
    "tr": "Turkish",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
_IS_WORDS = {"retweet": "retweets", "reply": "replies", "quote": "quotes"}
_HAS_WORDS = {"links": "links", "media": "media", "hashtags": "hashtags", "mentions": "mentions"}
_FILTERS = (Lang, Network, Is, Has)


def explain(tree: Node) -> str:
    """Plain English for a rule tree."""
    if isinstance(tree, Or) and not all(_is_content(c) for c in tree.children):
        return "either " + ", or ".join(_clause(c) for c in tree.children)
    return _clause(tree)


def _is_content(node: Node) -> bool:
    # What "mention ..." can say: words, phrases, hashtags, mentions and groups of them.
    if isinstance(node, (Text, Hashtag, Mention)):
        return True
    if isinstance(node, (And, Or)):
        return all(_is_content(c) for c in node.children)
    return False


def _clause(node: Node) -> str:
    parts = node.children if isinstance(node, And) else (node,)
    authors = [p for p in parts if isinstance(p, From)]
    filters = [p for p in parts if _is_filter(p)]
    excluded = [p.child for p in parts if isinstance(p, Not) and not _is_filter(p)]
    content = [p for p in parts if p not in authors and p not in filters and not isinstance(p, Not)]
    text = "posts"
    if authors:
        text += " by " + " and ".join("@" + a.value for a in authors)
    if content:
        nested = len(content) > 1
        text += " that mention " + " and ".join(_describe(c, nested) for c in content)
    if excluded:
        nested = len(excluded) > 1
        text += ", but not " + " or ".join(_describe(c, nested) for c in excluded)
    for part in filters:
        text += "; " + _filter(part)
    return text


def _is_filter(node: Node) -> bool:
    # lang:, network:, is:, has: and groups made only of them narrow a search rather than name
    # content.
    if isinstance(node, _FILTERS):
        return True
    if isinstance(node, Not):
        return isinstance(node.child, _FILTERS)
    if isinstance(node, (And, Or)):
        return all(_is_filter(c) for c in node.children)
    return False


def _filter(node: Node) -> str:
    if isinstance(node, (And, Or)):
        return (" or " if isinstance(node, Or) else " and ").join(_filter(c) for c in node.children)
    negated = isinstance(node, Not)
    atom = node.child if isinstance(node, Not) else node
    if isinstance(atom, Lang):
        name = LANGUAGES.get(atom.value.split("-")[0], f"language {atom.value}")
        return ("not in " if negated else "in ") + name
    if isinstance(atom, Network):
        return ("not on " if negated else "on ") + network_name(atom.value)
    if isinstance(atom, Is):
        return ("not " if negated else "only ") + _IS_WORDS[atom.value]
    return ("without " if negated else "with ") + _HAS_WORDS[atom.value]


def _describe(node: Node, nested: bool = False) -> str:
    if isinstance(node, Text):
        return f'"{node.value}"' if " " in node.value else node.value
    if isinstance(node, Hashtag):
        return "the hashtag #" + node.value
    if isinstance(node, Mention):
        return "@" + node.value
    if isinstance(node, From):
        return "posts by @" + node.value
    if isinstance(node, _FILTERS):
        return _filter(node)
    if isinstance(node, Not):
        return _filter(node) if _is_filter(node) else "not " + _describe(node.child, True)
    if isinstance(node, Or):
        inner = " or ".join(_describe(c, True) for c in node.children)
        return f"({inner})" if nested else inner
    inner = " and ".join(_describe(c, True) for c in node.children)
    return f"({inner})" if nested else inner
