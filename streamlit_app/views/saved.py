"""Saved analyses: reopen or delete a saved keyword + period view (only the user's own)."""

import streamlit as st

from streamlit_app import data, ui

user = ui.require_user()
ui.flash()
st.title("💾 Saved analyses")
saved = data.saved_analyses(user.id)
labels = data.topic_labels(user.id)
if not saved:
    st.info("Nothing saved yet. Use “Save this analysis” under a keyword's charts.")
for item in saved:
    with st.container(border=True):
        c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="center")
        when = item.get("start") or "latest"
        c1.markdown(f"**{ui.plain(item['name'])}**")
        c1.caption(
            f"{ui.plain(labels.get(item['keyword'], item['keyword']))} · "
            f"{data.PERIODS.get(item['period'], '?')} · {when}"
        )
        if c2.button("Open", key=f"open-{item['_id']}", type="primary"):
            # re-read with the user id: the button key alone proves nothing
            view = data.saved_analysis(user.id, item["_id"])
            if view:
                st.session_state["open_view"] = view
                st.switch_page("views/trends.py")
        if c3.button("Delete", key=f"delete-{item['_id']}"):
            data.delete_analysis(user.id, item["_id"])
            st.rerun()
