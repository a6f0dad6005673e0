"""The dashboard's like / repost / reply on X against a local server that answers like X's v2
manage-posts endpoints (tests/fake_http.py), so tweepy's real request, OAuth 1.0a signing and
error paths run; no stack needed.

`send_x_action` takes the keys explicitly and carries the behaviour; `x_action` only loads the
user's keys (Accounts, covered by test_auth_x_credentials.py), so its test stubs `accounts()`.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from streamlit_app import data
from tests.fake_http import Recorder, RecordingHandler, serve
from tweektrend_dagster.x.http import API_BASE_ENV

# tweepy takes the acting user's id from the access token's prefix: "12345-..." -> 12345
USER_ID = "12345"
CREDS = {
    "consumer_key": "ck-7d1e0f5a9b3c4e21",
    "consumer_secret": "cs-2b8f6a0d4c1e9f73a5",
    "access_token": f"{USER_ID}-at5e3c9a1f7b2d0e84c6",
    "access_token_secret": "ats-8a4d2f6c0e1b9d37f5",
}
TWEET_ID = 1605900000000000123
REPLY_ID = "1605900000000000999"
USER_ACTIONS = re.compile(r"/2/users/\d+/(likes|retweets)")
FORBIDDEN = {  # X's v2 problem JSON for an action the account may not take
    "title": "Forbidden",
    "type": "about:blank",
    "status": 403,
    "detail": "You are not permitted to perform this action.",
}


class FakeXUser(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.refuse: dict[str, tuple[int, dict]] = {}  # path -> (status, problem JSON)


class FakeXUserHandler(RecordingHandler):
    recorder: FakeXUser

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.read_body()
        path = self.record(body)
        sent = json.loads(body)
        match = USER_ACTIONS.fullmatch(path)
        if path in self.recorder.refuse:
            self.send_json(*self.recorder.refuse[path])
        elif match and match[1] == "likes":
            self.send_json(200, {"data": {"liked": True}})
        elif match:
            self.send_json(200, {"data": {"retweeted": True, "rest_id": sent["tweet_id"]}})
        elif path == "/2/tweets":
            reply = {"id": REPLY_ID, "text": sent["text"], "edit_history_tweet_ids": [REPLY_ID]}
            self.send_json(201, {"data": reply})
        else:
            self.send_json(404, {"title": "Not Found Error"})


@pytest.fixture
def fake_x():
    with serve(FakeXUser(), FakeXUserHandler) as fake:
        yield fake


def signed_with(request: dict, path: str, creds: dict[str, str]) -> bool:
    """Whether the request's OAuth 1.0a header is the signature of all four of `creds` for a POST
    to X's own URL (tweepy signs before the transport adapter rebases it)."""
    got = dict(parse_authorization_header(request["auth"]))
    expected = OAuth1Client(
        creds["consumer_key"],
        client_secret=creds["consumer_secret"],
        resource_owner_key=creds["access_token"],
        resource_owner_secret=creds["access_token_secret"],
        nonce=got["oauth_nonce"],
        timestamp=got["oauth_timestamp"],
    )
    _, headers, _ = expected.sign(f"https://api.twitter.com{path}", "POST")
    return dict(parse_authorization_header(headers["Authorization"])) == got


@pytest.mark.parametrize(
    ("action", "path", "outcome"),
    [
        ("like", f"/2/users/{USER_ID}/likes", "Liked on X."),
        ("retweet", f"/2/users/{USER_ID}/retweets", "Reposted on X."),
    ],
)
def test_like_and_retweet_post_the_tweet_id_as_the_user(fake_x, action, path, outcome):
    assert data.send_x_action(CREDS, action, TWEET_ID, api_base=fake_x.url) == outcome
    [request] = fake_x.requests
    assert (request["method"], request["path"]) == ("POST", path)
    assert request["body"] == {"tweet_id": str(TWEET_ID)}
    assert request["auth"].startswith("OAuth ")
    assert f'oauth_consumer_key="{CREDS["consumer_key"]}"' in request["auth"]
    assert signed_with(request, path, CREDS)
    assert not signed_with(request, path, {**CREDS, "access_token_secret": "other"})


def test_reply_posts_a_tweet_in_reply(fake_x):
    text = "같은 생각이에요 & agreed"
    outcome = data.send_x_action(CREDS, "reply", TWEET_ID, text, api_base=fake_x.url)
    assert outcome == "Reply posted on X."
    [request] = fake_x.requests
    assert (request["method"], request["path"]) == ("POST", "/2/tweets")
    assert request["body"] == {"text": text, "reply": {"in_reply_to_tweet_id": str(TWEET_ID)}}
    assert signed_with(request, "/2/tweets", CREDS)


def test_x_refusal_becomes_a_readable_error(fake_x):
    fake_x.refuse[f"/2/users/{USER_ID}/likes"] = (403, FORBIDDEN)
    with pytest.raises(ValueError, match="^X refused the like: 403 Forbidden") as info:
        data.send_x_action(CREDS, "like", TWEET_ID, api_base=fake_x.url)
    assert FORBIDDEN["detail"] in str(info.value)
    assert len(fake_x.requests) == 1  # refused, not retried


def test_empty_reply_and_unknown_action_are_refused_before_any_request(fake_x):
    with pytest.raises(ValueError, match="Write a reply first"):
        data.send_x_action(CREDS, "reply", TWEET_ID, " \n ", api_base=fake_x.url)
    with pytest.raises(ValueError, match="unknown action 'follow'"):
        data.send_x_action(CREDS, "follow", TWEET_ID, api_base=fake_x.url)
    assert fake_x.requests == []


def test_x_action_uses_the_users_saved_keys_and_the_api_base_env(fake_x, monkeypatch):
    saved = {"alice": CREDS}
    monkeypatch.setattr(data, "accounts", lambda: SimpleNamespace(x_credentials=saved.get))
    monkeypatch.setenv(API_BASE_ENV, fake_x.url)
    assert data.x_action("alice", "like", TWEET_ID) == "Liked on X."
    [request] = fake_x.requests
    assert signed_with(request, f"/2/users/{USER_ID}/likes", CREDS)
    with pytest.raises(ValueError, match="Add your X API keys under Settings first"):
        data.x_action("bob", "like", TWEET_ID)
    assert len(fake_x.requests) == 1
