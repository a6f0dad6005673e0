"""The keyword entry form used by onboarding and sign-up (layout only)."""

from __future__ import annotations

import streamlit as st

from streamlit_app import data, ui

SUGGESTIONS = ["코로나", "BTS", "넷플릭스", "ChatGPT", "손흥민", "Netflix"]


def keyword_picker(key: str) -> list[str] | None:
    """Suggestions plus free text (comma-separated); returns the valid keywords on submit
    (display spelling, de-duplicated by normal form), or None before submit / on errors."""
    with st.form(key):
        picked = st.pills("Popular", SUGGESTIONS, selection_mode="multi", key=f"{key}_pills")
        typed = st.text_input(
            "Your own keywords",
            placeholder="e.g. 아이유, #kpop, Tesla",
            key=f"{key}_text",
            help="Separate several with commas.",
        )
        submitted = st.form_submit_button("Follow these", type="primary")
    if not submitted:
        return None
    raw = list(picked or []) + [p for p in (typed or "").split(",") if p.strip()]
    seen, out, errors = set(), [], []
    for item in raw:
        try:
            norm = data.normalize_keyword(item)
        except data.InvalidKeyword as exc:
            errors.append(f"{ui.plain(item)}: {exc.reason}")
            continue
        if norm not in seen:
            seen.add(norm)
            out.append(data.display_keyword(item))
    for e in errors:
        st.error(e)
    if not out:
        if not errors:
            st.warning("Choose at least one keyword.")
        return None
    return out
