"""The topic entry pieces used by onboarding, sign-up and the Keywords page (layout only).

A topic is a word (`코로나`) or a rule in X's filtered-stream syntax
(`코로나 OR covid -게임 lang:ko -is:retweet`); docs/RULES.md has the language.
"""

from __future__ import annotations

import streamlit as st

from streamlit_app import data, ui

SUGGESTIONS = ["코로나", "BTS", "넷플릭스", "ChatGPT", "손흥민", "Netflix"]
RULE_HELP = (
    "A word, or a rule as X writes them: `코로나 OR covid -게임`, `\"apple\" -pie`, "
    "`#bts lang:ko -is:retweet`, `from:nasa`. Words next to each other must all appear; OR "
    "between them means any; `-` excludes."
)


def split_topics(text: str) -> list[str]:
    """Comma-separated topics; a comma inside "quotes" belongs to its phrase."""
    parts, current, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


# The network choice of the topic form: all networks (the rule as written) or one of them
NETWORK_CHOICES = {"All networks": None, "X": "x", "Bluesky": "bluesky", "Mastodon": "mastodon"}


def on_network(raw: str, choice: str) -> str:
    """The rule restricted to the chosen network (`network:` in the rule language)."""
    network = NETWORK_CHOICES.get(choice)
    text = raw.strip()
    if network is None or not text:
        return raw
    return f"{text if len(text.split()) == 1 else f'({text})'} network:{network}"


def show_rule_error(raw: str, exc: data.InvalidKeyword) -> None:
    """The reason, and for a rule the text with a caret under the mistake."""
    st.error(f"{ui.plain(raw)}: {ui.plain(exc.reason)}")
    if isinstance(exc, data.RuleError):
        st.code(exc.pointer(), language=None)


def rule_summary(rule: data.Rule, preview: bool = True) -> None:
    """What a rule means in plain words, what X receives, and how many archived posts match."""
    st.markdown(f"**Matches:** {ui.plain(rule.explain())}")
    note = data.x_receives(rule)
    if note:
        st.caption(f"X stream: {ui.plain(note)}")
    if preview:
        try:
            st.caption(ui.plain(data.rule_preview(rule.canonical).sentence()))
        except data.ServiceUnavailable as exc:
            st.caption(ui.plain(data.visitor_notice(exc, "The archive preview is unavailable.")))


def keyword_picker(key: str) -> list[str] | None:
    """Suggestions plus free text (comma-separated words or rules); returns the valid topics on
    submit (as typed, de-duplicated by rule), or None before submit / on errors."""
    with st.form(key):
        picked = st.pills("Popular", SUGGESTIONS, selection_mode="multi", key=f"{key}_pills")
        typed = st.text_input(
            "Your own keywords or rules",
            placeholder='e.g. 아이유, #kpop, "apple" -pie',
            key=f"{key}_text",
            help="Separate several with commas. " + RULE_HELP,
        )
        submitted = st.form_submit_button("Follow these", type="primary")
    if not submitted:
        return None
    raw = list(picked or []) + split_topics(typed or "")
    seen, out, failed = set(), [], False
    for item in raw:
        try:
            rule = data.check_rule(item)
        except data.InvalidKeyword as exc:
            show_rule_error(item, exc)
            failed = True
            continue
        if rule.key not in seen:
            seen.add(rule.key)
            out.append(" ".join(item.split()))
    if not out:
        if not failed:
            st.warning("Choose at least one keyword.")
        return None
    return out
