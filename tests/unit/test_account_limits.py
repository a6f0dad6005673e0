"""The numbers of the account limits (streamlit_app/auth/rate_limits.py) and their messages,
without a server: the lock schedule doubles and stops at its cap, the narrow limits lock before
the wide ones, and no limit is within reach of a person typing. Their behaviour against Mongo
(atomic under parallel attempts): tests/integration/test_auth.py."""

from __future__ import annotations

from datetime import timedelta

from streamlit_app.auth import rate_limits as limits
from streamlit_app.auth.errors import RateLimited


def test_the_lock_starts_at_the_free_attempt_then_doubles_up_to_its_cap():
    rule = limits.PAIR
    assert [rule.lock_after(n) for n in range(1, rule.free)] == [None] * (rule.free - 1)
    first = rule.lock_after(rule.free)
    assert first == rule.base
    assert rule.lock_after(rule.free + 1) == 2 * first
    assert rule.lock_after(rule.free + 2) == 4 * first
    assert rule.lock_after(rule.free + 40) == rule.cap


def test_narrow_limits_come_first_and_none_is_within_a_persons_reach():
    # a user's own typos lock their pair first and briefly; account and client only later
    assert limits.PAIR.free < limits.ACCOUNT.free < limits.CLIENT.free
    assert limits.PAIR.free >= 3 and limits.PAIR.base <= timedelta(seconds=10)
    assert all(r.cap <= timedelta(minutes=15) for r in (limits.PAIR, limits.ACCOUNT, limits.CLIENT))
    per_minute = limits.GLOBAL_LOGINS.limit / (limits.GLOBAL_LOGINS.window / timedelta(minutes=1))
    assert per_minute >= 100  # the whole site: far above a person, below a brute force
    assert limits.MAILS_PER_ADDRESS.limit >= 3  # sign-up, a resend, a reset within an hour
    assert limits.SIGNUPS_PER_CLIENT.limit >= 5  # a household or office signing up


def test_each_limit_says_what_was_limited_and_for_how_long():
    for rule in (limits.PAIR, limits.ACCOUNT, limits.CLIENT, limits.GLOBAL_LOGINS):
        assert str(RateLimited(42, rule.message)).startswith("Too many")
        assert "42 seconds" in str(RateLimited(42, rule.message))
    assert "network" in limits.CLIENT.message and "network" not in limits.ACCOUNT.message
    assert "15 minutes" in str(RateLimited(900, limits.MAILS_PER_ADDRESS.message))
    # counter keys hold digests, never an address
    key = limits.counter_id("pair", "me@example.com", "203.0.113.7")
    assert key.startswith("pair:") and "example" not in key and "203.0" not in key
