"""Account settings: spike alert mails, X API credentials for like / repost / reply."""

import streamlit as st

from streamlit_app import data, session, ui

user = ui.require_user()
st.title("⚙️ Settings")
st.write(f"Account: {ui.plain(user.email)}")
st.subheader("Spike alerts")
st.caption(
    "One e-mail per keyword and hour when one of your keywords spikes (a burst far above its "
    "usual level), a few minutes after it shows on the chart. Off unless you turn it on."
)
alerts_on = data.spike_alerts(user.id)
# the key carries the user id: a later login in this browser session never inherits the switch
wanted = st.toggle(
    "E-mail me when one of my keywords spikes", value=alerts_on, key=f"alerts-{user.id}"
)
if wanted != alerts_on:
    data.set_spike_alerts(user.id, wanted)
    st.success(
        f"Spike alerts on: mail goes to {ui.plain(user.email)}." if wanted else "Spike alerts off."
    )
st.subheader("Sources")
st.caption(
    "Where posts come from: each running source reports every few seconds. Lag is how far "
    "behind its network the newest post was when it arrived."
)
try:
    sources = data.source_status()
except data.ServiceUnavailable as exc:
    st.warning(data.visitor_notice(exc))
    sources = []
if not sources:
    st.info("No source has run yet. Start one with `tweektrend stack up --source bluesky` "
            "(or mastodon, x-api, simulator).")
else:
    st.dataframe(ui.source_rows(sources), hide_index=True, width="stretch")

st.subheader("X (Twitter) actions")
st.caption(
    "Like, repost and reply from the live feed with your own X app keys "
    "(OAuth 1.0a user context, from developer.x.com). Stored encrypted with your account only."
)
x_state = data.x_credentials_state(user.id)
if x_state == "saved":
    st.success("X keys configured.")
elif x_state == "unreadable":
    st.warning(
        "Your saved X keys can no longer be read (the server's encryption key changed). "
        "Enter them again below."
    )
if x_state != "none" and st.button("Remove my X keys"):
    data.set_x_credentials(user.id, None)
    st.rerun()
with st.form("x_keys", clear_on_submit=True):
    fields = {
        "consumer_key": st.text_input("API key"),
        "consumer_secret": st.text_input("API key secret", type="password"),
        "access_token": st.text_input("Access token"),
        "access_token_secret": st.text_input("Access token secret", type="password"),
    }
    if st.form_submit_button("Save X keys"):
        if all(v.strip() for v in fields.values()):
            data.set_x_credentials(user.id, {k: v.strip() for k, v in fields.items()})
            st.rerun()
        else:
            st.error("All four values are needed.")

st.subheader("Password")
st.caption("Changing your password logs out your other sessions (other browsers and devices).")
if st.toggle("Change my password", key="pw_open"):
    with st.form("password", clear_on_submit=True):
        current = st.text_input(
            "Current password", type="password", key="pw_current", autocomplete="current-password"
        )
        new, repeat = ui.new_password("New password", "pw_new", "Repeat new password",
                                      "pw_repeat")
        changed = st.form_submit_button("Change password")
    if changed and new != repeat:
        st.error("The two new passwords differ.")
    elif changed:
        try:
            ended = data.change_password(
                user.id, current, new, session.client_ip(), session.token()
            )
        except data.RateLimited as exc:
            st.error(str(exc), icon="⏳")
        except data.AuthError as exc:
            st.error(str(exc))
        else:
            others = f"{ended} other session{'s' if ended != 1 else ''}"
            st.success(f"Password changed; {others} logged out.")

if session.oidc_configured():
    st.subheader("Identity providers")
    st.caption(
        "Log in with your identity provider instead of your password. Linking one logs out "
        "your other sessions."
    )
    for provider in data.linked_providers(user.id):
        who, linked = ui.plain(provider["email"]), provider["linked_at"].strftime("%Y-%m-%d")
        text, unlink = st.columns([4, 1], vertical_alignment="center")
        text.write(f"Linked: {ui.plain(provider['iss'])} as {who} ({linked})")
        if unlink.button("Unlink", key=f"unlink-{provider['key']}"):
            try:
                data.unlink_provider(user.id, provider["key"], st.session_state.get("auth_token"))
                st.rerun()
            except data.AuthError as exc:
                st.error(str(exc))
    if st.button("Link an identity provider"):
        session.link_provider(user)
