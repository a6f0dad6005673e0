"""The error of a rule that cannot be followed, pointing at where the mistake was typed."""

from __future__ import annotations

import unicodedata

from tweektrend_dagster.keywords.normalize import InvalidKeyword


class RuleError(InvalidKeyword):
    """An invalid or refused rule. `reason` reads on its own ("unbalanced parenthesis at 14");
    `position` is the 0-based character offset in the text as typed; `pointer()` shows it."""

    def __init__(self, reason: str, position: int = 0, text: str = "") -> None:
        super().__init__(reason)
        self.position = position
        self.text = text

    def __reduce__(self) -> tuple:
        # Keeps the position across processes (Dagster steps, Spark tasks).
        return (RuleError, (self.reason, self.position, self.text))

    def pointer(self) -> str:
        """The typed line holding the mistake with a caret under it (wide Hangul/CJK characters
        take two columns, as in a terminal)."""
        text = self.text
        pos = max(0, min(self.position, len(text)))
        line_start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
        line_end = len(text)
        for stop in ("\n", "\r"):
            found = text.find(stop, pos)
            if found != -1:
                line_end = min(line_end, found)
        line = "".join(" " if ch.isspace() else ch for ch in text[line_start:line_end])
        pad = sum(_columns(ch) for ch in line[: pos - line_start])
        return f"{line}\n{' ' * pad}^"


def _columns(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
