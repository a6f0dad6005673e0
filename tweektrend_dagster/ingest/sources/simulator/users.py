"""The simulated user base: accounts with names, handles, followers, a device and a location.

Each account is serialised once, up front, as the v2 `includes.users` object (an
`orjson.Fragment`), so a post only points at it: this is most of why the simulator is fast.
Activity and fame are separate Zipf rankings, so who posts most is not who is mentioned most.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson

from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.ingest.sources.simulator.zipf import Zipf


class User:
    __slots__ = ("id", "username", "lang", "followers", "fragment", "device")

    def __init__(
        self,
        uid: str,
        username: str,
        lang: str,
        followers: int,
        fragment: orjson.Fragment,
        device: str,
    ) -> None:
        self.id, self.username, self.lang, self.followers = uid, username, lang, followers
        self.fragment, self.device = fragment, device


class UserBase:
    """`n` users drawn from `rng`; `active` picks who posts, `famous` who gets mentioned."""

    def __init__(self, n: int, rng: random.Random) -> None:
        users: list[User] = []
        by_name: dict[str, User] = {}
        base_day = datetime(2009, 1, 1, tzinfo=UTC)
        for _ in range(n):
            lang = "ko" if rng.random() < 0.58 else "en"
            if lang == "ko":
                name = rng.choice(V.KO_SURNAMES) + rng.choice(V.KO_GIVEN)
                if rng.random() < 0.15:
                    name += rng.choice(("💜", "🐰", "✨", "🌙"))
                location = rng.choice(V.KO_LOCATIONS) if rng.random() < 0.65 else None
            else:
                name = f"{rng.choice(V.EN_FIRST)} {rng.choice(V.EN_LAST)}"
                location = rng.choice(V.EN_LOCATIONS) if rng.random() < 0.7 else None
            while True:
                handle = rng.choice(V.HANDLE_WORDS)
                if rng.random() < 0.6:
                    handle += rng.choice(("_", "")) + rng.choice(V.HANDLE_WORDS)
                handle = (handle + str(rng.randrange(1, 9999)))[:15]
                if handle not in by_name:
                    break
            # Log-normal followers (median ~150) and a few big accounts.
            followers = int(rng.lognormvariate(5.0, 1.7))
            if rng.random() < 0.004:
                followers = followers * 1000 + rng.randrange(100_000, 3_000_000)
            created = base_day + timedelta(days=rng.randrange(0, 5000))
            # Old accounts have small ids, newer ones snowflakes.
            uid = str(
                rng.randrange(10**7, 4 * 10**9)
                if created.year < 2014
                else rng.randrange(7 * 10**17, 17 * 10**17)
            )
            weights = [d[1] if lang == "ko" else d[2] for d in V.DEVICES]
            device = rng.choices([d[0] for d in V.DEVICES], weights)[0]
            obj = {
                "id": uid,
                "name": name,
                "username": handle,
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "verified": followers > 500_000,
                "description": "",
                "public_metrics": {
                    "followers_count": followers,
                    "following_count": int(rng.lognormvariate(5.5, 1.0)),
                    "tweet_count": int(rng.lognormvariate(7.5, 1.5)),
                    "listed_count": followers // 200,
                    "like_count": int(rng.lognormvariate(7.0, 1.8)),
                },
                "profile_image_url": f"https://pbs.twimg.com/profile_images/{uid}/p_normal.jpg",
            }
            if location:
                obj["location"] = location
            user = User(uid, handle, lang, followers, orjson.Fragment(orjson.dumps(obj)), device)
            users.append(user)
            by_name[handle] = user
        self.users = users
        self.by_username = by_name
        # Activity: Zipf over a shuffled order, so activity and followers are independent.
        order = users[:]
        rng.shuffle(order)
        self.active = Zipf(order, 1.0)
        # Mentions go mostly to well-followed accounts.
        self.famous = Zipf(sorted(users, key=lambda u: -u.followers)[:500], 1.0)
