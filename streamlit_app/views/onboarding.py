"""First steps of a logged-in user without keywords: choose interests."""

import streamlit as st

from streamlit_app import data, ui
from streamlit_app.keyword_form import keyword_picker

user = ui.require_user()
ui.flash()
st.title("Welcome to TweekTrend ✨")
st.write("Which keywords do you want to follow? You can change them any time under Keywords.")
chosen = keyword_picker("onboard_kw")
if chosen:
    for raw in chosen:
        try:
            data.add_keyword(user.id, raw)
        except data.InvalidKeyword as exc:
            st.error(f"{ui.plain(raw)}: {exc.reason}")
            st.stop()
    st.session_state["flash"] = (
        "success",
        "Following "
        + ", ".join(map(ui.plain, chosen))
        + ". History is being backfilled; charts fill within minutes.",
    )
    st.switch_page("views/trends.py")
