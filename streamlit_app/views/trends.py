"""One keyword's statistics for a chosen period: the main screen."""

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from streamlit_app import charts, data, ui

user = ui.require_user()
ui.flash()
labels = {k["keyword"]: k["display"] for k in data.user_keywords(user.id)}


def _saved_label(key: str) -> str:
    # a saved view of a rule since edited reads as its topic's earlier rule
    return data.topic_labels(user.id).get(key, key)


# a saved analysis being reopened (its keyword may since have been unfollowed: still the user's)
view = st.session_state.pop("open_view", None)
if view:
    labels.setdefault(view["keyword"], _saved_label(view["keyword"]))
    st.session_state["kw"] = view["keyword"]
    st.session_state["period"] = view["period"]
    st.session_state["date_of"] = view["keyword"]
    st.session_state["date"] = None  # "always the latest": the keyword's default period
    if view.get("start"):
        st.session_state["date"] = date.fromisoformat(view["start"])
    st.session_state["viewing_saved"] = view["keyword"]
elif st.session_state.get("viewing_saved"):
    saved_key = st.session_state["viewing_saved"]
    labels.setdefault(saved_key, _saved_label(saved_key))

if not labels:
    st.info("You follow no keywords yet.")
    st.page_link("views/keywords.py", label="Add keywords", icon="🏷️")
    st.stop()

if st.session_state.get("kw") not in labels:
    st.session_state.pop("kw", None)
keyword = st.segmented_control(
    "Keyword",
    list(labels),
    format_func=labels.get,
    key="kw",
    default=next(iter(labels)),
    required=True,
    bind="query-params",
    width="stretch",
)
period = st.segmented_control(
    "Period",
    list(data.PERIODS),
    format_func=data.PERIODS.get,
    key="period",
    default="day",
    required=True,
    bind="query-params",
)
kind = data.PERIODS[period].lower()

# where the keyword's data is: one cached `_id` lookup in the publisher's index
rng = data.keyword_range(keyword)
today = data.today()
lo, hi = data.date_bounds(rng, today)
# a day of the default period inside the picker's bounds (a week may start before the data)
default = min(max(data.default_start(rng, period, today), lo), hi)
busiest = data.busiest_period(rng, period)
# another keyword opens on its own default period; a first visit may bring ?date= in its URL
from_url = "date_of" not in st.session_state and "date" in st.query_params
if st.session_state.get("date_of") != keyword:
    if not from_url:
        st.session_state["date"] = default
    st.session_state["date_of"] = keyword
elif not isinstance(st.session_state.get("date"), date):
    st.session_state["date"] = default


def go_to(day: date) -> None:
    st.session_state["date"] = min(max(day, lo), hi)


if rng and rng.get("first_day"):
    st.caption(f"Data from {rng['first_day']} to {rng['last_day']}")
else:
    st.caption("No posts collected for this keyword yet.")
pick, earlier, later, jump = st.columns([3, 1, 1, 2], vertical_alignment="bottom")
with pick:
    day = st.date_input(
        f"Show the {kind} containing",
        key="date",
        min_value=lo,
        max_value=hi,
        format="YYYY-MM-DD",
        bind="query-params",
    )
shown = data.period_of(period, day or default, today)
start = shown["start"]
first = date.fromisoformat(start)
earlier.button(
    f"◀ Earlier {kind}",
    key="earlier",
    width="stretch",
    disabled=first <= lo,
    on_click=go_to,
    args=(data.step_period(period, first, -1),),
)
later.button(
    f"Later {kind} ▶",
    key="later",
    width="stretch",
    disabled=date.fromisoformat(shown["end"]) > hi,
    on_click=go_to,
    args=(data.step_period(period, first, 1),),
)
if busiest:
    jump.button(
        f"Busiest {kind}: {busiest['start']}",
        key="busiest",
        width="stretch",
        type="primary" if busiest["start"] != start else "secondary",
        help=f"{busiest['mentions']:,} mentions, the most of any {kind}",
        on_click=go_to,
        args=(date.fromisoformat(busiest["start"]),),
    )
st.caption(ui.period_label(shown))

page = data.keyword_page(keyword, period, start)
doc = page["trend"]
if not data.has_posts(doc):
    st.metric("Mentions", 0)
    if shown["current"]:
        st.info(
            f"No posts in this period yet for “{labels[keyword]}”. Statistics of the current "
            f"{kind} are computed every few minutes once tweets arrive; the Live feed shows "
            "matching posts right away."
        )
        st.page_link("views/live.py", label="Open the live feed", icon=":material/bolt:")
    else:
        st.info("No posts in this period.")
    st.stop()

title = labels[keyword]
st.header(f"{title} — {data.PERIODS[period]} from {doc['start']}")
if doc.get("rule") and doc["rule"] != title.casefold():
    st.caption(f"Rule: {ui.plain(doc['rule'])} (version {ui.plain(doc.get('rule_version'))})")
if not doc.get("final", True):
    fresh = ui.updated_ago(doc.get("as_of"), datetime.now(UTC))
    st.caption(
        f"Current period, still in progress{f' ({fresh})' if fresh else ''}: changes compare it "
        "with the whole previous period."
    )
# the toggle switches numbers, charts and top users between all posts and original posts (the
# document carries both: no recompute); it stays in the URL like the keyword and period
exclude = st.toggle(
    "Exclude retweets",
    key="exclude_retweets",
    help="Count original posts only: retweets left out; replies and quotes are original writing.",
    bind="query-params",
)
originals = charts.originals_view(doc) if exclude else None
figs = originals or doc
if exclude and originals is None:
    st.info(
        "Original-post figures not computed for this period yet: some of its days were "
        "counted before they existed, and are added when those days are computed again. "
        "Showing all posts, retweets included."
    )
elif originals is not None:
    st.caption(
        "Showing original posts only: retweets excluded (replies and quotes count). Related "
        "words, places, devices and sentiment are over all posts."
    )
else:
    st.caption("Showing all posts, retweets included.")
m1, m2, m3, m4 = st.columns(4)
m1.metric(
    "Mentions",
    f"{figs.get('mentions') or 0:,}",
    ui.pct(figs.get("change_mentions_pct")),
    help=f"Previous period: {figs.get('prev_mentions') or 0:,}",
)
m2.metric(
    "Unique users",
    f"{figs.get('unique_users') or 0:,}",
    ui.pct(figs.get("change_users_pct")),
    help=f"Previous period: {figs.get('prev_unique_users') or 0:,}",
)
spikes = [p for p in doc.get("series") or [] if p.get("is_spike")]
m3.metric("Spikes", len(spikes),
          help="Buckets with a burst score ≥ 3 vs the trailing baseline (over all posts)")
sent = doc.get("sentiment") or {}
total = sum(int(v or 0) for v in sent.values())
m4.metric(
    "Positive",
    f"{(sent.get('positive') or 0) / total:.0%}" if total else "—",
    help="Share of positive posts (negative and neutral in the Sentiment tab)",
)

slug = f"{keyword}-{period}-{doc['start']}"
trend_tab, posts_tab, words_tab, audience_tab, mood_tab = st.tabs(
    ["Trend", "Top posts & users", "Related words", "Location & device", "Sentiment & correlation"]
)
with trend_tab:
    if originals is not None:
        ui.chart(*charts.mentions_chart(originals, "Mentions (original posts)"),
                 f"original-mentions-{slug}", "mentions")
        ui.chart(*charts.users_chart(originals, "Unique users (original posts)"),
                 f"original-users-{slug}", "users")
    else:
        ui.chart(*charts.mentions_chart(doc), f"mentions-{slug}", "mentions")
        ui.chart(*charts.users_chart(doc), f"users-{slug}", "users")

with posts_tab:
    posts = pd.DataFrame(doc.get("top_posts") or [])
    if posts.empty:
        st.info("No posts in this period.")
    else:
        # link rebuilt from id and username rather than trusting a stored URL
        networks = posts["network"] if "network" in posts else ["x"] * len(posts)
        posts["link"] = [
            data.post_url(n, i, u)
            for n, u, i in zip(networks, posts["author_username"], posts["id"], strict=False)
        ]
        posts["network"] = [ui.NETWORK_NAMES.get(n, "X") for n in networks]
        cols = ["text", "author_username", "network", "retweets", "likes", "replies",
                "engagement", "link"]
        posts = posts[[c for c in cols if c in posts]]
        st.subheader("Top posts")
        st.dataframe(
            posts,
            hide_index=True,
            width="stretch",
            column_config={
                "link": st.column_config.LinkColumn("post", display_text="open ↗"),
                "text": st.column_config.TextColumn("text", width="large"),
            },
        )
        ui.download(posts, f"top-posts-{slug}", "dl-posts")
    users = pd.DataFrame(figs.get("top_users") or [])
    st.subheader("Top users (by original posts)" if originals is not None else "Top users")
    if not users.empty:
        users["profile"] = [data.profile_url(u) for u in users["username"]]
        st.dataframe(
            users[["username", "name", "posts", "followers", "profile"]],
            hide_index=True,
            width="stretch",
            column_config={
                "profile": st.column_config.LinkColumn("profile", display_text="open ↗")
            },
        )
        ui.download(users, f"top-{'original-' if originals is not None else ''}users-{slug}",
                    "dl-users")

with words_tab:
    related = charts.related_frame(doc)
    if related.empty:
        st.info("No related words yet.")
    else:
        st.subheader("Word cloud")
        pairs = tuple((w, int(c)) for w, c in zip(related["word"], related["count"], strict=False))
        st.image(ui.wordcloud_png(pairs), width="stretch")
        ui.download(related[["word", "count"]], f"wordcloud-{slug}", "dl-cloud")
        st.subheader("Ranking (association score vs the period background)")
        ranking = related.assign(rank=range(1, len(related) + 1))[
            ["rank", "word", "score", "count", "kind"]
        ]
        st.dataframe(ranking, hide_index=True, width="stretch")
        ui.download(ranking, f"related-ranking-{slug}", "dl-ranking")
        ui.chart(*charts.related_bar(doc), f"related-counts-{slug}", "related-bar")
        ui.chart(*charts.bubble_chart(doc), f"related-bubbles-{slug}", "bubbles")

with audience_tab:
    a, b = st.columns(2)
    with a:
        ui.chart(
            *charts.counts_chart(doc.get("locations"), "Locations"),
            f"locations-{slug}",
            "locations",
            empty="No post in this period has a location.",
        )
    with b:
        ui.chart(
            *charts.counts_chart(doc.get("devices"), "Devices"),
            f"devices-{slug}",
            "devices",
            empty="No post in this period names its device.",
        )

with mood_tab:
    ui.chart(*charts.sentiment_chart(doc), f"sentiment-{slug}", "sentiment")
    corr = doc.get("correlation") or {}
    reference = corr.get("reference")
    if reference:
        c1, c2, c3 = st.columns(3)
        r = corr.get("r")
        c1.metric(f"Pearson r with “{reference}”", "—" if r is None else f"{r:.2f}")
        c2.metric("Best lag (buckets)", corr.get("lag", 0))
        c3.metric("Buckets", corr.get("n", 0))
        ref_doc = page["reference"]
        ui.chart(
            *charts.correlation_chart(doc, ref_doc, reference), f"correlation-{slug}", "correlation"
        )
    else:
        st.info("No reference term configured for correlation.")

with st.expander("💾 Save this analysis"):
    with st.form("save_view", clear_on_submit=True):
        name = st.text_input("Name", value=f"{title} · {data.PERIODS[period]}", key="save_name")
        latest = st.checkbox("Always open the latest period", value=not doc.get("final", True))
        if st.form_submit_button("Save"):
            data.save_analysis(user.id, name, keyword, period, None if latest else doc["start"])
            st.success("Saved. Find it under Saved analyses.")
