"""Log in with e-mail and password (rate-limited), or through the identity provider."""

from datetime import UTC, datetime, timedelta

import streamlit as st

from streamlit_app import data, session, ui
from streamlit_app.auth import AuthError, RateLimited, normalize_email
from tweektrend_dagster.mail import MailError, send_mail

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
        user, token = data.accounts().login(email, password, session.client_ip())
    except RateLimited as exc:
        st.error(str(exc), icon="⏳")
    except AuthError as exc:
        st.error(str(exc))
        if "confirm your e-mail" in str(exc):
            st.session_state["resend_to"] = normalize_email(email)
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
        subject, body = data.accounts().verification_mail(resend_to)
        try:
            send_mail(data.settings(), resend_to, subject, body)
            st.session_state["resent_at"] = now
            st.success(f"Sent a new link to {resend_to}.")
        except MailError as exc:
            st.error(str(exc))

if session.oidc_configured():
    st.divider()
    st.button("Continue with your identity provider", on_click=st.login)
st.page_link("views/signup.py", label="No account yet? Sign up", icon="✍️")
