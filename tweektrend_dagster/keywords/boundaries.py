"""Where a found literal counts as a word: the boundary rules shared by the keyword matcher and
the rule evaluator.

- A literal that starts with a letter or digit of a space-separated script (Latin, Greek,
  Cyrillic, ...) needs a LEFT boundary: the character before must not be such a letter or digit.
- A literal that ends with such a letter or digit must not be followed by a LETTER of such a
  script; a digit may follow ("covid" matches "covid19", not "covidiot").
- Hangul, CJK, kana and Thai characters need no boundary: those scripts attach particles and
  numbers to words ("코로나가", "코로나19" match "코로나").
"""

from __future__ import annotations

import unicodedata

# Scripts written without spaces between words: substrings are real matches there.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables, jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFFDC),  # half-width Katakana and Hangul
    (0x20000, 0x3134F),  # CJK extensions B-G
)


def unspaced(ch: str) -> bool:
    """A character of a script written without spaces between words."""
    code = ord(ch)
    if code < 0x0E00:
        return False
    return any(lo <= code <= hi for lo, hi in _UNSPACED_RANGES)


def is_word_char(ch: str) -> bool:
    """A letter or digit of a space-separated script."""
    if ch < "\x80":
        return ch.isalnum()
    return ch.isalnum() and not unspaced(ch)


def is_word_letter(ch: str) -> bool:
    """A letter of a space-separated script."""
    if ch < "\x80":
        return ch.isalpha()
    return ch.isalpha() and not unspaced(ch)


def is_hashtag_char(ch: str) -> bool:
    """A character that continues a hashtag: a letter, digit or '_' of any script (or a mark,
    which some scripts need inside words)."""
    if ch < "\x80":
        return ch.isalnum() or ch == "_"
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def is_username_char(ch: str) -> bool:
    """A character of an X username (ASCII letters, digits, '_'; the text is case-folded)."""
    return ch < "\x80" and (ch.isalnum() or ch == "_")
