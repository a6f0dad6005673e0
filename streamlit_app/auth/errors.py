"""The errors of account operations that the pages show as they are: `str(exc)` is written
for the user, never a traceback."""

from __future__ import annotations

LOGIN_PAIR = "Too many failed logins for this e-mail from your network. Try again in {wait}."


class AuthError(ValueError):
    """A problem the user can act on; `str(exc)` is shown as is."""


class RateLimited(AuthError):
    """A limit was reached; `message` says which, with `{wait}` filled in from `retry_after`."""

    def __init__(self, retry_after: float, message: str = LOGIN_PAIR) -> None:
        self.retry_after = retry_after
        secs = max(1, round(retry_after))
        wait = f"{secs} seconds" if secs < 120 else f"{round(secs / 60)} minutes"
        super().__init__(message.format(wait=wait))
