"""Rule text → tree: the tokenizer and the parser of the rule language (a subset of X API v2
filtered-stream rule syntax; docs/RULES.md).

Grammar (AND binds tighter than OR, as on X):
    rule    := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*
    unary   := "-" primary | primary
    primary := "(" or_expr ")" | "phrase" | term | #tag | @user | name:value
(name:value is from:, lang:, network:, is: or has:; network: names the post's network.)
Every error is a RuleError whose position is the offset of the mistake in the text as typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tweektrend_dagster.keywords.boundaries import is_hashtag_char
from tweektrend_dagster.keywords.normalize import (
    MAX_KEYWORD_CHARS,
    InvalidKeyword,
    normalize_keyword,
)
from tweektrend_dagster.keywords.rules.errors import RuleError
from tweektrend_dagster.keywords.rules.tree import (
    HAS_VALUES,
    IS_VALUES,
    NETWORK_ALIASES,
    NETWORK_VALUES,
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
    anchored,
    make_and,
    make_or,
)

MAX_RULE_CHARS = 4096
MAX_DEPTH = 16
MAX_NAME_CHARS = 50
SUPPORTED_OPERATORS = ("from:", "lang:", "network:", "is:", "has:")
# X operators this language leaves out: named as unsupported rather than unknown.
_X_ONLY_OPERATORS = frozenset(
    "to url url_title url_description url_contains place place_country point_radius "
    "bounding_box sample conversation_id context entity bio bio_name bio_location "
    "followers_count following_count tweets_count listed_count retweets_of "
    "in_reply_to_tweet_id retweets_of_tweet_id quotes_of_tweet_id source list".split()
)
_LANG_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
_USERNAME = re.compile(r"[a-z0-9_]+")
_HASH_SIGILS = "#＃"
_AT_SIGILS = "@＠"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "term", "phrase", "(", ")", "-", "OR", "AND"
    value: str  # the term as typed, or the phrase unescaped
    start: int
    end: int  # one past the last character


def tokenize(text: str) -> list[Token]:
    """Split rule text into tokens with their positions; raises RuleError on an unclosed quote or
    a '-' with nothing to exclude."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token(ch, ch, i, i + 1))
            i += 1
        elif ch == '"':
            j, chars = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise RuleError(f"unbalanced quote at {i}: the phrase is never closed", i, text)
            tokens.append(Token("phrase", "".join(chars), i, j + 1))
            i = j + 1
        elif ch == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] in ")-":
                raise RuleError(
                    f"nothing to exclude after '-' at {i}: put a word, phrase, operator or "
                    "group right after it",
                    i,
                    text,
                )
            tokens.append(Token("-", "-", i, i + 1))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            kind = word if word in ("OR", "AND") else "term"
            tokens.append(Token(kind, word, i, j))
            i = j
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def error(self, reason: str, position: int) -> RuleError:
        return RuleError(reason, position, self.text)

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("empty rule", 0)
        node = self.or_expr(0)
        extra = self.peek()
        if extra is not None:  # only a ')' stops or_expr early
            raise self.error(
                f"unbalanced parenthesis at {extra.start}: this ')' has no '(' before it",
                extra.start,
            )
        return node

    def _dangling(self, token: Token, side: str) -> RuleError:
        return self.error(
            f"dangling {token.kind} at {token.start}: {token.kind} needs a word, phrase, "
            f"operator or group {side} it",
            token.start,
        )

    def or_expr(self, depth: int) -> Node:
        branches = [self.and_expr(depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            following = self.peek()
            if following is None or following.kind in ("OR", "AND", ")"):
                raise self._dangling(token, "after")
            branches.append(self.and_expr(depth))
        return make_or(branches, (branches[0].span[0], branches[-1].span[1]))

    def and_expr(self, depth: int) -> Node:
        first = self.peek()
        if first is not None and first.kind in ("OR", "AND"):
            raise self._dangling(first, "before")
        items = [self.unary(depth)]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
                following = self.peek()
                if following is None or following.kind in ("OR", "AND", ")"):
                    raise self._dangling(token, "after")
                continue
            items.append(self.unary(depth))
        return make_and(items, (items[0].span[0], items[-1].span[1]))

    def unary(self, depth: int) -> Node:
        token = self.peek()
        if token is not None and token.kind == "-":
            self.take()
            following = self.peek()
            if following is None or following.kind in ("OR", "AND"):
                raise self.error(
                    f"nothing to exclude after '-' at {token.start}: put a word, phrase, "
                    "operator or group right after it",
                    token.start,
                )
            child = self.primary(depth)
            if isinstance(child, Not):
                raise self.error(
                    f"double exclusion at {token.start}: remove both '-' to search for it",
                    token.start,
                )
            return Not(child, (token.start, child.span[1]))
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.take()
        if token.kind == "(":
            if depth + 1 > MAX_DEPTH:
                raise self.error(
                    f"nesting too deep at {token.start}: at most {MAX_DEPTH} levels of parentheses",
                    token.start,
                )
            following = self.peek()
            if following is not None and following.kind == ")":
                raise self.error(f"empty group at {token.start}", token.start)
            if following is None:
                raise self._unclosed(token)
            node = self.or_expr(depth + 1)
            closing = self.peek()
            if closing is None:
                raise self._unclosed(token)
            self.take()
            return _respan(node, (token.start, closing.end))
        if token.kind == ")":
            raise self.error(
                f"unbalanced parenthesis at {token.start}: this ')' has no '(' before it",
                token.start,
            )
        if token.kind == "phrase":
            if not token.value.strip():
                raise self.error(f"empty phrase at {token.start}", token.start)
            return Text(self.text_value(token.value, token.start), (token.start, token.end))
        if token.kind == "-":
            raise self.error(
                f"double exclusion at {token.start}: remove both '-' to search for it",
                token.start,
            )
        return self.atom(token)

    def _unclosed(self, token: Token) -> RuleError:
        return self.error(
            f"unbalanced parenthesis at {token.start}: this '(' is never closed", token.start
        )

    def text_value(self, raw: str, position: int) -> str:
        try:
            return normalize_keyword(raw)
        except InvalidKeyword as exc:
            reason = exc.reason.replace("keyword", "word or phrase")
            if len(raw) > MAX_KEYWORD_CHARS and "too long" in reason:
                reason = f"word or phrase too long: over {MAX_KEYWORD_CHARS} chars"
            raise self.error(f"{reason} at {position}", position) from None

    def atom(self, token: Token) -> Node:
        word, pos, span = token.value, token.start, (token.start, token.end)
        if word[0] in _HASH_SIGILS:
            return Hashtag(self.hashtag_value(word[1:], pos), span)
        if word[0] in _AT_SIGILS:
            return Mention(self.username(word[1:], pos, "@", "an X username after '@'"), span)
        colon = word.find(":")
        name = word[:colon]
        if colon > 0 and name.isascii() and name.isalpha():
            return self.operator(name, word[colon + 1 :], word, pos, span)
        return Text(self.text_value(word, pos), span)

    def hashtag_value(self, raw: str, pos: int) -> str:
        value = unicodedata.normalize("NFC", unicodedata.normalize("NFC", raw).casefold())
        if not value:
            raise self.error(f"empty hashtag at {pos}: put the tag right after '#'", pos)
        if not all(is_hashtag_char(ch) for ch in value):
            raise self.error(
                f"#{raw} at {pos} is not a hashtag (letters, digits and _ only); put it in "
                "quotes to search the text",
                pos,
            )
        if len(value) > MAX_KEYWORD_CHARS:
            raise self.error(f"hashtag too long at {pos}: over {MAX_KEYWORD_CHARS} chars", pos)
        return value

    def username(self, raw: str, pos: int, label: str, wanted: str) -> str:
        value = raw.casefold()
        if not value:
            raise self.error(f"{label} needs {wanted} at {pos}", pos)
        if not _USERNAME.fullmatch(value) or len(value) > MAX_NAME_CHARS:
            raise self.error(
                f"{label}{raw} at {pos} is not an X username (letters, digits and _ only)", pos
            )
        return value

    def network(self, raw: str, pos: int) -> str:
        choice = raw.lower()
        choice = NETWORK_ALIASES.get(choice, choice)
        if choice in NETWORK_VALUES:
            return choice
        known = ", ".join(f"network:{v}" for v in NETWORK_VALUES)
        shown = f"network:{raw} is not a known network" if raw else "network: needs a network"
        raise self.error(f"{shown} at {pos}; known: {known}", pos)

    def operator(self, name: str, value: str, word: str, pos: int, span: tuple[int, int]) -> Node:
        lowered = name.lower()
        supported = ", ".join(SUPPORTED_OPERATORS)
        if lowered == "from":
            return From(self.username(value, pos, "from:", "a username or user id"), span)
        if lowered == "lang":
            code = value.lower()
            if not code:
                raise self.error(f"lang: needs a language code at {pos} (e.g. lang:ko)", pos)
            if not _LANG_CODE.fullmatch(code):
                raise self.error(
                    f"lang:{value} at {pos} is not a language code (e.g. lang:ko, lang:en)", pos
                )
            return Lang(code, span)
        if lowered == "network":
            return Network(self.network(value, pos), span)
        if lowered in ("is", "has"):
            allowed = IS_VALUES if lowered == "is" else HAS_VALUES
            choice = value.lower()
            if choice not in allowed:
                options = ", ".join(f"{lowered}:{v}" for v in allowed)
                shown = f"{lowered}:{value}" if value else f"{lowered}: without a value"
                raise self.error(f"{shown} is not supported at {pos}; supported: {options}", pos)
            return (Is if lowered == "is" else Has)(choice, span)
        if lowered in _X_ONLY_OPERATORS:
            raise self.error(
                f"{lowered}: is not supported at {pos}; supported: {supported} "
                f'(put "{word}" in quotes to search the text)',
                pos,
            )
        raise self.error(
            f'unknown operator {name}: at {pos}; supported: {supported} (put "{word}" in '
            "quotes to search the text)",
            pos,
        )


def _respan(node: Node, span: tuple[int, int]) -> Node:
    # A parenthesised group reports the position of its '(' in errors.
    if isinstance(node, (And, Or)):
        return type(node)(node.children, span)
    return node


def _refuse_unanchored(text: str, tree: Node) -> None:
    if anchored(tree):
        return
    parts = tree.children if isinstance(tree, And) else (tree,)
    if all(isinstance(part, Not) for part in parts):
        raise RuleError(
            "only exclusions: a rule of '-' parts alone would match almost every post; add a "
            "word, phrase, #hashtag, @mention or from:",
            tree.span[0],
            text,
        )
    part = _first_unanchored(tree)
    start, end = part.span
    shown = " ".join(text[start:end].split())
    raise RuleError(
        f'"{shown}" at {start} has no word, phrase, #hashtag, @mention or from: (lang:, '
        "network:, is: and has: only narrow a search), so it would match almost every post",
        start,
        text,
    )


def _first_unanchored(node: Node) -> Node:
    if isinstance(node, Or):
        for child in node.children:
            if not anchored(child):
                return _first_unanchored(child)
    return node


def parse_tree(text: str) -> Node:
    """Parse a rule as the user typed it into its tree; raises RuleError (an InvalidKeyword)
    with the reason and position of the first mistake, or why the rule is refused."""
    if len(text) > MAX_RULE_CHARS:
        raise RuleError(
            f"rule too long: {len(text)} chars > {MAX_RULE_CHARS}", MAX_RULE_CHARS, text
        )
    tree = _Parser(text).parse()
    _refuse_unanchored(text, tree)
    return tree
