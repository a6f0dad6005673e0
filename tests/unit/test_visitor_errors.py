"""No server address or credential on a page a visitor sees: a server failure shows a generic
notice, its full text goes to the server log (no server needed: Mongo is a closed port)."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from streamlit_app import data

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app" / "app.py")
SECRET = "secret-pw-4711"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _page_text(at: AppTest) -> str:
    parts = [str(getattr(element, "value", "")) for element in at.main]
    parts += [str(getattr(element, "value", "")) for element in at.sidebar]
    parts += [str(e.message) + " ".join(e.stack_trace or []) for e in at.exception]
    return "\n".join(parts)


@pytest.fixture
def mongo_with_password_is_down(monkeypatch, tmp_path) -> str:
    uri = f"mongodb://user:{SECRET}@127.0.0.1:{_closed_port()}/"
    monkeypatch.setenv("TWEEKTREND_MONGO_URI", uri)
    monkeypatch.setenv("TWEEKTREND_HOME", str(tmp_path))
    return uri


def test_mongo_down_shows_the_notice_and_logs_the_uri(mongo_with_password_is_down, caplog):
    caplog.set_level(logging.ERROR, logger="streamlit_app.data")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == [data.SERVICE_NOTICE]
    page = _page_text(at)
    assert SECRET not in page and "127.0.0.1" not in page and "mongodb://" not in page
    logged = "\n".join(r.getMessage() for r in caplog.records)
    # the operator gets the server's address, never its password
    assert mongo_with_password_is_down.replace(SECRET, "***") in logged
    assert SECRET not in logged


def test_an_uncaught_error_shows_no_message(mongo_with_password_is_down, monkeypatch):
    """A failure nobody catches (a fragment's, or a driver error) is redacted by Streamlit."""

    def broken(*_args):
        raise RuntimeError(f"lost {mongo_with_password_is_down}")

    monkeypatch.setattr("streamlit_app.session.current_user", broken)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.exception, "the error reaches Streamlit's uncaught handler"
    page = _page_text(at)
    assert SECRET not in page and "mongodb://" not in page


def test_a_visitor_never_sees_the_smtp_server(monkeypatch, caplog):
    class Accounts:
        def verification_mail_for(self, email, client):
            return "Confirm", "link"

        def record_mail(self, email, subject, kind, error):
            pass

    def refuse(*_args):
        raise data.MailError("Could not send mail through SMTP at smtp.internal.example:2525")

    monkeypatch.setattr(data, "accounts", Accounts)
    monkeypatch.setattr(data, "send_mail", refuse)
    caplog.set_level(logging.ERROR, logger="streamlit_app.data")
    with pytest.raises(data.MailError) as raised:
        data.resend_verification("someone@example.org")
    assert str(raised.value) == data.MAIL_NOTICE
    assert "smtp.internal.example" in caplog.text


def test_sign_up_records_the_full_mail_error_and_shows_the_notice(monkeypatch):
    recorded = []

    class Accounts:
        def register(self, email, password, client):
            return type("Registered", (), {"user_id": "u1", "email": email, "subject": "Confirm",
                                           "body": "link", "kind": "verify"})()

        def record_mail(self, email, subject, kind, error):
            recorded.append(error)

    def refuse(*_args):
        raise data.MailError("Could not send mail through SMTP at smtp.internal.example:2525")

    monkeypatch.setattr(data, "accounts", Accounts)
    monkeypatch.setattr(data, "send_mail", refuse)
    _user_id, shown = data.sign_up("someone@example.org", "pw")
    assert shown == data.MAIL_NOTICE
    assert recorded and "smtp.internal.example" in recorded[0], "the outbox keeps the cause"
