"""The project's clients against servers that require a login: a Kafka broker with SASL/SCRAM
(KRaft, the project's Kafka jars, the SCRAM user added when its storage is formatted) and a
Cassandra with PasswordAuthenticator, each on spare ports in a data directory of its own. The
right credentials from Settings work; a wrong password fails with a clear error."""

from __future__ import annotations

import re
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- Kafka with SASL/SCRAM ------------------------------------------------------------------------
SASL_KAFKA = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required \
username="{user}" password="{password}";
log.dirs={data}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=2
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
"""


@pytest.fixture(scope="module")
def sasl_kafka(stack_settings, tmp_path_factory) -> Iterator[Settings]:
    """A broker that only speaks SASL_PLAINTEXT with SCRAM-SHA-256, started like the launcher
    starts Kafka (same java, class path and KRaft format), with the SCRAM user added by
    `StorageTool format --add-scram`; Settings that reach it with the right credentials."""
    home = tmp_path_factory.mktemp("sasl-kafka")
    port, controller = _free_port(), _free_port()
    data = home / "kafka" / "data"
    props = home / "kafka" / "server.properties"
    props.parent.mkdir(parents=True)
    props.write_text(SASL_KAFKA.format(port=port, controller=controller, data=data, user=USER,
                                       password=PASSWORD))
    log4j = home / "kafka" / "log4j2.properties"
    log4j.write_text((TEMPLATES / "kafka-log4j2.properties").read_text())
    java, classpath = tools.java(), f"{artifacts.maven_jars('kafka', stack_settings.cache)}/*"
    cluster_id = subprocess.run(
        [java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    formatted = subprocess.run(
        [java, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", cluster_id,
         "-c", str(props), "--add-scram", f"SCRAM-SHA-256=[name={USER},password={PASSWORD}]"],
        capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    proc = ManagedProcess("sasl-kafka", home)
    proc.start([java, "-Xms256m", "-Xmx256m", f"-Dlog4j2.configurationFile={log4j}", "-cp",
                classpath, "kafka.Kafka", str(props)], home / "kafka")
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
    assert stack_servers.Kafka(settings).probe() == "1 broker(s)"


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
    """A second Cassandra (the launcher's command and config, with PasswordAuthenticator and
    CassandraAuthorizer) on spare ports; the default superuser makes the project's role, then
    loses its password, as docker/cassandra-init.cql does in the compose stack."""
    home = tmp_path_factory.mktemp("auth-cassandra")
    settings = replace(stack_settings, home=home, cassandra_port=_free_port(),
                       cassandra_storage_port=_free_port(), cassandra_heap="512M")
    server = stack_servers.Cassandra(settings)
    cmd, cwd = server.command()
    conf = server.dir / "cassandra.yaml"
    text = conf.read_text()
    text = re.sub(r"(?m)^authenticator:.*$", "authenticator: PasswordAuthenticator", text)
    text = re.sub(r"(?m)^authorizer:.*$", "authorizer: CassandraAuthorizer", text)
    conf.write_text(text)
    proc = ManagedProcess("cassandra", home)
    proc.start(cmd, cwd)
    login = replace(settings, cassandra_username=USER, cassandra_password=PASSWORD)
    try:
        superuser = replace(settings, cassandra_username="cassandra",
                            cassandra_password="cassandra")
        session, cluster = _wait_for_cassandra(superuser, proc)
        try:
            session.execute(f"CREATE ROLE {USER} WITH PASSWORD = '{PASSWORD}' AND LOGIN = true "
                            "AND SUPERUSER = false")
            session.execute(f"GRANT ALL PERMISSIONS ON ALL KEYSPACES TO {USER}")
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
