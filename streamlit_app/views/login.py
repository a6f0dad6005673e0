"""Log in with e-mail and password (rate-limited), or through the identity provider; ask for a
password reset link ("Forgot password?") and, opened from that mail (?reset=…), choose the new
password. Every answer about an address reads the same whether or not it has an account."""

import streamlit as st

from streamlit_app import data, session, ui

RESET_SENT = (
    "If {email} has an account, a link to choose a new password is on its way. "
    "It works once, for 30 minutes. Check your spam folder too."
)


def reset_form(token: str) -> None:
    """The new-password form of a mailed reset link (kept in the session, out of the URL)."""
    st.title("Choose a new password")
    with st.form("reset"):
        new, repeat = ui.new_password("New password", "rs_new", "Repeat new password",
                                      "rs_repeat")
        submitted = st.form_submit_button("Set new password", type="primary")
    if submitted:
        if new != repeat:
            st.error("The two passwords differ.")
            return
        try:
            user = data.reset_password(token, new)
        except data.AuthError as exc:
            st.error(str(exc))
            if "used already" in str(exc) or "expired" in str(exc) or "not valid" in str(exc):
                st.session_state.pop("reset_token", None)
            return
        st.session_state.pop("reset_token", None)
        st.session_state["flash"] = (
            "success",
            f"New password set for {ui.plain(user.email)}; every session of the account has "
            "ended. You can log in now.",
        )
        st.rerun()
    if st.button("Back to log in"):
        st.session_state.pop("reset_token", None)
        st.rerun()


def forgot_form() -> None:
    with st.expander("Forgot password?", expanded=bool(st.session_state.get("forgot_open"))):
        with st.form("forgot"):
            email = st.text_input("Your account's e-mail", key="fp_email", autocomplete="email")
            asked = st.form_submit_button("Mail me a reset link")
        if asked:
            st.session_state["forgot_open"] = True
            try:
                data.request_password_reset(email, session.client_ip())
            except data.RateLimited as exc:
                st.error(str(exc), icon="⏳")
            except data.AuthError as exc:
                st.error(str(exc))
            else:
                st.success(RESET_SENT.format(email=ui.plain(data.normalize_email(email))))


token = st.query_params.get(data.RESET_PARAM)
if token:  # opened from the reset mail: move the token out of the address bar
    st.session_state["reset_token"] = token
    del st.query_params[data.RESET_PARAM]

ui.flash()
if st.session_state.get("reset_token"):
    reset_form(st.session_state["reset_token"])
    st.stop()

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
    try:  # limited per address and per network in Mongo, not in this browser session
        data.resend_verification(resend_to, session.client_ip())
        st.success(f"Sent a new link to {ui.plain(resend_to)}.")
    except data.RateLimited as exc:
        st.warning(str(exc), icon="⏳")
    except data.MailError as exc:
        st.error(str(exc))

forgot_form()
if session.oidc_configured():
    st.divider()
    st.button("Continue with your identity provider", on_click=st.login)
st.page_link("views/signup.py", label="No account yet? Sign up", icon="✍️")
