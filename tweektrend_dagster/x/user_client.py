"""The dashboard's X client: one user's own OAuth 1.0a keys, and the actions the live feed
offers with them (like, repost, reply). Apart from the streams because it serves a person,
not ingestion; it shares their base-URL rebase (`x.http`)."""

from __future__ import annotations

import tweepy

from tweektrend_dagster.x.http import rebase

# what the user reads after each action succeeded
ACTIONS = {"like": "Liked on X.", "retweet": "Reposted on X.", "reply": "Reply posted on X."}


def make_user_client(creds: dict[str, str], *, api_base: str | None = None) -> tweepy.Client:
    """A tweepy Client acting as one user (OAuth 1.0a: consumer key/secret, access token/secret),
    sent to `api_base` / TWEEKTREND_X_API_BASE like the streams."""
    client = tweepy.Client(
        consumer_key=creds["consumer_key"],
        consumer_secret=creds["consumer_secret"],
        access_token=creds["access_token"],
        access_token_secret=creds["access_token_secret"],
    )
    rebase(client, api_base)
    return client


def send_action(
    creds: dict[str, str],
    action: str,
    tweet_id: int,
    text: str = "",
    *,
    api_base: str | None = None,
) -> str:
    """Like, retweet or reply to `tweet_id` as the owner of `creds`; returns a short outcome for
    the user. Raises ValueError with a readable reason for a bad request or when X refuses."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "reply" and not text.strip():
        raise ValueError("Write a reply first.")
    client = make_user_client(creds, api_base=api_base)
    try:
        if action == "like":
            client.like(tweet_id)
        elif action == "retweet":
            client.retweet(tweet_id)
        else:
            client.create_tweet(text=text, in_reply_to_tweet_id=tweet_id)
    except tweepy.TweepyException as exc:
        raise ValueError(f"X refused the {action}: {exc}") from exc
    return ACTIONS[action]
