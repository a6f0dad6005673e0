"""Sign-up: e-mail + password, a verification mail, then the onboarding keyword form. The page
answers the same whether or not the address has an account (its owner gets a mail instead),
so it cannot be used to find out who has one."""

import streamlit as st

from streamlit_app import data, session, ui
from streamlit_app.keyword_form import keyword_picker

ui.flash()
st.title("Create your account")
pending = st.session_state.get("signed_up")

if pending is None:
    with st.form("signup"):
        email = st.text_input("E-mail", key="su_email", autocomplete="email")
        password, confirm = ui.new_password("Password", "su_password", "Repeat password",
                                            "su_confirm")
        submitted = st.form_submit_button("Sign up", type="primary")
    if submitted:
        if password != confirm:
            st.error("The two passwords differ.")
        else:
            try:
                user_id, error = data.sign_up(email, password, session.client_ip())
            except data.RateLimited as exc:
                st.error(str(exc), icon="⏳")
            except data.AuthError as exc:
                st.error(str(exc))
            else:
                st.session_state["signed_up"] = {
                    "id": user_id,  # None when the address had an account: its owner was told
                    "email": data.normalize_email(email),
                    "mail_error": error,
                }
                st.rerun()
    st.page_link("views/login.py", label="Already have an account? Log in", icon="🔑")
else:
    if pending.get("mail_error"):
        st.error(
            f"We could not send the mail to {ui.plain(pending['email'])}: {pending['mail_error']}"
        )
    else:
        st.success(
            f"Almost there! We sent a mail to {ui.plain(pending['email'])}. "
            "Open the link in it, then log in."
        )
    st.subheader("While you wait: what do you want to follow?")
    st.caption("Pick or type keywords. We start tracking them as soon as your e-mail is confirmed.")
    chosen = keyword_picker("signup_kw")
    if chosen is not None:
        if pending["id"] is not None:  # an existing account is never touched from here
            data.set_pending_keywords(pending["id"], chosen)
        st.success("Saved: " + ", ".join(ui.plain(k) for k in chosen))
