"""The dashboard's one door to data: Mongo (accounts, keywords, trends, saved analyses),
Cassandra (live feed), mail (verification links) and X (the user's like / repost / reply).
The pages import this module and nothing behind it: the account logic (`streamlit_app.auth`),
the keyword registry, the mailer and the X client are reached only through the functions and
names here.

Two layers: `fetch_*` functions take explicit clients and are what tests and bench/dashboard.py
call; the Streamlit wrappers below them make the clients once (st.cache_resource) and cache
queries briefly (st.cache_data). A server that cannot be reached raises ServiceUnavailable,
whose message names the server and how to start it; app.py shows that message, not a traceback.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pymongo
import streamlit as st
from cassandra import DriverException
from cassandra.cluster import Session
from pymongo.database import Database
from pymongo.errors import PyMongoError

from streamlit_app.auth import MIN_PASSWORD_CHARS as MIN_PASSWORD_CHARS
from streamlit_app.auth import SESSION_MAX_AGE as SESSION_MAX_AGE
from streamlit_app.auth import Accounts, load_data_keys, load_secret
from streamlit_app.auth import AuthError as AuthError
from streamlit_app.auth import RateLimited as RateLimited
from streamlit_app.auth import User as User
from streamlit_app.auth import normalize_email as normalize_email
from tweektrend_dagster.clients import START_HINT, connect_cassandra, connect_mongo
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts import names
from tweektrend_dagster.contracts.errors import ServiceUnavailable as ServiceUnavailable
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.contracts.tables import LIVE_COLUMNS
from tweektrend_dagster.keywords import InvalidKeyword as InvalidKeyword
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.keywords import display_keyword as display_keyword
from tweektrend_dagster.keywords import normalize_keyword as normalize_keyword
from tweektrend_dagster.mail import MailError as MailError
from tweektrend_dagster.mail import send_mail

# `X as X` imports above are re-exports: the names the pages use from the layers behind this door.
PERIODS = {"day": "Day", "week": "Week", "month": "Month", "quarter": "3 months"}
MAX_KEYWORDS_PER_USER = 20
X_FIRST_DAY = date(2006, 3, 21)  # X's first post: nothing older can hold data
LIVE_MAX_HOURS = 48  # how far back the live feed walks hour partitions to fill itself


# --- plain queries on explicit clients (tested and benchmarked directly) ----------------------
def ensure_indexes(db: Database) -> None:
    """The indexes the dashboard's queries rely on (idempotent). `trends` is written by the
    analytics; the period list query (keyword, period, newest start) needs this one."""
    db[names.TRENDS].create_index(
        [
            ("keyword", pymongo.ASCENDING),
            ("period", pymongo.ASCENDING),
            ("start", pymongo.DESCENDING),
        ],
        name="keyword_period_start",
    )
    db[names.SAVED_ANALYSES].create_index(
        [("user_id", pymongo.ASCENDING), ("created_at", pymongo.DESCENDING)], name="user_created"
    )


def period_choices(period: str, today: date, back: int = 12) -> list[dict]:
    """The current period and `back` earlier ones, newest first: [{start, end, current}]
    (the dashboard bench's sample of recent periods; pages pick any day with date_bounds).
    Computed with the analytics' own calendar (Monday weeks, Jan/Apr/Jul/Oct quarters) rather
    than queried: any filter on `trends` but `_id` scans every document on FerretDB (and on
    FerretDB 1.24's SQLite backend even an `_id` lookup does, see docs/DASHBOARD.md)."""
    p = Period.containing(period, today)  # type: ignore[arg-type]
    out = []
    for i in range(back + 1):
        out.append({"start": p.start.isoformat(), "end": p.end.isoformat(), "current": i == 0})
        p = p.previous
    return out


def fetch_keyword_range(db: Database, keyword: str) -> dict | None:
    """Where the keyword's data is (first and last day with posts, busiest periods of each
    kind): one `_id` lookup in the index the publisher keeps (see keyword_ranges.py)."""
    return db[names.KEYWORD_RANGES].find_one({"_id": keyword})


def date_bounds(rng: dict | None, today: date) -> tuple[date, date]:
    """The days a period picker offers: the keyword's first to last data day, today included.
    Without an index entry (nothing published yet, or data older than the index) every day
    since X began, so that nothing is out of reach."""
    first = _day((rng or {}).get("first_day")) or X_FIRST_DAY
    last = _day((rng or {}).get("last_day")) or today
    return min(first, today), max(last, today)


def default_start(rng: dict | None, period: str, today: date) -> date:
    """The period a keyword page opens on: the current one while the keyword has data in it or
    the period before (live keywords), else the latest period of this kind that holds data."""
    current = Period.containing(period, today)  # type: ignore[arg-type]
    kinds = (rng or {}).get("kinds") or {}
    last = _day((kinds.get(period) or {}).get("last"))
    if last is None:  # no document of this kind indexed: place the last data day instead
        last_day = _day((rng or {}).get("last_day"))
        last = step_period(period, last_day, 0) if last_day else None
    if last is None or last >= current.previous.start:
        return current.start
    return last


def busiest_period(rng: dict | None, period: str) -> dict | None:
    """The keyword's period of this kind with the most mentions: {start, end, mentions}."""
    top = ((rng or {}).get("busiest") or {}).get(period) or []
    return top[0] if top else None


def period_of(period: str, day: date, today: date) -> dict:
    """The period of this kind that holds `day`: {start, end, current} (ISO dates)."""
    p = Period.containing(period, day)  # type: ignore[arg-type]
    current = Period.containing(period, today)  # type: ignore[arg-type]
    return {"start": p.start.isoformat(), "end": p.end.isoformat(), "current": p == current}


def step_period(period: str, start: date, steps: int) -> date:
    """The start of the period `steps` periods after (negative: before) the one at `start`."""
    p = Period.containing(period, start)  # type: ignore[arg-type]
    for _ in range(abs(steps)):
        p = p.previous if steps < 0 else Period.containing(p.kind, p.end)
    return p.start


def has_posts(doc: dict | None) -> bool:
    """A missing document means the period had no posts (none is published for it)."""
    return doc is not None and int(doc.get("mentions") or 0) > 0


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def trend_id(keyword: str, period: str, start: str) -> str:
    """The `_id` of the keyword's trend document of the period starting at `start` (ISO)."""
    return Period(period, date.fromisoformat(start)).doc_id(keyword)  # type: ignore[arg-type]


def fetch_trend(db: Database, keyword: str, period: str, start: str) -> dict | None:
    return db[names.TRENDS].find_one({"_id": trend_id(keyword, period, start)})


def fetch_trends(db: Database, keywords: list[str], period: str, start: str) -> dict[str, dict]:
    """The same period of several keywords (comparison, share of voice), one `_id` lookup each
    (an `$in` on `_id` is a full scan on FerretDB)."""
    out = {}
    for keyword in keywords:
        doc = db[names.TRENDS].find_one(
            {"_id": trend_id(keyword, period, start)}, {"keyword": 1, "series": 1, "mentions": 1}
        )
        if doc is not None:
            out[keyword] = doc
    return out


def reference_keyword() -> str:
    """The correlation's reference term, as the analytics read it (TrendsConfig)."""
    raw = settings().reference_keyword
    try:
        return normalize_keyword(raw)
    except ValueError:
        return raw


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tt-mongo")


def fetch_keyword_page(
    db: Database, keyword: str, period: str, start: str | None = None, today: date | None = None
) -> dict:
    """Everything the keyword page needs from Mongo: the trend document of the period at
    `start` (without it, the period the page opens on, from the keyword's index entry) and the
    reference term's series for the correlation chart, the two lookups in parallel (each
    costs a round trip to FerretDB)."""
    if start is None:
        rng = fetch_keyword_range(db, keyword)
        start = default_start(rng, period, today or datetime.now(UTC).date()).isoformat()
    ref_kw = reference_keyword()
    ref = _POOL.submit(
        db[names.TRENDS].find_one,
        {"_id": trend_id(ref_kw, period, start)},
        {"series": 1, "keyword": 1},
    )
    doc = fetch_trend(db, keyword, period, start)
    reference = ref.result()
    wanted = ((doc or {}).get("correlation") or {}).get("reference")
    if doc is not None and wanted and wanted != ref_kw:
        try:
            reference = fetch_trend(db, normalize_keyword(wanted), period, start)
        except ValueError:
            reference = None
    return {"start": start, "trend": doc, "reference": reference}


_LIVE_STMT: dict[int, Any] = {}


def _live_statement(session: Session):
    stmt = _LIVE_STMT.get(id(session))
    if stmt is None:
        stmt = session.prepare(
            f"SELECT {', '.join(LIVE_COLUMNS)} FROM {names.KEYWORD_TABLE} "
            "WHERE keyword = ? AND day = ? AND hour = ? LIMIT ?"
        )
        _LIVE_STMT[id(session)] = stmt
    return stmt


def fetch_live(
    session: Session,
    keyword: str,
    limit: int = 30,
    now: datetime | None = None,
    max_hours: int = LIVE_MAX_HOURS,
    batch: int = 6,
) -> list[dict]:
    """Newest rows of the keyword: the current hour partition, then earlier hours (a few in
    parallel) until `limit` rows or `max_hours` partitions."""
    now = now or datetime.now(UTC)
    stmt = _live_statement(session)
    rows: list[dict] = []
    try:
        for first in range(0, max_hours, batch):
            hours = [now - timedelta(hours=h) for h in range(first, min(first + batch, max_hours))]
            futures = [
                session.execute_async(stmt, (keyword, t.date(), t.hour, limit)) for t in hours
            ]
            for future in futures:  # in hour order, newest first
                for row in future.result():
                    rows.append(row if isinstance(row, dict) else row._asdict())
                if len(rows) >= limit:
                    return rows[:limit]
    except DriverException as exc:
        raise ServiceUnavailable(
            f"Cassandra did not answer the live-feed query ({exc}). {START_HINT}"
        ) from exc
    return rows


def tweet_url(username: str | None, tweet_id: Any) -> str:
    from urllib.parse import quote

    return f"https://x.com/{quote(str(username or 'i'), safe='')}/status/{int(tweet_id)}"


# saved analyses: every query filters on user_id, so a user only ever sees their own
def fetch_saved(db: Database, user_id: str) -> list[dict]:
    return list(
        db[names.SAVED_ANALYSES].find({"user_id": user_id}).sort("created_at", pymongo.DESCENDING)
    )


def insert_saved(
    db: Database,
    user_id: str,
    name: str,
    keyword: str,
    period: str,
    start: str | None,
) -> str:
    sid = uuid.uuid4().hex
    db[names.SAVED_ANALYSES].insert_one(
        {
            "_id": sid,
            "user_id": user_id,
            "name": name.strip()[:100] or keyword,
            "keyword": keyword,
            "period": period,
            "start": start,
            "created_at": datetime.now(UTC),
        }
    )
    return sid


def find_saved(db: Database, user_id: str, saved_id: str) -> dict | None:
    return db[names.SAVED_ANALYSES].find_one({"_id": saved_id, "user_id": user_id})


def remove_saved(db: Database, user_id: str, saved_id: str) -> bool:
    return (
        db[names.SAVED_ANALYSES].delete_one({"_id": saved_id, "user_id": user_id}).deleted_count > 0
    )


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
def _accounts(uri: str, name: str, secret: str, data_keys: tuple[str, ...]) -> Accounts:
    accounts = Accounts(_mongo(uri, name), secret, data_keys)
    accounts.ensure_indexes()
    accounts.encrypt_legacy_x_credentials()  # once per process: no plaintext X keys left behind
    return accounts


def accounts() -> Accounts:
    s = settings()
    try:
        return _accounts(s.mongo_uri, s.mongo_db, load_secret(s), tuple(load_data_keys(s)))
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
            f"MongoDB (FerretDB) at {s.mongo_uri} failed: {exc}. {START_HINT}"
        ) from exc


# --- cached queries for the pages -------------------------------------------------------------
@st.cache_data(ttl=30, show_spinner=False)
def keyword_range(keyword: str) -> dict | None:
    """The keyword's index entry (see fetch_keyword_range), cached like the other reads."""
    return _mongo_call(fetch_keyword_range, mongo(), keyword)


@st.cache_data(ttl=30, show_spinner=False)
def trend(keyword: str, period: str, start: str) -> dict | None:
    return _mongo_call(fetch_trend, mongo(), keyword, period, start)


@st.cache_data(ttl=30, show_spinner=False)
def keyword_page(keyword: str, period: str, start: str) -> dict:
    """The trend document and the reference series of one keyword page (see fetch_keyword_page)."""
    return _mongo_call(fetch_keyword_page, mongo(), keyword, period, start)


@st.cache_data(ttl=30, show_spinner=False)
def compare(keywords: tuple[str, ...], period: str, start: str) -> dict[str, dict]:
    return _mongo_call(fetch_trends, mongo(), list(keywords), period, start)


@st.cache_data(ttl=2, show_spinner=False)
def live(keyword: str, limit: int = 30) -> list[dict]:
    return fetch_live(cassandra(), keyword, limit)


# --- user-scoped operations (never cached across users: the user id is always an argument) --
def user_keywords(user_id: str) -> list[dict]:
    return _mongo_call(registry().user_keywords, user_id)


def add_keyword(user_id: str, raw: str) -> str:
    """Follow a keyword; raises InvalidKeyword (its .reason is for the user)."""
    keyword = normalize_keyword(raw)
    current = {k["keyword"] for k in user_keywords(user_id)}
    if keyword not in current and len(current) >= MAX_KEYWORDS_PER_USER:
        raise InvalidKeyword(f"You can follow at most {MAX_KEYWORDS_PER_USER} keywords.")
    return _mongo_call(registry().add, user_id, raw)


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


def sign_up(email: str, password: str) -> tuple[User, str | None]:
    """Create an unverified account and mail its confirmation link; returns the user and why
    the mail could not be sent (None when it was), recorded in the outbox either way.
    AuthError for a bad e-mail, a weak password or a taken e-mail."""
    user = accounts().sign_up(email, password)
    subject, body = accounts().verification_mail(user.email)
    error = None
    try:
        send_mail(settings(), user.email, subject, body)
    except MailError as exc:
        error = str(exc)
    accounts().record_mail(user.email, subject, "verify", error)
    return user, error


def resend_verification(email: str) -> None:
    """Mail a new confirmation link; MailError (naming the SMTP server) when it cannot."""
    subject, body = accounts().verification_mail(email)
    send_mail(settings(), email, subject, body)


def log_in(email: str, password: str, ip: str) -> tuple[User, str]:
    """(user, session token); RateLimited, or AuthError for wrong or unconfirmed credentials."""
    return accounts().login(email, password, ip)


def log_out(token: str | None) -> None:
    accounts().logout(token)


def session_user(token: str | None) -> User | None:
    """The user of a session cookie's token; None when forged, expired or logged out."""
    return accounts().session_user(token)


def oidc_user(email: str) -> User:
    """The account of an identity-provider login (created verified on first use)."""
    return accounts().oidc_user(email)


def set_pending_keywords(user_id: str, keywords: list[str]) -> None:
    """Keywords chosen before the e-mail is confirmed; registered by confirm_email."""
    accounts().set_pending_keywords(user_id, keywords)


def set_x_credentials(user_id: str, creds: dict[str, str] | None) -> None:
    """Save the user's X keys (encrypted at rest), or remove them with None."""
    accounts().set_x_credentials(user_id, creds)


def trust_proxy() -> bool:
    """Whether X-Forwarded-For names the client (TWEEKTREND_TRUST_PROXY=1)."""
    return settings().trust_proxy


def today() -> date:
    return datetime.now(UTC).date()
