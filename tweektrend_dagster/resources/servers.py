"""Kafka, Cassandra, Mongo, SMTP and the product's run settings as `ConfigurableResource`s.

Each is built from `config.Settings` when the Definitions are assembled (`from_settings`), so
nothing here reads the environment at import; an address given by a TWEEKTREND_* variable is
passed as `dg.EnvVar`, so Dagster's UI shows where it came from and never prints it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import dagster as dg
from cassandra.cluster import Session
from confluent_kafka.admin import AdminClient
from pydantic import Field
from pymongo.database import Database

from tweektrend_dagster.clients import (
    ClientConfig,
    cassandra_auth,
    connect_cassandra,
    connect_mongo,
    kafka_security,
)
from tweektrend_dagster.config import Settings, is_set
from tweektrend_dagster.mail import send_mail


def _env_or(variable: str, value: Any) -> Any:
    """dg.EnvVar of TWEEKTREND_{variable} when the user set it, else the resolved default."""
    return dg.EnvVar(f"TWEEKTREND_{variable}") if is_set(variable) else value


def _secret(variable: str, value: str | None) -> Any:
    """A credential from the environment goes in as dg.EnvVar, so Dagster's UI shows the
    variable's name, never the value."""
    return dg.EnvVar(f"TWEEKTREND_{variable}") if value is not None and is_set(variable) else value


class KafkaResource(dg.ConfigurableResource):
    """The Kafka cluster holding the tweet topic."""

    bootstrap_servers: str
    topic: str
    consumer_group: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-256"
    sasl_username: str | None = None
    sasl_password: str | None = Field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> KafkaResource:
        return cls(**{
            "bootstrap_servers": _env_or("KAFKA_BOOTSTRAP", settings.kafka_bootstrap),
            "topic": settings.topic, "consumer_group": settings.consumer_group,
            "security_protocol": settings.kafka_security_protocol,
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_username": settings.kafka_username,
            "sasl_password": _secret("KAFKA_PASSWORD", settings.kafka_password), **overrides})

    def client_config(self, **extra: Any) -> ClientConfig:
        """What every confluent-kafka client of this cluster starts from (see clients.py)."""
        return ClientConfig({
            "bootstrap.servers": self.bootstrap_servers,
            **kafka_security(self.security_protocol, self.sasl_mechanism, self.sasl_username,
                             self.sasl_password),
            **extra})

    def admin(self) -> AdminClient:
        return AdminClient(self.client_config())


class CassandraResource(dg.ConfigurableResource):
    """The Cassandra cluster holding the raw archive and the per-keyword tables."""

    hosts: str
    port: int
    keyspace: str
    username: str | None = None
    password: str | None = Field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> CassandraResource:
        return cls(**{
            "hosts": _env_or("CASSANDRA_HOSTS", ",".join(settings.cassandra_hosts)),
            "port": settings.cassandra_port, "keyspace": settings.keyspace,
            "username": settings.cassandra_username,
            "password": _secret("CASSANDRA_PASSWORD", settings.cassandra_password), **overrides})

    @contextmanager
    def session(self) -> Iterator[Session]:
        session, cluster = connect_cassandra(self.hosts.split(","), self.port, self.keyspace,
                                             cassandra_auth(self.username, self.password))
        try:
            yield session
        finally:
            cluster.shutdown()


class MongoResource(dg.ConfigurableResource):
    """MongoDB (FerretDB locally) holding trend documents, users and the keyword registry."""

    uri: str
    database: str

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MongoResource:
        return cls(**{"uri": _env_or("MONGO_URI", settings.mongo_uri),
                      "database": settings.mongo_db, **overrides})

    @contextmanager
    def db(self) -> Iterator[Database]:
        db = connect_mongo(self.uri, self.database)
        try:
            yield db
        finally:
            db.client.close()


class MailResource(dg.ConfigurableResource):
    """Outgoing mail through `mail.send_mail`; host, login, TLS and sender come from the
    TWEEKTREND_SMTP_* variables (Settings), locally the mail catcher."""

    smtp_port: int

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MailResource:
        return cls(**{"smtp_port": settings.smtp_port, **overrides})

    def send(self, to: str, subject: str, body: str) -> None:
        """Send a plain-text mail; raises MailError naming the SMTP server when it fails."""
        send_mail(replace(Settings.from_env(), smtp_port=self.smtp_port), to, subject, body)


class RunSettingsResource(dg.ConfigurableResource):
    """The settings the trend and alert runs decide with (TWEEKTREND_LATE_GRACE_HOURS,
    _REFERENCE_KEYWORD, _ALERT_WINDOW_HOURS, _PUBLIC_URL), shown in Dagster's UI."""

    late_grace_hours: float
    reference_keyword: str
    alert_window_hours: float
    dashboard_url: str  # the dashboard's address in alert mails

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> RunSettingsResource:
        return cls(**{"late_grace_hours": settings.late_grace_hours,
                      "reference_keyword": settings.reference_keyword,
                      "alert_window_hours": settings.alert_window_hours,
                      "dashboard_url": settings.public_url, **overrides})
