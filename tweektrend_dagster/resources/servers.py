"""Kafka, Cassandra, Mongo and SMTP as `ConfigurableResource`s with working local defaults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import dagster as dg
from cassandra.cluster import Session
from confluent_kafka.admin import AdminClient
from pymongo.database import Database

from tweektrend_dagster.config import Settings
from tweektrend_dagster.mail import send_mail
from tweektrend_dagster.resources.clients import connect_cassandra, connect_mongo

_defaults = Settings.from_env()


class KafkaResource(dg.ConfigurableResource):
    """The Kafka cluster holding the tweet topic."""

    bootstrap_servers: str = _defaults.kafka_bootstrap
    topic: str = _defaults.topic
    consumer_group: str = _defaults.consumer_group

    def admin(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.bootstrap_servers})


class CassandraResource(dg.ConfigurableResource):
    """The Cassandra cluster holding the raw archive and the per-keyword tables."""

    hosts: str = ",".join(_defaults.cassandra_hosts)
    port: int = _defaults.cassandra_port
    keyspace: str = _defaults.keyspace

    @contextmanager
    def session(self) -> Iterator[Session]:
        session, cluster = connect_cassandra(self.hosts.split(","), self.port, self.keyspace)
        try:
            yield session
        finally:
            cluster.shutdown()


class MongoResource(dg.ConfigurableResource):
    """MongoDB (FerretDB locally) holding trend documents, users and the keyword registry."""

    uri: str = _defaults.mongo_uri
    database: str = _defaults.mongo_db

    @contextmanager
    def db(self) -> Iterator[Database]:
        db = connect_mongo(self.uri, self.database)
        try:
            yield db
        finally:
            db.client.close()


class MailResource(dg.ConfigurableResource):
    """Outgoing mail through `mail.send_mail`; host, login, TLS and sender come from the
    TWEEKTREND_SMTP_* variables (SmtpConfig.from_env), locally the mail catcher."""

    smtp_port: int = _defaults.smtp_port

    def send(self, to: str, subject: str, body: str) -> None:
        """Send a plain-text mail; raises MailError naming the SMTP server when it fails."""
        send_mail(replace(Settings.from_env(), smtp_port=self.smtp_port), to, subject, body)
