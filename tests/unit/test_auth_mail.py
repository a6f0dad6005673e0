"""send_mail through the local mail catcher (aiosmtpd on an ephemeral port, no stack needed)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from tweektrend_dagster.config import Settings
from tweektrend_dagster.mail import MailError, read_mailbox, send_mail, start_mailcatcher


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for var in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_SECURITY"):
        monkeypatch.delenv(f"TWEEKTREND_{var}", raising=False)
    return replace(Settings.from_env(), home=tmp_path, host="127.0.0.1", smtp_port=_free_port())


def test_catcher_stores_the_mail_and_prints_the_link(settings, capsys):
    controller = start_mailcatcher(settings)
    try:
        link = "http://127.0.0.1:8501/?verify=abc.def-ghi"
        send_mail(settings, "new@example.com", "Confirm 확인", f"Open\n\n{link}\n")
    finally:
        controller.stop()
    mails = read_mailbox(settings, "new@example.com")
    assert len(mails) == 1 and mails[0].subject == "Confirm 확인"
    assert mails[0].links == [link]
    assert mails[0].path.parent == settings.home / "mail"
    out = capsys.readouterr().out
    assert "new@example.com" in out and link in out
    assert read_mailbox(settings, "other@example.com") == []


def test_unreachable_smtp_names_the_server(settings):
    with pytest.raises(MailError, match=f"127.0.0.1:{settings.smtp_port}"):
        send_mail(settings, "x@example.com", "s", "b")


def test_bad_security_setting_is_explained(settings, monkeypatch):
    monkeypatch.setenv("TWEEKTREND_SMTP_SECURITY", "tls-please")
    # Settings are read once, where a process starts: read them again after the change
    settings = replace(settings, smtp_security=Settings.from_env().smtp_security)
    with pytest.raises(MailError, match="TWEEKTREND_SMTP_SECURITY must be none, starttls or ssl"):
        send_mail(settings, "x@example.com", "s", "b")
