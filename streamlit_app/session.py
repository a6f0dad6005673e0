"""Who is logged in, across reruns and page reloads.

A reload starts a new Streamlit session (st.session_state is empty), so the login lives in a
cookie: after login the browser gets `tweektrend_session=<signed token>` (written by a one-line
script in st.html), and every new session reads it back from st.context.cookies, which holds the
cookies of the page's initial request. The token is an itsdangerous signature over a random
session id whose sha256 is stored in Mongo `sessions`, so logout deletes it server-side and a
stolen-but-logged-out cookie is worthless. Social login (st.login) keeps Streamlit's own cookie.
"""

from __future__ import annotations

import re
import time

import streamlit as st

from streamlit_app import data

COOKIE = "tweektrend_session"
RECHECK_SECONDS = 15
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")  # itsdangerous URL-safe tokens only


def oidc_configured() -> bool:
    """Whether an [auth] section for st.login exists in secrets.toml (hidden otherwise)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> data.User | None:
    """The logged-in user of this browser, or None. The server-side session is re-read at
    most every RECHECK_SECONDS (two finds), so a logout elsewhere takes effect within that."""
    state = st.session_state
    token = state.get("auth_token")
    if token is None and not state.get("cookie_cleared"):
        token = st.context.cookies.get(COOKIE)
    cached = state.get("auth_checked")
    if token and cached and cached[0] == token and time.monotonic() - cached[1] < RECHECK_SECONDS:
        return cached[2]
    user = data.session_user(token) if token else None
    if user is not None:
        state["auth_token"] = token
        state["auth_checked"] = (token, time.monotonic(), user)
        return user
    if token:  # a forged, expired or logged-out token: forget it everywhere
        state.pop("auth_token", None)
        state["cookie_cleared"] = True
    if oidc_configured() and getattr(st.user, "is_logged_in", False) and st.user.get("email"):
        return data.oidc_user(str(st.user.get("email")))
    return None


def log_in(token: str) -> None:
    st.session_state["auth_token"] = token
    st.session_state.pop("cookie_cleared", None)


def log_out() -> None:
    st.session_state.pop("auth_checked", None)
    data.log_out(st.session_state.pop("auth_token", None))
    st.session_state["cookie_cleared"] = True
    for key in list(st.session_state.keys()):
        if key not in ("cookie_cleared",):
            del st.session_state[key]
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def sync_cookie() -> None:
    """Write (or clear) the session cookie in the browser. The element is identical on every
    run, so the browser keeps it and runs the script once per change."""
    token = st.session_state.get("auth_token")
    if token and _TOKEN_RE.match(token):
        max_age = int(data.SESSION_MAX_AGE.total_seconds())
        script = f"document.cookie='{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Strict'"
    elif st.session_state.get("cookie_cleared"):
        script = f"document.cookie='{COOKIE}=; path=/; max-age=0; SameSite=Strict'"
    else:
        return
    with st.sidebar:
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width=1)


def client_ip() -> str:
    """The caller's address for rate limiting. X-Forwarded-For only counts when
    TWEEKTREND_TRUST_PROXY=1: otherwise a client could rotate it to dodge the limit."""
    forwarded = st.context.headers.get("X-Forwarded-For")
    if isinstance(forwarded, str) and data.trust_proxy():
        return forwarded.split(",")[0].strip()
    ip = st.context.ip_address
    return ip if isinstance(ip, str) and ip else "unknown"  # None in AppTest and bare mode
