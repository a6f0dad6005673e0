"""A real dashboard for browser tests: its own Mongo database and Cassandra keyspace on the test
stack, a mail catcher on an ephemeral port, and `streamlit run` on another."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from tweektrend_dagster.clients import cassandra_session, connect_mongo
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest.schema import create_schema
from tweektrend_dagster.mail import read_mailbox, start_mailcatcher

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dashboard:
    url: str
    settings: Settings
    db: object
    cassandra: object
    log: Path

    def mails(self, to: str):
        return read_mailbox(self.settings, to)


def auth_secrets(url: str, auth: dict[str, str]) -> str:
    """secrets.toml with the [auth] section of st.login: `auth` plus the dashboard's own
    redirect_uri and a cookie secret."""
    values = {"redirect_uri": f"{url}/oauth2callback", "cookie_secret": uuid.uuid4().hex, **auth}
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]  # TOML strings
    return "[auth]\n" + "\n".join(lines) + "\n"


@contextmanager
def running_dashboard(
    base: Settings, home: Path, auth: dict[str, str] | None = None
) -> Iterator[Dashboard]:
    """`auth`: client_id, client_secret and server_metadata_url of an identity provider for
    st.login (none: the provider login is hidden, as without secrets.toml)."""
    name = "dash" + uuid.uuid4().hex[:8]
    smtp_port, web_port = free_port(), free_port()
    settings = replace(base, home=home, mongo_db=name, keyspace=name, smtp_port=smtp_port)
    session, cluster = cassandra_session(settings, keyspace=None)
    create_schema(session, settings)
    db = connect_mongo(settings.mongo_uri, name)
    catcher = start_mailcatcher(settings, echo=False)
    url = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "TWEEKTREND_HOME": str(home),
        "TWEEKTREND_MONGO_DB": name,
        "TWEEKTREND_KEYSPACE": name,
        "TWEEKTREND_SMTP_PORT": str(smtp_port),
        "TWEEKTREND_SMTP_HOST": "127.0.0.1",
        "TWEEKTREND_PUBLIC_URL": url,
        "TWEEKTREND_SECRET_KEY": uuid.uuid4().hex,
        "TWEEKTREND_MONGO_PORT": str(settings.mongo_port),
        "TWEEKTREND_CASSANDRA_PORT": str(settings.cassandra_port),
    }
    log = home / "streamlit.log"
    secrets_args: list[str] = []
    if auth is not None:
        secrets_file = home / "secrets.toml"
        secrets_file.write_text(auth_secrets(url, auth))
        secrets_args = ["--secrets.files", str(secrets_file)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "streamlit"),
                "run",
                str(ROOT / "streamlit_app" / "app.py"),
                "--server.port",
                str(web_port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
                *secrets_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        session.set_keyspace(name)
        yield Dashboard(url, settings, db, session, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        catcher.stop()
        db.client.drop_database(name)
        db.client.close()
        session.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=60)
        cluster.shutdown()
