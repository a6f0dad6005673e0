"""The dashboard's one door to data: Mongo (accounts, keywords, trends, saved analyses),
Cassandra (live feed), mail (verification links) and X (the user's like / repost / reply).
The pages import this module and nothing behind it: the account logic (`streamlit_app.auth`),
the keyword registry, the mailer and the X client are reached only through the functions and
names here.

Two layers: the plain `fetch_*` queries on explicit clients (`queries.py`, re-exported here) are
what tests and bench/dashboard.py call; the Streamlit wrappers here make the clients once
(st.cache_resource) and cache queries briefly (st.cache_data). A server that cannot be reached
raises ServiceUnavailable, whose message names the server and how to start it (for the operator:
it can hold a Mongo URI with its password). Visitors never see such a text: `visitor_notice`
writes it to the server log and gives app.py a generic notice to show instead.
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import UTC, date, datetime, timedelta

import streamlit as st
from cassandra import DriverException
from cassandra.cluster import Session
from pymongo.database import Database
from pymongo.errors import PyMongoError

from streamlit_app.auth import LINK_PARAM as LINK_PARAM
from streamlit_app.auth import MIN_PASSWORD_CHARS as MIN_PASSWORD_CHARS
from streamlit_app.auth import SESSION_MAX_AGE as SESSION_MAX_AGE
from streamlit_app.auth import Accounts, LinkNeeded, load_data_keys, load_secret
from streamlit_app.auth import AuthError as AuthError
from streamlit_app.auth import RateLimited as RateLimited
from streamlit_app.auth import User as User
from streamlit_app.auth import normalize_email as normalize_email
from streamlit_app.auth.proxies import client_address as proxy_client_address
from streamlit_app.auth.proxies import parse_networks
from streamlit_app.auth.recovery import RESET_PARAM as RESET_PARAM
from streamlit_app.queries import LIVE_MAX_HOURS as LIVE_MAX_HOURS
from streamlit_app.queries import PERIODS as PERIODS
from streamlit_app.queries import X_FIRST_DAY as X_FIRST_DAY
from streamlit_app.queries import busiest_period as busiest_period
from streamlit_app.queries import date_bounds as date_bounds
from streamlit_app.queries import default_start as default_start
from streamlit_app.queries import (
    ensure_indexes,
    fetch_keyword_page,
    fetch_keyword_range,
    fetch_live,
    fetch_saved,
    fetch_source_status,
    fetch_trend,
    fetch_trends,
    find_saved,
    insert_saved,
    remove_saved,
)
from streamlit_app.queries import has_posts as has_posts
from streamlit_app.queries import period_choices as period_choices
from streamlit_app.queries import period_of as period_of
from streamlit_app.queries import post_url as post_url
from streamlit_app.queries import profile_url as profile_url
from streamlit_app.queries import reference_keyword as reference_keyword
from streamlit_app.queries import step_period as step_period
from streamlit_app.queries import trend_id as trend_id
from tweektrend_dagster.archive.preview import RulePreview as RulePreview
from tweektrend_dagster.archive.preview import preview_rule
from tweektrend_dagster.clients import START_HINT, connect_cassandra, connect_mongo, redact_uri
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable as ServiceUnavailable
from tweektrend_dagster.keywords import InvalidKeyword as InvalidKeyword
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.keywords import display_keyword as display_keyword
from tweektrend_dagster.keywords import normalize_keyword as normalize_keyword
from tweektrend_dagster.keywords.rules import Rule as Rule
from tweektrend_dagster.keywords.rules import RuleError as RuleError
from tweektrend_dagster.keywords.rules import parse_rule, x_rules
from tweektrend_dagster.mail import MailError as MailError
from tweektrend_dagster.mail import send_mail
from tweektrend_dagster.text.spreadsheet import csv_bytes as csv_bytes

# The `X as X` imports above are re-exports: what the pages use from behind this door.
MAX_KEYWORDS_PER_USER = 20
SERVICE_NOTICE = "The service is temporarily unavailable; please try again in a minute."
MAIL_NOTICE = "The mail service is temporarily unavailable; please try again in a minute."

log = logging.getLogger(__name__)


def visitor_notice(exc: Exception, notice: str = SERVICE_NOTICE) -> str:
    """What a page shows for a server failure: `notice`. The full text, which can name a
    server's address or a URI with its password, goes to the server log only."""
    log.error("%s shown to a visitor as a generic notice: %s", type(exc).__name__, exc)
    return notice


# --- clients, made once per process ----------------------------------------------------------
def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner=False)
def _mongo(uri: str, name: str) -> Database:
    db = connect_mongo(uri, name)
    ensure_indexes(db)
    return db


def mongo() -> Database:
    s = settings()
    return _mongo(s.mongo_uri, s.mongo_db)


@st.cache_resource(show_spinner=False)
def _cassandra(hosts: tuple[str, ...], port: int, keyspace: str) -> Session:
    session, _cluster = connect_cassandra(list(hosts), port, keyspace)
    return session


def cassandra() -> Session:
    s = settings()
    return _cassandra(tuple(s.cassandra_hosts), s.cassandra_port, s.keyspace)


@st.cache_resource(show_spinner=False)
def _accounts(
    uri: str, name: str, secret: str, data_keys: tuple[str, ...], idle_hours: float = 24.0
) -> Accounts:
    accounts = Accounts(_mongo(uri, name), secret, data_keys, timedelta(hours=idle_hours))
    accounts.ensure_indexes()
    accounts.encrypt_legacy_x_credentials()  # once per process: no plaintext X keys left behind
    return accounts


def accounts() -> Accounts:
    s = settings()
    try:
        return _accounts(
            s.mongo_uri,
            s.mongo_db,
            load_secret(s),
            tuple(load_data_keys(s)),
            s.session_idle_hours,
        )
    except ValueError as exc:  # a malformed TWEEKTREND_DATA_KEY; the message names no key text
        raise ServiceUnavailable(str(exc)) from exc


@st.cache_resource(show_spinner=False)
def _registry(uri: str, name: str) -> KeywordRegistry:
    registry = KeywordRegistry(_mongo(uri, name))
    registry.ensure_indexes()
    return registry


def registry() -> KeywordRegistry:
    s = settings()
    return _registry(s.mongo_uri, s.mongo_db)


def _mongo_call(fn, *args):
    try:
        return fn(*args)
    except PyMongoError as exc:
        s = settings()
        raise ServiceUnavailable(
            f"MongoDB (FerretDB) at {redact_uri(s.mongo_uri)} failed: {exc}. {START_HINT}"
        ) from exc


# --- cached queries for the pages -------------------------------------------------------------
@st.cache_data(ttl=30, show_spinner=False)
def keyword_range(keyword: str) -> dict | None:
    """The keyword's index entry (see fetch_keyword_range), cached like the other reads."""
    return _mongo_call(fetch_keyword_range, mongo(), keyword)


@st.cache_data(ttl=30, show_spinner=False)
def trend(keyword: str, period: str, start: str) -> dict | None:
    return _mongo_call(fetch_trend, mongo(), keyword, period, start)


# short: a current period's numbers come from the stream, a few seconds behind it
@st.cache_data(ttl=5, show_spinner=False)
def keyword_page(keyword: str, period: str, start: str) -> dict:
    """The trend document and the reference series of one keyword page (see fetch_keyword_page)."""
    return _mongo_call(fetch_keyword_page, mongo(), keyword, period, start)


@st.cache_data(ttl=5, show_spinner=False)
def compare(keywords: tuple[str, ...], period: str, start: str) -> dict[str, dict]:
    return _mongo_call(fetch_trends, mongo(), list(keywords), period, start)


@st.cache_data(ttl=2, show_spinner=False)
def live(keyword: str, limit: int = 30) -> list[dict]:
    return fetch_live(cassandra(), keyword, limit)


@st.cache_data(ttl=5, show_spinner=False)
def source_status() -> list[dict]:
    """Which sources run and how far behind their network they are (no user data)."""
    return _mongo_call(fetch_source_status, mongo())


# --- user-scoped operations (never cached across users: the user id is always an argument) --
def user_keywords(user_id: str) -> list[dict]:
    return _mongo_call(registry().user_keywords, user_id)


def topic_labels(user_id: str) -> dict[str, str]:
    """Key → label of the user's topics, earlier rule versions included ("Apple (earlier
    rule)"), so a saved view of a rule since edited still reads as its topic."""
    topics = user_keywords(user_id)
    labels = {v["key"]: f"{t['display']} (earlier rule)" for t in topics
              for v in t.get("versions") or []}
    labels.update({t["keyword"]: t["display"] for t in topics})
    return labels


def check_rule(raw: str) -> Rule:
    """The parsed rule of a word or a rule; raises InvalidKeyword (RuleError with a position
    for a rule: `.pointer()` shows where)."""
    return parse_rule(raw)


def x_receives(rule: Rule) -> str | None:
    """What the X filtered stream is sent for this rule, when that is not the rule itself."""
    translated = x_rules(rule, settings().x_max_rule_length)
    return None if translated.exact and len(translated.values) == 1 else translated.note


@st.cache_data(ttl=60, show_spinner="Counting matching posts in the archive…")
def rule_preview(canonical: str) -> RulePreview:
    """How many archived posts of the last 7 days the rule matches (see archive/preview.py)."""
    try:
        return preview_rule(cassandra(), parse_rule(canonical))
    except DriverException as exc:
        raise ServiceUnavailable(
            f"Cassandra did not answer the rule preview ({exc}). {START_HINT}") from exc


def add_keyword(user_id: str, raw: str, name: str | None = None) -> str:
    """Follow a word or a rule as a topic; returns its key. Raises InvalidKeyword (its .reason
    is for the user)."""
    key = parse_rule(raw).key
    current = {k["keyword"] for k in user_keywords(user_id)}
    if key not in current and len(current) >= MAX_KEYWORDS_PER_USER:
        raise InvalidKeyword(f"You can follow at most {MAX_KEYWORDS_PER_USER} topics.")
    return _mongo_call(registry().add, user_id, raw, name)


def edit_keyword(user_id: str, key: str, raw: str) -> str:
    """Give a topic a new rule; returns the new key (its history is recomputed)."""
    return _mongo_call(registry().edit, user_id, key, raw)


def remove_keyword(user_id: str, keyword: str) -> bool:
    return _mongo_call(registry().remove, user_id, keyword)


def saved_analyses(user_id: str) -> list[dict]:
    return _mongo_call(fetch_saved, mongo(), user_id)


def save_analysis(user_id: str, name: str, keyword: str, period: str, start: str | None) -> str:
    return _mongo_call(insert_saved, mongo(), user_id, name, keyword, period, start)


def saved_analysis(user_id: str, saved_id: str) -> dict | None:
    return _mongo_call(find_saved, mongo(), user_id, saved_id)


def delete_analysis(user_id: str, saved_id: str) -> bool:
    return _mongo_call(remove_saved, mongo(), user_id, saved_id)


def spike_alerts(user_id: str) -> bool:
    return _mongo_call(accounts().spike_alerts, user_id)


def set_spike_alerts(user_id: str, on: bool) -> None:
    _mongo_call(accounts().set_spike_alerts, user_id, on)


def x_credentials_state(user_id: str) -> str:
    """Whether X keys are "none", "saved" or "unreadable" (see Accounts)."""
    return _mongo_call(accounts().x_credentials_state, user_id)


def x_action(user_id: str, action: str, tweet_id: int, text: str = "") -> str:
    """Like, retweet or reply with the user's own X credentials (see send_x_action); returns a
    short outcome for the user. Raises ValueError with a readable reason when X refuses."""
    creds = _mongo_call(accounts().x_credentials, user_id)
    if not creds:
        raise ValueError("Add your X API keys under Settings first.")
    return send_x_action(creds, action, tweet_id, text)


def send_x_action(
    creds: dict[str, str],
    action: str,
    tweet_id: int,
    text: str = "",
    *,
    api_base: str | None = None,
) -> str:
    """`x_action` on explicit OAuth 1.0a keys (tweektrend_dagster.x.user_client):
    TWEEKTREND_X_API_BASE or `api_base` sends it elsewhere than api.twitter.com, as the streams."""
    from tweektrend_dagster.x.user_client import send_action  # tweepy loads on first use only

    return send_action(creds, action, tweet_id, text, api_base=api_base)


# --- accounts and mail for the pages --------------------------------------------------------
def confirm_email(token: str) -> User:
    """Open a verification link: verify the account, then register the keywords chosen at
    sign-up (only now, so unverified accounts never make ingestion follow anything).
    AuthError when the link is bad."""
    user = accounts().verify_email(token)
    for raw in accounts().take_pending_keywords(user.id):
        try:
            add_keyword(user.id, raw)
        except InvalidKeyword:
            pass  # validated at sign-up; a later rule change must not block verification
    return user


def _account_mail(to: str, subject: str, body: str, kind: str) -> str | None:
    """Send one account mail and record it in the outbox; returns the notice for the page
    when it could not be sent (the outbox and the log keep the full text)."""
    error = shown = None
    try:
        send_mail(settings(), to, subject, body)
    except MailError as exc:
        error, shown = str(exc), visitor_notice(exc, MAIL_NOTICE)
    accounts().record_mail(to, subject, kind, error)
    return shown


def sign_up(email: str, password: str, client: str = "unknown") -> tuple[str | None, str | None]:
    """Sign up, answering the same whether or not the address has an account: a new account
    gets its confirmation link, an existing one's owner a notice with a reset link. Returns
    (the new account's id, to queue keywords, or None; the notice when the mail could not be
    sent). AuthError for a bad e-mail or a weak password, RateLimited when over a limit."""
    done = accounts().register(email, password, client)
    return done.user_id, _account_mail(done.email, done.subject, done.body, done.kind)


def resend_verification(email: str, client: str = "unknown") -> None:
    """Mail a new confirmation link (nothing for an address that has no unconfirmed account);
    RateLimited when asked too often, MailError with a generic notice when it cannot."""
    mail = accounts().verification_mail_for(email, client)
    if mail is None:
        return
    if shown := _account_mail(normalize_email(email), *mail, "verify"):
        raise MailError(shown)


def request_password_reset(email: str, client: str = "unknown") -> None:
    """Mail a reset link if the address has an account; the page answers the same either way,
    and the mail goes out in the background so the answer takes as long for both.
    AuthError for a malformed address, RateLimited when asked too often."""
    mail = accounts().reset_mail_for(email, client)
    if mail is not None:
        to, subject, body = mail
        threading.Thread(
            target=_mail_in_background,
            args=(settings(), accounts(), to, subject, body, "reset"),
            daemon=True,
        ).start()


def _mail_in_background(
    s: Settings, acc: Accounts, to: str, subject: str, body: str, kind: str
) -> None:
    """_account_mail off the page's thread (no Streamlit calls here: no script context)."""
    error = None
    try:
        send_mail(s, to, subject, body)
    except MailError as exc:
        error = str(exc)
        log.error("the %s mail could not be sent: %s", kind, exc)
    acc.record_mail(to, subject, kind, error)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed reset link (once; every session of the account ends).
    AuthError when the link is bad, expired or used, or the password is weak."""
    return accounts().reset_password(token, new_password)


def change_password(
    user_id: str, current: str, new_password: str, client: str, keep_token: str | None
) -> int:
    """Change the password (the current one is checked, counted like a login) and end the
    account's other sessions; returns how many ended. AuthError or RateLimited otherwise."""
    return accounts().change_password(user_id, current, new_password, client, keep_token)


def log_in(email: str, password: str, ip: str) -> tuple[User, str]:
    """(user, session token); RateLimited, or AuthError for wrong or unconfirmed credentials."""
    return accounts().login(email, password, ip)


def log_out(token: str | None) -> None:
    accounts().logout(token)


def session_user(token: str | None) -> User | None:
    """The user of a session cookie's token; None when forged, expired or logged out."""
    return accounts().session_user(token)


def provider_login(info: dict, link_token: str | None = None) -> tuple[User, str] | None:
    """(user, session token) for an identity-provider login (st.user's claims); None when
    this login has been used before. AuthError, with the reason for the user, when refused;
    when the e-mail's account must first be proven, the link is mailed to its address here.
    `link_token`: the mailed link, opened in the browser signed in with the provider."""
    try:
        return accounts().provider_login(info, link_token)
    except LinkNeeded as exc:
        if exc.token is not None:
            subject, body = accounts().provider_link_mail(exc.token, str(info.get("iss")))
            error = None
            try:
                send_mail(settings(), exc.email, subject, body)
            except MailError as mail_exc:  # the outbox keeps the full text
                error = str(mail_exc)
                raise AuthError(visitor_notice(mail_exc, MAIL_NOTICE)) from mail_exc
            finally:
                accounts().record_mail(exc.email, subject, "link-provider", error)
        raise AuthError(str(exc)) from exc


def begin_provider_link(user_id: str, session_token: str) -> None:
    """Settings' "link": remember that this logged-in session asks to link a provider."""
    accounts().begin_provider_link(user_id, session_token)


def finish_provider_link(user_id: str, session_token: str, info: dict) -> bool:
    """Back from the provider after begin_provider_link: link the identity, ending the
    account's other sessions; False when this session asked for nothing. AuthError if refused."""
    return accounts().finish_provider_link(user_id, session_token, info)


def linked_providers(user_id: str) -> list[dict]:
    """The identity providers that open the account: {key, iss, email, linked_at}."""
    return _mongo_call(accounts().linked_providers, user_id)


def unlink_provider(user_id: str, key: str, keep_token: str | None) -> None:
    """Remove a linked identity, ending the account's other sessions; AuthError when it is
    the account's only way in."""
    accounts().unlink_provider(user_id, key, keep_token)


def set_pending_keywords(user_id: str, keywords: list[str]) -> None:
    """Keywords chosen before the e-mail is confirmed; registered by confirm_email."""
    accounts().set_pending_keywords(user_id, keywords)


def set_x_credentials(user_id: str, creds: dict[str, str] | None) -> None:
    """Save the user's X keys (encrypted at rest), or remove them with None."""
    accounts().set_x_credentials(user_id, creds)


@functools.lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple:
    try:
        return parse_networks(entries)
    except ValueError as exc:  # the operator's setting is wrong: say which entry
        raise ServiceUnavailable(str(exc)) from exc


def client_address(peer: str | None, forwarded: list[str]) -> str:
    """The client's address for the limits: the right-most X-Forwarded-For hop that a trusted
    proxy (TWEEKTREND_TRUSTED_PROXIES) added, the direct peer otherwise (auth/proxies.py)."""
    return proxy_client_address(peer, forwarded, _trusted_networks(settings().trusted_proxies))


def today() -> date:
    return datetime.now(UTC).date()
