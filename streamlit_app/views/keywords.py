"""Add and delete keywords (through the keyword registry ingestion follows)."""

import streamlit as st

from streamlit_app import data, ui

user = ui.require_user()
ui.flash()
st.title("Your keywords")
with st.form("add_kw", clear_on_submit=True):
    raw = st.text_input(
        "Add a keyword", placeholder="e.g. 코로나, BTS, #넷플릭스", key="add_kw_text"
    )
    add = st.form_submit_button("Add", type="primary")
if add and raw.strip():
    try:
        keyword = data.add_keyword(user.id, raw)
    except data.InvalidKeyword as exc:
        st.error(exc.reason)
    else:
        st.success(
            f"Following {ui.plain(keyword)}. Ingestion picks it up within seconds; "
            "its history is backfilled from the archive."
        )

keywords = data.user_keywords(user.id)
if not keywords:
    st.info("You follow no keywords yet.")
for kw in keywords:
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(f"**{ui.plain(kw['display'])}**")
    if kw.get("added_at"):
        c1.caption(f"following since {kw['added_at']:%Y-%m-%d}")
    if c2.button("Delete", key=f"del-{kw['keyword']}"):
        data.remove_keyword(user.id, kw["keyword"])
        st.session_state["flash"] = ("info", f"Stopped following {ui.plain(kw['display'])}.")
        st.rerun()
