"""The alert mail's subject and plain-text body (pure).

Plain text only: mail.send_mail sends a single text/plain part, so nothing here is ever rendered
as HTML, and the mail quotes no tweet text at all, only the keyword and numbers.
"""

from __future__ import annotations

from datetime import timedelta

from tweektrend_dagster.alerts.spikes import Spike


def _one_line(text: str) -> str:
    # a keyword is normalised already; this only guards the Subject header against line breaks
    return " ".join(text.split())


def _usual(spike: Spike) -> str:
    if spike.usual is None:
        return "no earlier hours to compare with"
    ratio = f", {spike.mentions / spike.usual:.1f}× usual" if spike.usual > 0 else ""
    return f"usual level {spike.usual:g} per hour (median of the previous 24 hours){ratio}"


def alert_mail(spike: Spike, display: str, dashboard_url: str) -> tuple[str, str]:
    """(subject, body) of the alert for one keyword and hour bucket."""
    name = _one_line(display) or spike.keyword
    hour = f"{spike.t:%Y-%m-%d %H:%M}–{spike.t + timedelta(hours=1):%H:%M} UTC"
    base = dashboard_url.rstrip("/")
    subject = f"TweekTrend: “{name}” is spiking ({spike.t:%H:%M} UTC)"
    body = (
        f"Your keyword “{name}” is spiking on X.\n\n"
        f"Hour:         {hour}\n"
        f"Mentions:     {spike.mentions} ({_usual(spike)})\n"
        f"Spike score:  {spike.score:.1f} (3 or more counts as a spike)\n\n"
        f"See the trend: {base}/trends\n\n"
        "You get this mail because spike alerts are on in your TweekTrend settings; turn them "
        f"off there: {base}/settings\n"
    )
    return subject, body
