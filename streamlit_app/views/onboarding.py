"""First steps of a logged-in user without topics: choose interests, see what each matches."""

import streamlit as st

from streamlit_app import data, ui
from streamlit_app.keyword_form import keyword_picker, rule_summary

user = ui.require_user()
ui.flash()
st.title("Welcome to TweekTrend ✨")
st.write("Which keywords do you want to follow? A word or a rule (`코로나 OR covid -게임`). "
         "You can change them any time under Keywords.")
chosen = keyword_picker("onboard_kw")
if chosen:
    st.session_state["onboard_chosen"] = chosen
chosen = st.session_state.get("onboard_chosen")
if chosen:
    for raw in chosen:
        with st.container(border=True):
            st.markdown(f"**{ui.plain(raw)}**")
            rule_summary(data.check_rule(raw))
    if st.button("Start following", type="primary", key="onboard_follow"):
        for raw in chosen:
            try:
                data.add_keyword(user.id, raw)
            except data.InvalidKeyword as exc:
                st.error(f"{ui.plain(raw)}: {exc.reason}")
                st.stop()
        st.session_state.pop("onboard_chosen", None)
        st.session_state["flash"] = (
            "success",
            "Following "
            + ", ".join(map(ui.plain, chosen))
            + ". History is being backfilled; charts fill within minutes.",
        )
        st.switch_page("views/trends.py")
