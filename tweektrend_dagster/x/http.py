"""What every X API client shares: its errors, the app's bearer token and the base-URL rebase.

tweepy 4.17 hard-codes https://api.twitter.com; `rebase` mounts a transport adapter that sends
those requests to `TWEEKTREND_X_API_BASE` (or `api_base=`) instead, e.g. a proxy or the
recorded-response server of the tests. Settings are read when a client is made, not at import.
"""

from __future__ import annotations

from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from tweektrend_dagster.config import Settings

BEARER_TOKEN_ENV = "TWEEKTREND_X_BEARER_TOKEN"
API_BASE_ENV = "TWEEKTREND_X_API_BASE"
X_API_HOST = "https://api.twitter.com"  # tweepy 4.17 hard-codes this host (api.x.com is the same)


class XApiError(RuntimeError):
    """X refused us in a way retrying will not fix (bad token, no access to the endpoint)."""


class MissingBearerToken(XApiError):
    pass


def bearer_token_from_env() -> str:
    """The app's bearer token from TWEEKTREND_X_BEARER_TOKEN, or a clear error naming it."""
    token = Settings.from_env().x_bearer_token
    if not token:
        raise MissingBearerToken(
            f"{BEARER_TOKEN_ENV} is not set: export the bearer token of your X developer app "
            f"(Developer Portal > Projects & Apps > Keys and tokens) to use the x-api and x-sample "
            f"sources, or use the simulator or replay source instead"
        )
    return token


def api_base_or_env(api_base: str | None) -> str | None:
    """`api_base`, else TWEEKTREND_X_API_BASE (read now, so a test can set it), else None."""
    return api_base or Settings.from_env().x_api_base or None


class RebaseAdapter(HTTPAdapter):
    """Sends requests for https://api.twitter.com/... to another base URL."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if url.startswith(X_API_HOST):
            request.url = self.base + url[len(X_API_HOST) :]
        return super().send(request, **kwargs)


def rebase(client: tweepy.Client | tweepy.StreamingClient, api_base: str | None) -> None:
    """Point `client` at `api_base` / TWEEKTREND_X_API_BASE; left alone when neither is set."""
    api_base = api_base_or_env(api_base)
    if api_base:
        client.session.mount(X_API_HOST, RebaseAdapter(api_base))
