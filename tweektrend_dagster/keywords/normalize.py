"""One spelling per keyword: "#BTS", " bts " and "BTS" are all the keyword `bts`.

Normal form: NFC (decomposed Hangul jamo, e.g. from macOS input, become syllables), case-folded,
surrounding whitespace and leading '#'/'@' removed, inner whitespace collapsed to one space.
A trailing '#' is kept ("C#"). Compatibility jamo typed on their own ("ㅋㅋ") stay as they are,
because tweets spell them that way too.
"""

from __future__ import annotations

import unicodedata

MAX_KEYWORD_CHARS = 100


class InvalidKeyword(ValueError):
    """A keyword that cannot be followed; `reason` is shown to the user as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_keyword(raw: str) -> str:
    """The stored, matched form of a keyword; raises InvalidKeyword for empty, too long
    (> 100 chars) or control characters."""
    if not isinstance(raw, str):
        raise InvalidKeyword("keyword must be text")
    # split() also breaks on tabs, newlines and the ideographic space (U+3000).
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    text = _nfc(" ".join(text.lstrip("#@＃＠ ").split()).casefold())
    _check(text)
    return text


def display_keyword(raw: str) -> str:
    """The user's own spelling for labels and tabs: NFC, trimmed, inner whitespace collapsed."""
    if not isinstance(raw, str):
        raise InvalidKeyword("keyword must be text")
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    _check(text)
    return text


def normalize_text(text: str) -> str:
    """Tweet text in the keyword's space: NFC, case-folded, whitespace collapsed to one space."""
    if text.isascii():
        return " ".join(text.lower().split())
    return " ".join(_nfc(_nfc(text).casefold()).split())


def _nfc(text: str) -> str:
    # casefold() can leave decomposed characters ("ǰ"), so NFC runs after it as well.
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _check(text: str) -> None:
    if not text:
        raise InvalidKeyword("empty keyword")
    if len(text) > MAX_KEYWORD_CHARS:
        raise InvalidKeyword(f"keyword too long: {len(text)} chars > {MAX_KEYWORD_CHARS}")
    for ch in text:
        # Cc: control characters (whitespace ones were collapsed above); Cs: lone surrogates.
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise InvalidKeyword(f"keyword contains a control character (U+{ord(ch):04X})")
