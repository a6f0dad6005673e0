"""Keyword comparison and share of voice: two or more keywords on one chart."""

from datetime import date

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
# any period from the chosen keywords' first to last data day (one cached lookup each)
ranges = [data.keyword_range(k) for k in chosen]
today = data.today()
bounds = [data.date_bounds(r, today) for r in ranges]
lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
default = min(max(max(data.default_start(r, period, today) for r in ranges), lo), hi)
key = f"cmp_date_{period}"
if not isinstance(st.session_state.get(key), date):
    st.session_state[key] = default
day = st.date_input(
    f"Show the {data.PERIODS[period].lower()} containing",
    key=key,
    min_value=lo,
    max_value=hi,
    format="YYYY-MM-DD",
)
shown = data.period_of(period, day or default, today)
start = shown["start"]
st.caption(ui.period_label(shown))
# a missing document is a period without posts: zero, like an empty one
docs = {k: d for k, d in data.compare(tuple(chosen), period, start).items() if data.has_posts(d)}
missing = [labels[k] for k in chosen if k not in docs]
if len(missing) == len(chosen):
    st.info("No posts for these keywords in this period.")
    st.stop()
if missing:
    st.caption("No posts in this period for: " + ", ".join(ui.plain(m) for m in missing))
slug = f"{'+'.join(chosen)}-{period}-{start}"
exclude = st.toggle(
    "Exclude retweets",
    key="cmp_exclude_retweets",
    help="Count original posts only: retweets left out; replies and quotes are original writing.",
)
views = {k: charts.originals_view(d) for k, d in docs.items()} if exclude else {}
lacking = [labels[k] for k, v in views.items() if v is None]
if views and not lacking:
    docs, slug = views, f"originals-{slug}"
    st.caption("Showing original posts only: retweets excluded (replies and quotes count).")
else:
    if lacking:  # mixing originals and totals would compare unlike numbers
        st.info(
            "Original-post figures not computed for this period yet for: "
            + ", ".join(ui.plain(m) for m in lacking)
            + ". Showing all posts, retweets included."
        )
    st.caption("Showing all posts, retweets included.")
ui.chart(*charts.compare_chart(docs, labels), f"compare-{slug}", "compare")
ui.chart(*charts.share_of_voice(docs, labels), f"share-of-voice-{slug}", "sov")
