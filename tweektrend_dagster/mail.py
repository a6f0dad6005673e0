"""Outgoing mail (verification links, alerts) and the local mail catcher.

SMTP is configured by environment variables, read by `config.Settings` (production points them
at a real relay):
TWEEKTREND_SMTP_HOST (default: Settings.host), TWEEKTREND_SMTP_PORT (Settings.smtp_port, 8025),
TWEEKTREND_SMTP_USER / TWEEKTREND_SMTP_PASSWORD (login only when a user is set),
TWEEKTREND_SMTP_FROM, TWEEKTREND_SMTP_SECURITY = none | starttls | ssl (default none).

Locally `run_mailcatcher` accepts every message on 127.0.0.1:<smtp_port>, stores it as .eml under
`<Settings.home>/mail/` and prints a one-line summary with any link, so the verification link of a
sign-up can be opened from the terminal (or read back by tests with `read_mailbox`).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from tweektrend_dagster.config import Settings

LINK_RE = re.compile(r"https?://[^\s<>\"']+")


class MailError(RuntimeError):
    """Mail could not be handed to the SMTP server; the message names the server."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    security: str  # none | starttls | ssl

    @classmethod
    def from_env(cls, settings: Settings) -> SmtpConfig:
        security = settings.smtp_security
        if security not in ("none", "starttls", "ssl"):
            raise MailError(f"TWEEKTREND_SMTP_SECURITY must be none, starttls or ssl: {security!r}")
        return cls(
            host=settings.smtp_host or settings.host,
            port=settings.smtp_port,  # Settings reads TWEEKTREND_SMTP_PORT
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            security=security,
        )


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send a plain-text mail; raises MailError naming the SMTP server when it fails."""
    cfg = SmtpConfig.from_env(settings)
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg.set_content(body)
    try:
        if cfg.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=10, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=10)
        with smtp:
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if cfg.user:
                smtp.login(cfg.user, cfg.password or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"Could not send mail through SMTP at {cfg.host}:{cfg.port} ({exc}). Locally, start "
            "the mail catcher with `tweektrend mailcatcher` (the stack starts it for you)."
        ) from exc


def mail_dir(settings: Settings) -> Path:
    return settings.home / "mail"


class _CatcherHandler:
    """aiosmtpd handler: store each message as .eml and print a summary line."""

    def __init__(self, directory: Path, echo: bool = True) -> None:
        self.directory = directory
        self.echo = echo
        self._lock = threading.Lock()
        self._seq = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        raw: bytes = envelope.original_content or envelope.content
        with self._lock:
            self._seq += 1
            name = f"{time.time_ns()}-{os.getpid()}-{self._seq}.eml"
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)  # readers never see half a message
        if self.echo:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            links = LINK_RE.findall(_body_text(parsed))
            summary = f"mail to {', '.join(envelope.rcpt_tos)}: {parsed['Subject']!s}"
            if links:
                summary += f" — link: {links[0]}"
            print(summary, flush=True)
        return "250 Message accepted for delivery"


def _body_text(msg: email.message.Message) -> str:
    if isinstance(msg, email.message.EmailMessage):
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is not None:
            return part.get_content()
    payload = msg.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def start_mailcatcher(settings: Settings, port: int | None = None, echo: bool = True):
    """Start the catcher in a background thread; returns the aiosmtpd Controller (call .stop())."""
    from aiosmtpd.controller import Controller

    handler = _CatcherHandler(mail_dir(settings), echo=echo)
    controller = Controller(handler, hostname=settings.host, port=port or settings.smtp_port)
    try:
        controller.start()
    except Exception as exc:  # aiosmtpd wraps bind errors in several exception types
        raise MailError(
            f"The mail catcher could not listen on {settings.host}:{port or settings.smtp_port} "
            f"({exc}). Is another one running? Set TWEEKTREND_SMTP_PORT to use another port."
        ) from exc
    return controller


def run_mailcatcher(settings: Settings) -> None:
    """Run the local mail catcher in the foreground until interrupted (SIGINT/SIGTERM)."""
    import signal

    stop = threading.Event()
    controller = start_mailcatcher(settings)
    print(
        f"Mail catcher on smtp://{settings.host}:{settings.smtp_port}, "
        f"storing mail in {mail_dir(settings)}",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@dataclass(frozen=True)
class CaughtMail:
    path: Path
    to: str
    subject: str
    body: str
    links: list[str]


def read_mailbox(settings: Settings, to: str | None = None) -> list[CaughtMail]:
    """Messages stored by the catcher, oldest first; only those addressed to `to` when given."""
    out = []
    directory = mail_dir(settings)
    if not directory.exists():
        return out
    for path in sorted(directory.glob("*.eml"), key=lambda p: int(p.name.split("-")[0])):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        recipient = str(msg["To"] or "")
        if to is not None and to.lower() not in recipient.lower():
            continue
        body = _body_text(msg)
        out.append(
            CaughtMail(path, recipient, str(msg["Subject"] or ""), body, LINK_RE.findall(body))
        )
    return out
