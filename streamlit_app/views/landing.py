"""Landing page for visitors: what TweekTrend does, and the way in."""

import streamlit as st

from streamlit_app import session, ui

ui.flash()
st.title("📈 TweekTrend")
st.subheader("Follow any keyword on X — live, and as a trend.")
st.write(
    "TweekTrend watches X/Twitter for the keywords you care about. See matching posts the moment "
    "they appear, like TweetDeck, and the story behind them, like SomeTrend: daily, weekly, "
    "monthly and 3-month trends, spikes, who is talking, related words in Korean and English, "
    "sentiment and comparisons."
)
c1, c2, c3 = st.columns(3)
c1.markdown("**⚡ Live feed**  \nNewest posts for each keyword, refreshing by itself.")
c2.markdown(
    "**📊 Trend analysis**  \nVolume, unique users, spikes, top posts and users, "
    "change vs the previous period."
)
c3.markdown(
    "**🔤 Related words**  \nWord cloud, association ranking and bubble chart, "
    "with Korean morphological analysis."
)
st.divider()
a, b = st.columns(2)
a.page_link("views/signup.py", label="Create a free account", icon="✍️")
b.page_link("views/login.py", label="Log in", icon="🔑")
if session.oidc_configured():
    st.button("Continue with your identity provider", on_click=st.login)
