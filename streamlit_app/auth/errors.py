"""The errors of account operations that the pages show as they are: `str(exc)` is written
for the user, never a traceback."""

from __future__ import annotations


class AuthError(ValueError):
    """A problem the user can act on; `str(exc)` is shown as is."""


class RateLimited(AuthError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        secs = max(1, round(retry_after))
        wait = f"{secs} seconds" if secs < 120 else f"{round(secs / 60)} minutes"
        super().__init__(
            f"Too many failed logins for this e-mail from your network. Try again in {wait}."
        )
