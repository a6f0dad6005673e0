"""Who is logged in, across reruns and page reloads.

A reload starts a new Streamlit session (st.session_state is empty), so the login lives in a
cookie: after login the browser gets `tweektrend_session=<signed token>` (written by a one-line
script in st.html), and every new session reads it back from st.context.cookies, which holds the
cookies of the page's initial request. The token is an itsdangerous signature over a random
session id whose sha256 is stored in Mongo `sessions`, so logout deletes it server-side and a
stolen-but-logged-out cookie is worthless. A provider login (st.login, whose claims Streamlit
keeps in its own cookie) opens such a session once; the account rules are in auth/oidc.py.
"""

from __future__ import annotations

import re
import time

import streamlit as st

from streamlit_app import data

COOKIE = "tweektrend_session"
RECHECK_SECONDS = 15
LOOPBACK = "127.0.0.1"  # st.context.ip_address reports 127.0.0.1 and ::1 as None
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
    link = st.query_params.get(data.LINK_PARAM)
    if link:  # the mailed link that links a provider: the strongest proof, so it goes first
        del st.query_params[data.LINK_PARAM]
        if user := _provider_login(link):
            return user
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
        _finish_provider_link(user, token)
        return user
    if token:  # a forged, expired or logged-out token: forget it everywhere
        state.pop("auth_token", None)
        state["cookie_cleared"] = True
    return _provider_login()


def _provider_claims() -> dict | None:
    """st.user's claims when this browser is signed in with the identity provider."""
    if not oidc_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    return dict(st.user.to_dict())


def _provider_login(link: str | None = None) -> data.User | None:
    """A session for the provider login of this browser (see data.provider_login); a refusal
    is shown once per login as a flash, and the login then stays a visitor."""
    claims = _provider_claims()
    if claims is None:
        if link:
            st.session_state["flash"] = (
                "error",
                "Open this link in the browser where you signed in with your identity "
                "provider (sign in there again if you have logged out).",
            )
        return None
    login = (claims.get("iss"), claims.get("sub"), claims.get("iat"))
    if not link and st.session_state.get("provider_refused") == login:
        return None
    try:
        opened = data.provider_login(claims, link)
    except data.AuthError as exc:
        st.session_state["provider_refused"] = login
        st.session_state["flash"] = ("warning", str(exc))
        return None
    if opened is None:  # this login opened a session before, since ended: stays ended
        return None
    user, token = opened
    log_in(token)
    st.session_state["auth_checked"] = (token, time.monotonic(), user)
    if link:
        st.session_state["flash"] = ("success", "Your identity provider is linked to your account.")
    return user


def _finish_provider_link(user: data.User, token: str) -> None:
    """Back from the provider after Settings' "link" (link_provider): link the identity."""
    claims = _provider_claims()
    if claims is None:
        return
    try:
        if data.finish_provider_link(user.id, token, claims):
            st.session_state["flash"] = ("success", "Identity provider linked.")
    except data.AuthError as exc:
        st.session_state["flash"] = ("error", str(exc))


def link_provider(user: data.User) -> None:
    """Settings' "link": note that this session asks for it, then go to the provider."""
    token = st.session_state.get("auth_token")
    if not token:
        st.error("Please log in again first.")
        return
    try:
        data.begin_provider_link(user.id, token)
    except data.AuthError as exc:
        st.error(str(exc))
        return
    st.login()


def token() -> str | None:
    """This browser's session token (to keep this session when others are ended)."""
    return st.session_state.get("auth_token")


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
    """The caller's address for the limits: the direct peer, or, when that is a trusted proxy
    (TWEEKTREND_TRUSTED_PROXIES), the right-most X-Forwarded-For hop our proxies added; a
    header from any other peer is ignored, so a client cannot rotate it to dodge a limit."""
    headers = st.context.headers
    connected = isinstance(headers.get("Host"), str)  # False in AppTest and bare mode
    peer = st.context.ip_address
    if not isinstance(peer, str) or not peer:
        peer = LOOPBACK if connected else None  # Streamlit reports a loopback peer as None
    forwarded = headers.get_all("X-Forwarded-For") if connected else []
    forwarded = [line for line in forwarded if isinstance(line, str)]
    return data.client_address(peer, forwarded)  # "unknown" without a connection
