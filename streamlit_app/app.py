"""TweekTrend dashboard entry point: `streamlit run streamlit_app/app.py` from the repo root."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts streamlit_app/ (not the repo root) on sys.path; make the package importable.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from streamlit_app import data, session, ui  # noqa: E402

st.set_page_config(page_title="TweekTrend", page_icon=":material/trending_up:", layout="wide")
# an uncaught error (a fragment's too) shows Streamlit's generic text: its message may name a
# server or hold a password; the full error is in the server log
st.set_option("client.showErrorDetails", "none")


def _verify_link() -> None:
    """Handle ?verify=<token> from the confirmation mail: verify, then register the keywords
    chosen at sign-up (only now, so unverified accounts never make ingestion follow anything)."""
    token = st.query_params.get("verify")
    if not token:
        return
    del st.query_params["verify"]
    try:
        user = data.confirm_email(token)
    except data.AuthError as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    st.session_state["flash"] = ("success", f"E-mail {user.email} confirmed. You can log in now.")


MEMBER_PAGES = ["trends", "live", "compare", "keywords", "saved", "settings", "start"]
VISITOR_PAGES = ["signup", "login"]


def _redirect(
    target: str, url_path: str, note: tuple[str, str] | None = None, default: bool = False
) -> st.Page:
    """A hidden page that sends a stale URL (e.g. /login after logging in, /trends after
    logging out) to where it belongs instead of Streamlit's "page not found"."""

    def go() -> None:
        if note:
            st.session_state["flash"] = note
        st.switch_page(target)

    go.__name__ = f"redirect_{url_path}"
    return st.Page(go, url_path=url_path, title=url_path, visibility="hidden", default=default)


def _visitor_pages() -> list[st.Page]:
    target, note = "views/login.py", ("info", "Please log in to continue.")
    if st.session_state.pop("just_logged_out", False):
        target, note = "views/landing.py", ("success", "You are logged out.")
    return [
        st.Page("views/landing.py", title="Welcome", icon=":material/home:", default=True),
        st.Page(
            "views/signup.py", title="Sign up", icon=":material/person_add:", url_path="signup"
        ),
        st.Page("views/login.py", title="Log in", icon=":material/login:", url_path="login"),
        *[_redirect(target, p, note) for p in MEMBER_PAGES],
    ]


def _member_pages(has_keywords: bool) -> dict[str, list[st.Page]]:
    first = "views/trends.py" if has_keywords else "views/onboarding.py"
    analyse = [
        st.Page(
            "views/trends.py", title="Trends", icon=":material/trending_up:", url_path="trends"
        ),
        st.Page("views/live.py", title="Live feed", icon=":material/bolt:", url_path="live"),
        st.Page(
            "views/compare.py",
            title="Compare",
            icon=":material/compare_arrows:",
            url_path="compare",
        ),
    ]
    if not has_keywords:
        analyse.insert(
            0,
            st.Page(
                "views/onboarding.py",
                title="Get started",
                icon=":material/auto_awesome:",
                url_path="start",
            ),
        )
    # "/" goes to the first useful page, whose own URL then keeps working on reload
    hidden = [_redirect(first, "home", None, default=True)]
    hidden += [_redirect(first, p, None) for p in VISITOR_PAGES]
    if has_keywords:
        hidden.append(_redirect(first, "start", None))
    return {
        "Analyse": analyse,
        "Yours": [
            st.Page(
                "views/keywords.py", title="Keywords", icon=":material/label:", url_path="keywords"
            ),
            st.Page(
                "views/saved.py",
                title="Saved analyses",
                icon=":material/bookmark:",
                url_path="saved",
            ),
            st.Page(
                "views/settings.py",
                title="Settings",
                icon=":material/settings:",
                url_path="settings",
            ),
        ],
        "": hidden,
    }


def main() -> None:
    _verify_link()
    user = session.current_user()
    st.session_state["user"] = user
    if user is None:
        pages: list | dict = _visitor_pages()
        session.sync_cookie()  # clears a stale cookie after logout
    else:
        pages = _member_pages(bool(data.user_keywords(user.id)))
        session.sync_cookie()  # first, so the cookie is written before anything else renders
        with st.sidebar:
            st.caption(f"Logged in as {ui.plain(user.email)}")
            if st.button("Log out", key="logout", width="stretch"):
                session.log_out()
                st.session_state["just_logged_out"] = True
                st.rerun()
    page = st.navigation(pages)
    page.run()


try:
    main()
except data.ServiceUnavailable as exc:
    # a server is down: the visitor gets a notice, the operator the full text in the log
    st.error(data.visitor_notice(exc), icon="🛑")
