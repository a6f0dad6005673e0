"""The project's clients against servers that require a login: a Kafka broker with SASL/SCRAM
(KRaft, the project's Kafka jars, the SCRAM user added when its storage is formatted) and a
Cassandra with PasswordAuthenticator, each on spare ports in a data directory of its own. The
right credentials from Settings work; a wrong password fails with a clear error."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from tweektrend_dagster.artifacts import build as artifacts
from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.clients import cassandra_session, kafka_client_config
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.ingest.kafka_topics import ensure_topics
from tweektrend_dagster.ingest.producer import producer_config
from tweektrend_dagster.ingest.worker import consumer_config, dlq_config
from tweektrend_dagster.stack import servers as stack_servers
from tweektrend_dagster.stack.process import ManagedProcess

USER = "tweektrend"
PASSWORD = "pw-" + uuid.uuid4().hex[:12]
TEMPLATES = Path(stack_servers.__file__).parent / "templates"
DOCKER = Path(__file__).resolve().parents[2] / "docker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- Kafka with SASL/SCRAM ------------------------------------------------------------------------
KAFKA_BIN = {  # what docker/kafka/start.sh calls in the apache/kafka image, on the project's jars
    "kafka-storage.sh": 'exec "$JAVA" -cp "$JARS/*" kafka.tools.StorageTool "$@"',
    "kafka-server-start.sh": 'exec "$JAVA" -Xms256m -Xmx256m -Dlog4j2.configurationFile="$LOG4J" '
                             '-cp "$JARS/*" kafka.Kafka "$@"',
}


@pytest.fixture(scope="module")
def sasl_kafka(stack_settings, tmp_path_factory) -> Iterator[Settings]:
    """The compose stack's Kafka: docker/kafka/start.sh itself (SASL/SCRAM-SHA-256 for clients,
    the SCRAM user added by `kafka-storage format --add-scram`, the broker to itself over
    PLAINTEXT on 127.0.0.1), run on spare ports with the java and jars the launcher uses in
    place of the image's /opt/kafka; Settings that reach it with the right credentials."""
    home = tmp_path_factory.mktemp("sasl-kafka")
    kafka_home = home / "opt-kafka"
    (kafka_home / "bin").mkdir(parents=True)
    for script, body in KAFKA_BIN.items():
        (kafka_home / "bin" / script).write_text(f"#!/usr/bin/env bash\n{body}\n")
        (kafka_home / "bin" / script).chmod(0o755)
    (kafka_home / "config").mkdir()
    log4j = kafka_home / "config" / "log4j2.properties"
    log4j.write_text((TEMPLATES / "kafka-log4j2.properties").read_text())
    port = _free_port()
    env = {
        "KAFKA_HOME": str(kafka_home), "KAFKA_DATA": str(home / "data"),
        "KAFKA_LISTEN_HOST": "127.0.0.1", "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(_free_port()), "KAFKA_INTERNAL_PORT": str(_free_port()),
        "SCRAM_USERNAME": USER, "SCRAM_PASSWORD": PASSWORD,
        "JAVA": tools.java(), "JARS": str(artifacts.maven_jars("kafka", stack_settings.cache)),
        "LOG4J": str(log4j),
    }
    proc = ManagedProcess("sasl-kafka", home)
    proc.start(["bash", str(DOCKER / "kafka" / "start.sh")], home, env=env)
    settings = replace(
        stack_settings, kafka_port=port, kafka_bootstrap_override=None, topic="t-sasl",
        dlq_topic="t-sasl-dlq", topic_partitions=2, consumer_group="g-sasl",
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_username=USER, kafka_password=PASSWORD)
    try:
        _wait_for_broker(settings, proc)
        yield settings
    finally:
        proc.stop(timeout=30)


def _wait_for_broker(settings: Settings, proc: ManagedProcess, timeout: float = 120) -> None:
    from confluent_kafka.admin import AdminClient

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.running(), proc.log_tail(30)
        try:
            if AdminClient(kafka_client_config(settings)).list_topics(timeout=2).brokers:
                return
        except KafkaException:
            time.sleep(1)
    raise AssertionError(f"the SASL broker did not answer:\n{proc.log_tail(30)}")


def test_the_projects_clients_produce_and_consume_with_scram_credentials(sasl_kafka):
    settings = sasl_kafka
    ensure_topics(settings)  # the admin client logs in too
    producer = Producer(producer_config(settings))
    sent = {f"m{i}".encode() for i in range(20)}
    for value in sent:
        producer.produce(settings.topic, value=value, key=b"k")
    assert producer.flush(30) == 0
    dlq = Producer(dlq_config(settings))
    dlq.produce(settings.dlq_topic, value=b"dead")
    assert dlq.flush(30) == 0

    consumer = Consumer(consumer_config(settings, "sasl-test"))
    consumer.subscribe([settings.topic])
    received: set[bytes] = set()
    deadline = time.monotonic() + 60
    try:
        while received != sent and time.monotonic() < deadline:
            message = consumer.poll(1)
            if message is not None and message.error() is None:
                received.add(message.value())
    finally:
        consumer.close()
    assert received == sent
    # the launcher's readiness probe uses the same login
    assert stack_servers.Kafka(settings).probe().startswith("broker 1 of 1, ")


def _first_error(config: dict) -> KafkaError:
    errors: list[KafkaError] = []
    producer = Producer({**config, "error_cb": errors.append})
    deadline = time.monotonic() + 30
    while not errors and time.monotonic() < deadline:
        producer.poll(0.5)
    assert errors, "the broker accepted the client"
    return errors[0]


def test_a_wrong_password_is_refused_with_an_authentication_error(sasl_kafka):
    wrong = replace(sasl_kafka, kafka_password="not-" + PASSWORD)
    error = _first_error(producer_config(wrong))
    assert error.code() == KafkaError._AUTHENTICATION
    assert "invalid credentials" in error.str() and "SCRAM-SHA-256" in error.str()
    assert PASSWORD not in error.str()
    assert stack_servers.Kafka(wrong).probe() is None


def test_a_client_without_credentials_gets_nothing_from_the_sasl_broker(sasl_kafka):
    plain = replace(sasl_kafka, kafka_security_protocol="PLAINTEXT", kafka_username=None,
                    kafka_password=None)
    consumer = Consumer(consumer_config(plain, "no-login"))
    try:
        with pytest.raises(KafkaException):
            consumer.list_topics(timeout=5)
    finally:
        consumer.close()


# -- Cassandra with PasswordAuthenticator ---------------------------------------------------------
@pytest.fixture(scope="module")
def password_cassandra(stack_settings, tmp_path_factory) -> Iterator[Settings]:
    """A second Cassandra on spare ports: the launcher's command and config, with logins and
    permissions turned on as the compose stack does it (docker/cassandra/auth.awk); the
    default superuser makes the project's role with the rights docker/cassandra/init.sh gives."""
    home = tmp_path_factory.mktemp("auth-cassandra")
    settings = replace(stack_settings, home=home, cassandra_port=_free_port(),
                       cassandra_storage_port=_free_port(), cassandra_heap="512M")
    server = stack_servers.Cassandra(settings)
    cmd, cwd = server.command()
    conf = server.dir / "cassandra.yaml"
    # the compose stack's edit of cassandra.yaml (docker/cassandra/entrypoint.sh)
    edited = subprocess.run(["awk", "-f", str(DOCKER / "cassandra" / "auth.awk"), str(conf)],
                            capture_output=True, text=True, check=True).stdout
    assert "authenticator: PasswordAuthenticator" in edited
    conf.write_text(edited)
    proc = ManagedProcess("cassandra", home)
    proc.start(cmd, cwd)
    login = replace(settings, cassandra_username=USER, cassandra_password=PASSWORD)
    try:
        superuser = replace(settings, cassandra_username="cassandra",
                            cassandra_password="cassandra")
        session, cluster = _wait_for_cassandra(superuser, proc)
        try:
            # what docker/cassandra/init.sh gives the project's role: a login, and the right
            # to create keyspaces (a role owns what it creates)
            session.execute(f"CREATE ROLE {USER} WITH PASSWORD = '{PASSWORD}' AND LOGIN = true "
                            "AND SUPERUSER = false")
            session.execute(f"GRANT CREATE ON ALL KEYSPACES TO {USER}")
        finally:
            cluster.shutdown()
        yield login
    finally:
        proc.stop(timeout=60)


def _wait_for_cassandra(settings: Settings, proc: ManagedProcess, timeout: float = 240):
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        assert proc.running(), proc.log_tail(30)
        try:
            return cassandra_session(settings, keyspace=None)
        except ServiceUnavailable as exc:
            last = exc
            time.sleep(2)
    raise AssertionError(f"Cassandra did not accept the superuser: {last}\n{proc.log_tail(30)}")


def test_the_driver_logs_in_with_the_project_role(password_cassandra):
    settings = password_cassandra
    session, cluster = cassandra_session(settings, keyspace=None)
    try:
        ks = "ks_auth_" + uuid.uuid4().hex[:8]
        session.execute(f"CREATE KEYSPACE {ks} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v text)")
        session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 'ok')")
        assert session.execute(f"SELECT v FROM {ks}.t WHERE k = 1").one().v == "ok"
        # the authorizer is on: the project's role may not read the password hashes
        from cassandra import Unauthorized

        with pytest.raises(Unauthorized):
            session.execute("SELECT salted_hash FROM system_auth.roles")
    finally:
        cluster.shutdown()
    assert stack_servers.Cassandra(settings).probe().startswith("release ")


def test_a_wrong_cassandra_password_or_none_is_refused_clearly(password_cassandra):
    wrong = replace(password_cassandra, cassandra_password="not-" + PASSWORD)
    with pytest.raises(ServiceUnavailable, match="refused the login") as err:
        cassandra_session(wrong, keyspace=None)
    assert PASSWORD not in str(err.value)
    anonymous = replace(password_cassandra, cassandra_username=None, cassandra_password=None)
    with pytest.raises(ServiceUnavailable, match="refused the login"):
        cassandra_session(anonymous, keyspace=None)
    assert stack_servers.Cassandra(wrong).probe() is None
