"""CSV a spreadsheet opens safely: the dashboard's downloads and the command line's exports.

A cell starting with one of `FORMULA_STARTS` is run as a formula by spreadsheet programs (OWASP:
CSV injection), so it gets a leading `'`. Numbers, dates and missing values stay as they are.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The frame as CSV with every text cell neutralised."""
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].astype(object).map(csv_cell)
    # utf-8-sig so spreadsheet programs open Hangul correctly; CRLF rows (RFC 4180) so a cell
    # holding a lone \r is quoted instead of starting a row of its own
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
