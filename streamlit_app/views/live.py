"""TweetDeck-style live columns: the newest posts per keyword, refreshing by themselves."""

import streamlit as st

from streamlit_app import data, ui

REFRESH_SECONDS = 3

user = ui.require_user()
st.title("⚡ Live feed")
labels = {k["keyword"]: k["display"] for k in data.user_keywords(user.id)}
if not labels:
    st.info("Follow a keyword first.")
    st.page_link("views/keywords.py", label="Add keywords", icon="🏷️")
    st.stop()
chosen = st.multiselect(
    "Columns",
    list(labels),
    default=list(labels)[:2],
    format_func=labels.get,
    key="live_kw",
    max_selections=4,
)
limit = st.select_slider("Posts per column", [10, 20, 30, 50], value=20, key="live_limit")
x_state = data.x_credentials_state(user.id)
x_enabled = x_state == "saved"
if x_state == "unreadable":
    st.caption("Your saved X keys can no longer be read. Enter them again under Settings.")
elif not x_enabled:
    st.caption("Add your X API keys under Settings to like, repost and reply from here.")


@st.fragment(run_every=REFRESH_SECONDS)
def feed(keywords: list[str], limit: int) -> None:
    cols = st.columns(max(1, len(keywords)))
    for col, keyword in zip(cols, keywords, strict=False):
        with col:
            rows = data.live(keyword, limit)
            st.subheader(labels[keyword])
            st.caption(f"{len(rows)} newest posts · refreshes every {REFRESH_SECONDS} s")
            for row in rows:
                network = row.get("network") or "x"
                url = data.post_url(network, row["id"], row.get("author_username"))
                key = f"{keyword}-{network}-{row['id']}"
                # X actions act on X posts only
                action = ui.tweet_card(row, url, key, actions=x_enabled and network == "x")
                if action:
                    st.session_state["x_pending"] = (action, int(row["id"]))
                    # a click reruns only this fragment; the confirm panel below needs a full run
                    st.rerun(scope="app")


feed(chosen, limit)

pending = st.session_state.get("x_pending")
if pending and x_enabled:
    action, tweet_id = pending
    with st.container(border=True):
        st.write(f"{action.title()} post {tweet_id} on X?")
        text = st.text_area("Reply", max_chars=280, key="x_reply") if action == "reply" else ""
        a, b = st.columns(2)
        if a.button("Confirm", type="primary", key="x_go"):
            try:
                st.success(data.x_action(user.id, action, tweet_id, text))
                st.session_state.pop("x_reply", None)  # the next reply starts empty
            except ValueError as exc:
                st.error(str(exc))  # the reply's text is kept for another try
            st.session_state.pop("x_pending", None)
        if b.button("Cancel", key="x_cancel"):
            st.session_state.pop("x_pending", None)
            st.session_state.pop("x_reply", None)
            st.rerun()
