"""Keyword comparison and share of voice: two or more keywords on one chart."""

import streamlit as st

from streamlit_app import charts, data, ui

user = ui.require_user()
st.title("⚖️ Compare keywords")
labels = {k["keyword"]: k["display"] for k in data.user_keywords(user.id)}
if len(labels) < 2:
    st.info("Follow at least two keywords to compare them.")
    st.page_link("views/keywords.py", label="Add keywords", icon="🏷️")
    st.stop()
chosen = st.multiselect(
    "Keywords", list(labels), default=list(labels)[:3], format_func=labels.get, key="cmp_kw"
)
period = st.segmented_control(
    "Period",
    list(data.PERIODS),
    format_func=data.PERIODS.get,
    key="cmp_period",
    default="week",
    required=True,
)
if len(chosen) < 2:
    st.warning("Pick two or more keywords.")
    st.stop()
choices = {p["start"]: p for p in data.periods(period)}
start = st.selectbox(
    "Which period",
    list(choices),
    key=f"cmp_start_{period}",
    format_func=lambda s: ui.period_label(choices[s]),
)
docs = data.compare(tuple(chosen), period, start)
missing = [labels[k] for k in chosen if k not in docs]
if len(missing) == len(chosen):
    st.info("No statistics for these keywords in this period yet.")
    st.stop()
if missing:
    st.caption("No data for: " + ", ".join(ui.plain(m) for m in missing))
slug = f"{'+'.join(chosen)}-{period}-{start}"
ui.chart(*charts.compare_chart(docs, labels), f"compare-{slug}", "compare")
ui.chart(*charts.share_of_voice(docs, labels), f"share-of-voice-{slug}", "sov")
