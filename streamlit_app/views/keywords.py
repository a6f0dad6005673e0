"""Follow, edit and delete topics: a word or a rule, checked and previewed before it is saved."""

import streamlit as st

from streamlit_app import data, ui
from streamlit_app.keyword_form import (
    NETWORK_CHOICES,
    RULE_HELP,
    on_network,
    rule_summary,
    show_rule_error,
)

user = ui.require_user()
ui.flash()
st.title("Your topics")


def _checked(slot: str, raw: str) -> data.Rule | None:
    """The parsed rule, or None after showing the error with its position."""
    try:
        return data.check_rule(raw)
    except data.InvalidKeyword as exc:
        show_rule_error(raw, exc)
        st.session_state.pop(slot, None)
        return None


with st.form("add_kw"):
    raw = st.text_input("A keyword or a rule", placeholder="e.g. 코로나 OR covid -게임",
                        key="add_kw_text", help=RULE_HELP)
    name = st.text_input("Name (optional)", placeholder="e.g. Corona", key="add_kw_name",
                         help="How the topic's tab is labelled; the rule itself by default.")
    network = st.selectbox(
        "Network", list(NETWORK_CHOICES), key="add_kw_network",
        help="All networks counts posts from X, Bluesky and Mastodon together; one network "
             "makes a topic of its own (compare them on the Compare page).")
    check = st.form_submit_button("Check and preview", key="add_kw_check_button")
if check and raw.strip():
    st.session_state["add_kw_check"] = (on_network(raw, network), name)
pending = st.session_state.get("add_kw_check")
if pending:
    raw, name = pending
    rule = _checked("add_kw_check", raw)
    if rule is not None:
        with st.container(border=True):
            rule_summary(rule)
            if st.button("Follow this topic", type="primary", key="add_kw_follow"):
                try:
                    data.add_keyword(user.id, raw, name or None)
                except data.InvalidKeyword as exc:
                    st.error(exc.reason)
                else:
                    st.session_state.pop("add_kw_check", None)
                    st.session_state["flash"] = (
                        "success",
                        f"Following {ui.plain(' '.join((name or raw).split()))}. Ingestion "
                        "picks it up within seconds; its history is computed from the archive.",
                    )
                    st.rerun()

keywords = data.user_keywords(user.id)
if not keywords:
    st.info("You follow no topics yet.")
for kw in keywords:
    key = kw["keyword"]
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(f"**{ui.plain(kw['display'])}**")
    since = f"following since {kw['added_at']:%Y-%m-%d}" if kw.get("added_at") else ""
    versions = len(kw.get("versions") or [])
    c1.caption(" · ".join(filter(None, [since, f"rule version {versions}" if versions > 1
                                        else ""])))
    if c2.button("Delete", key=f"del-{key}"):
        data.remove_keyword(user.id, key)
        st.session_state["flash"] = ("info", f"Stopped following {ui.plain(kw['display'])}.")
        st.rerun()
    with st.expander("Rule", expanded=False):
        st.code(kw["rule"], language=None)
        try:
            st.caption(ui.plain(data.check_rule(kw["canonical"]).explain()))
        except data.InvalidKeyword:
            pass  # a stored rule always parses; nothing to explain otherwise
        slot = f"edit_check_{key}"
        with st.form(f"edit_{key}"):
            new = st.text_input("New rule", value=kw["rule"], key=f"edit_text_{key}")
            if st.form_submit_button("Check and preview", key=f"edit_check_button_{key}"):
                st.session_state[slot] = new
        if st.session_state.get(slot):
            new = st.session_state[slot]
            rule = _checked(slot, new)
            if rule is not None:
                rule_summary(rule)
                if rule.key == key:
                    st.caption("This is the topic's current rule.")
                elif st.button("Save the new rule", type="primary", key=f"edit_save_{key}"):
                    try:
                        data.edit_keyword(user.id, key, new)
                    except data.InvalidKeyword as exc:
                        st.error(exc.reason)
                    else:
                        st.session_state.pop(slot, None)
                        st.session_state["flash"] = (
                            "success",
                            f"{ui.plain(kw['display'])} now follows the new rule; its history "
                            "is being computed again from the archive.",
                        )
                        st.rerun()
