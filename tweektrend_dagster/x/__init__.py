"""Talking to the X API v2 through tweepy: what every X client shares (`http`) and the client
that acts as one user for the dashboard's like / repost / reply (`user_client`). The streams
that ingest posts live with the other sources in `ingest/sources/x_api.py`."""
