"""Sign-up: e-mail + password, a verification mail, then the onboarding keyword form."""

import streamlit as st

from streamlit_app import data, ui
from streamlit_app.keyword_form import keyword_picker

ui.flash()
st.title("Create your account")
pending = st.session_state.get("signed_up")

if pending is None:
    with st.form("signup"):
        email = st.text_input("E-mail", key="su_email", autocomplete="email")
        password = st.text_input(
            "Password",
            type="password",
            key="su_password",
            help=f"At least {data.MIN_PASSWORD_CHARS} characters, mixing letters "
            "with digits or symbols.",
            autocomplete="new-password",
        )
        confirm = st.text_input(
            "Repeat password", type="password", key="su_confirm", autocomplete="new-password"
        )
        submitted = st.form_submit_button("Sign up", type="primary")
    if submitted:
        if password != confirm:
            st.error("The two passwords differ.")
        else:
            try:
                user, error = data.sign_up(email, password)
            except data.AuthError as exc:
                st.error(str(exc))
            else:
                st.session_state["signed_up"] = {
                    "id": user.id,
                    "email": user.email,
                    "mail_error": error,
                }
                st.rerun()
    st.page_link("views/login.py", label="Already have an account? Log in", icon="🔑")
else:
    if pending.get("mail_error"):
        st.error(
            "Your account was created, but the confirmation mail could not be sent: "
            f"{pending['mail_error']}"
        )
    else:
        st.success(
            f"Almost there! We sent a confirmation link to {pending['email']}. "
            "Open it, then log in."
        )
    st.subheader("While you wait: what do you want to follow?")
    st.caption("Pick or type keywords. We start tracking them as soon as your e-mail is confirmed.")
    chosen = keyword_picker("signup_kw")
    if chosen is not None:
        data.set_pending_keywords(pending["id"], chosen)
        st.success("Saved: " + ", ".join(ui.plain(k) for k in chosen))
