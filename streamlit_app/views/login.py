"""Log in with e-mail and password (rate-limited), or through the identity provider."""

from datetime import UTC, datetime, timedelta

import streamlit as st

from streamlit_app import data, session, ui

RESEND_EVERY = timedelta(seconds=60)

ui.flash()
st.title("Log in")
with st.form("login"):
    email = st.text_input("E-mail", key="li_email", autocomplete="email")
    password = st.text_input(
        "Password", type="password", key="li_password", autocomplete="current-password"
    )
    submitted = st.form_submit_button("Log in", type="primary")
if submitted and st.session_state.get("user") is None:  # not again after the rerun
    try:
        user, token = data.log_in(email, password, session.client_ip())
    except data.RateLimited as exc:
        st.error(str(exc), icon="⏳")
    except data.AuthError as exc:
        st.error(str(exc))
        if "confirm your e-mail" in str(exc):
            st.session_state["resend_to"] = data.normalize_email(email)
    else:
        session.log_in(token)
        st.rerun()

resend_to = st.session_state.get("resend_to")
if resend_to and st.button("Send the confirmation link again"):
    last = st.session_state.get("resent_at")
    now = datetime.now(UTC)
    if last and now - last < RESEND_EVERY:
        st.warning("We just sent one; please wait a minute and check your spam folder.")
    else:
        try:
            data.resend_verification(resend_to)
            st.session_state["resent_at"] = now
            st.success(f"Sent a new link to {resend_to}.")
        except data.MailError as exc:
            st.error(str(exc))

if session.oidc_configured():
    st.divider()
    st.button("Continue with your identity provider", on_click=st.login)
st.page_link("views/signup.py", label="No account yet? Sign up", icon="✍️")
