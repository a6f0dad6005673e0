"""Plain-text tables for the terminal, aligned for Hangul and other wide characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

BAR = "█"


def width(text: str) -> int:
    """Terminal columns of the text: wide (Hangul, CJK) characters take two, combining marks
    none."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def clip(text: str, columns: int) -> str:
    """The text cut to fit `columns` terminal columns, with … where it was cut."""
    if width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def cell(value: object) -> str:
    """A value as table text: thousands separators for integers, one line for text."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
    # control characters (an escape sequence in a username) would drive the terminal
    text = "".join("?" if unicodedata.category(ch) == "Cc" else ch
                   for ch in " ".join(str(value).split()))
    return text


def render(headers: Sequence[str], rows: Sequence[Sequence[object]],
           right: Sequence[bool] | None = None, max_cell: int = 48) -> str:
    """A table: a header line, a rule, one line per row. `right[i]` right-aligns column i
    (numbers); text longer than `max_cell` columns is clipped."""
    texts = [[clip(cell(v), max_cell) for v in row] for row in rows]
    right = right or [False] * len(headers)
    widths = [max([width(h)] + [width(r[i]) for r in texts]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - width(v))
            parts.append(pad + v if right[i] else v + pad)
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, texts)])


def bar(value: int, largest: int, columns: int = 30) -> str:
    """A bar of up to `columns` blocks, proportional to value / largest (a non-zero value gets at
    least one block)."""
    if largest <= 0 or value <= 0:
        return ""
    return BAR * max(1, round(columns * value / largest))
