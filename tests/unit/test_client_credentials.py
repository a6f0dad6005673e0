"""Every client of the project logs in with TWEEKTREND_* credentials when they are set, and with
nothing when they are not; a password never shows in a repr or a log line (no servers needed)."""

from __future__ import annotations

import logging
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from tweektrend_dagster import clients
from tweektrend_dagster.clients import (
    ClientConfig,
    cassandra_auth,
    kafka_client_config,
    spark_kafka_options,
)
from tweektrend_dagster.config import Settings, spark_conf
from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.ingest.producer import producer_config
from tweektrend_dagster.ingest.worker import consumer_config, dlq_config

SECRET = "s3cret-Pa55"
SECURITY_KEYS = {"security.protocol", "sasl.mechanism", "sasl.username", "sasl.password"}


@pytest.fixture
def sasl(monkeypatch) -> Settings:
    """Settings as the compose stack's .env gives them to the project's processes."""
    for name, value in {
        "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "KAFKA_USERNAME": "tweektrend", "KAFKA_PASSWORD": SECRET,
        "CASSANDRA_USERNAME": "tweektrend", "CASSANDRA_PASSWORD": SECRET,
    }.items():
        monkeypatch.setenv(f"TWEEKTREND_{name}", value)
    return Settings.from_env()


@pytest.fixture
def open_servers(monkeypatch) -> Settings:
    for name in ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_USERNAME",
                 "KAFKA_PASSWORD", "CASSANDRA_USERNAME", "CASSANDRA_PASSWORD"):
        monkeypatch.delenv(f"TWEEKTREND_{name}", raising=False)
    return Settings.from_env()


def _kafka_configs(settings: Settings) -> dict[str, dict]:
    return {
        "consumer": consumer_config(settings, "w1"),
        "dead letters": dlq_config(settings),
        "producer": producer_config(settings),
        "any client": kafka_client_config(settings),
    }


def test_every_kafka_config_logs_in_with_scram_when_credentials_are_set(sasl):
    for name, config in _kafka_configs(sasl).items():
        assert config["bootstrap.servers"] == sasl.kafka_bootstrap, name
        assert {k: config[k] for k in SECURITY_KEYS} == {
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.username": "tweektrend", "sasl.password": SECRET}, name
    # the callers' own keys stay
    assert consumer_config(sasl, "w1")["group.id"] == sasl.consumer_group
    assert producer_config(sasl)["enable.idempotence"] is True


def test_kafka_configs_carry_no_security_keys_when_none_are_set(open_servers):
    for name, config in _kafka_configs(open_servers).items():
        assert not SECURITY_KEYS & set(config), name
        assert config["bootstrap.servers"] == open_servers.kafka_bootstrap


@pytest.mark.parametrize(("change", "says"), [
    ({"kafka_password": None}, "TWEEKTREND_KAFKA_PASSWORD"),
    ({"kafka_security_protocol": "PLAINTEXT"}, "SASL_PLAINTEXT or SASL_SSL"),
    ({"kafka_sasl_mechanism": "GSSAPI"}, "SCRAM-SHA-256"),
    ({"kafka_security_protocol": "TLS"}, "TWEEKTREND_KAFKA_SECURITY_PROTOCOL"),
])
def test_a_half_set_kafka_login_is_refused_with_what_to_set(sasl, change, says):
    with pytest.raises(ServiceUnavailable, match=says) as err:
        kafka_client_config(replace(sasl, **change))
    assert SECRET not in str(err.value)


def test_a_password_never_shows_in_a_config_repr_or_a_log_line(sasl, caplog):
    config = consumer_config(sasl, "w1")
    assert SECRET not in repr(config) and SECRET not in str(config)
    assert "'sasl.username': 'tweektrend'" in repr(config)  # the rest stays readable
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("consumer config %s", config)
    assert SECRET not in caplog.text and "***" in caplog.text
    assert SECRET not in repr(sasl)  # nor in the settings
    assert dict(config)["sasl.password"] == SECRET  # what librdkafka reads is the real one


def test_the_spark_kafka_source_logs_in_with_the_scram_login_module(sasl, open_servers):
    from tweektrend_dagster.analytics.live import kafka_source_options

    options = kafka_source_options(sasl)
    assert options["kafka.security.protocol"] == "SASL_PLAINTEXT"
    assert options["kafka.sasl.mechanism"] == "SCRAM-SHA-256"
    assert options["kafka.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="tweektrend" password="{SECRET}";')
    assert SECRET not in repr(options)
    assert kafka_source_options(open_servers) == {}
    quoted = spark_kafka_options(replace(sasl, kafka_password='a"b\\c'))
    assert 'password="a\\"b\\\\c";' in quoted["kafka.sasl.jaas.config"]


def test_the_live_query_reads_kafka_with_the_credentials(sasl, monkeypatch):
    """live_facts hands the login to Spark's Kafka source (a fake reader records options)."""
    from tweektrend_dagster.analytics import live

    seen: dict[str, str] = {}

    class Reader:
        def format(self, _):
            return self

        def option(self, key, value):
            seen[key] = value
            return self

        def options(self, **kv):
            seen.update(kv)
            return self

        def load(self):
            raise StopIteration  # the options are all this test needs

    class Spark:
        readStream = Reader()

    with pytest.raises(StopIteration):
        live.live_facts(Spark(), "broker:9092", "tweets")
    assert seen["kafka.sasl.mechanism"] == "SCRAM-SHA-256"
    assert f'password="{SECRET}"' in seen["kafka.sasl.jaas.config"]


def test_cassandra_logs_in_with_a_password_provider_only_when_a_user_is_set(
    sasl, open_servers, monkeypatch
):
    built: list[dict] = []

    class Cluster:
        def __init__(self, hosts, **kwargs):
            built.append(kwargs)

        def connect(self, keyspace):
            return "session"

    monkeypatch.setattr(clients, "Cluster", Cluster)
    clients.cassandra_session(sasl)
    clients.cassandra_session(open_servers)
    with_login, without = built
    assert with_login["auth_provider"].username == "tweektrend"
    assert with_login["auth_provider"].password == SECRET
    assert without["auth_provider"] is None
    assert cassandra_auth(None, None) is None
    with pytest.raises(ServiceUnavailable, match="TWEEKTREND_CASSANDRA_PASSWORD"):
        cassandra_auth("tweektrend", None)


def test_a_refused_cassandra_login_names_the_variables(sasl, monkeypatch):
    from cassandra import AuthenticationFailed
    from cassandra.cluster import NoHostAvailable

    class Cluster:
        def __init__(self, hosts, **kwargs):
            pass

        def connect(self, keyspace):
            raise NoHostAvailable("Unable to connect", {
                "127.0.0.1:9042": AuthenticationFailed("Provided username and/or password are "
                                                       "incorrect")})

        def shutdown(self):
            pass

    monkeypatch.setattr(clients, "Cluster", Cluster)
    with pytest.raises(ServiceUnavailable, match="refused the login.*CASSANDRA_PASSWORD"):
        clients.cassandra_session(sasl)


def test_the_spark_cassandra_connector_gets_the_login_when_set(sasl, open_servers):
    conf = spark_conf(sasl, jars=[])
    assert conf["spark.cassandra.auth.username"] == "tweektrend"
    assert conf["spark.cassandra.auth.password"] == SECRET
    assert not {k for k in spark_conf(open_servers, jars=[]) if "auth" in k}


def test_the_spark_connect_server_gets_the_password_in_a_private_file_not_its_argv(
    sasl, tmp_path
):
    from tweektrend_dagster.stack.servers import SparkConnect

    server = SparkConnect(replace(sasl, home=tmp_path / "home"))
    try:
        cmd, _ = server.command()
    except ServiceUnavailable as exc:  # no cached Spark Connect jars on this machine
        pytest.skip(str(exc))
    assert not any(SECRET in part for part in cmd)
    secret_file = Path(cmd[cmd.index("--properties-file") + 1])
    assert f"spark.cassandra.auth.password={SECRET}" in secret_file.read_text()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert "--conf" in cmd and "spark.cassandra.auth.username=tweektrend" in cmd


def test_the_resources_hand_the_credentials_over_as_env_vars(sasl):
    import dagster as dg

    from tweektrend_dagster.resources import CassandraResource, KafkaResource

    kafka = KafkaResource.from_settings(sasl)
    given = kafka._get_non_default_public_field_values()
    assert isinstance(given["sasl_password"], dg.EnvVar)  # the UI shows the variable's name
    assert given["sasl_password"] == "TWEEKTREND_KAFKA_PASSWORD"
    cassandra = CassandraResource.from_settings(sasl)
    assert isinstance(cassandra._get_non_default_public_field_values()["password"], dg.EnvVar)
    assert SECRET not in repr(kafka) and SECRET not in repr(cassandra)


def test_the_resources_carry_no_credentials_when_none_are_set(open_servers):
    from tweektrend_dagster.resources import CassandraResource, KafkaResource

    assert not SECURITY_KEYS & set(KafkaResource.from_settings(open_servers).client_config())
    assert CassandraResource.from_settings(open_servers).password is None


def test_the_resources_clients_log_in(sasl, monkeypatch):
    """What the resources build, once Dagster resolved the EnvVars (as in a run)."""
    from tweektrend_dagster.resources import CassandraResource, KafkaResource

    kafka = KafkaResource(bootstrap_servers="b:1", topic="t", consumer_group="g",
                          security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512",
                          sasl_username="u", sasl_password=SECRET)
    assert kafka.client_config()["sasl.mechanism"] == "SCRAM-SHA-512"
    assert kafka.client_config()["sasl.password"] == SECRET
    built: list = []
    monkeypatch.setattr("tweektrend_dagster.resources.servers.connect_cassandra",
                        lambda hosts, port, ks, auth: built.append(auth) or ("s", None))
    cassandra = CassandraResource(hosts="h", port=1, keyspace="k", username="u", password=SECRET)
    with pytest.raises(AttributeError):  # the fake cluster has no shutdown: connect is enough
        with cassandra.session():
            pass
    assert built[0].username == "u" and built[0].password == SECRET


def test_topics_progress_and_the_stack_probe_use_the_same_kafka_login(sasl, monkeypatch):
    made: list[dict] = []

    class Admin:
        def __init__(self, config):
            made.append(dict(config))

        def list_topics(self, *args, **kwargs):
            raise RuntimeError("no broker in a unit test")

    monkeypatch.setattr("tweektrend_dagster.ingest.kafka_topics.AdminClient", Admin)
    monkeypatch.setattr("confluent_kafka.admin.AdminClient", Admin)
    monkeypatch.setattr("tweektrend_dagster.ingest.progress.Consumer",
                        lambda config: made.append(dict(config)) or _raise())
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.ingest.progress import read_progress
    from tweektrend_dagster.stack.servers import Kafka

    with pytest.raises(RuntimeError):
        ensure_topics(sasl)
    with pytest.raises(RuntimeError):
        read_progress(_NoRows(), "broker:1", "tweets", "g")
    assert Kafka(sasl).probe() is None
    assert len(made) == 3
    for config in made:
        assert config["sasl.password"] == SECRET and config["sasl.username"] == "tweektrend"
    assert made[1]["bootstrap.servers"] == "broker:1"


def test_the_local_kafka_refuses_to_start_when_told_to_expect_sasl(sasl, tmp_path):
    from tweektrend_dagster.stack.servers import Kafka

    with pytest.raises(ServiceUnavailable, match="local stack's Kafka has no authentication"):
        Kafka(replace(sasl, home=tmp_path)).command()


class _NoRows:
    def execute(self, *args, **kwargs):
        return []


def _raise():
    raise RuntimeError("no broker in a unit test")


def test_client_config_is_a_plain_dict_to_the_client_libraries():
    from confluent_kafka import Producer

    producer = Producer(ClientConfig({"bootstrap.servers": "127.0.0.1:1"}))
    assert producer.flush(0) == 0


def test_an_unreachable_mongo_is_named_without_its_password():
    uri = "mongodb://tweektrend:s3cret-pw@127.0.0.1:1/?authSource=admin&connectTimeoutMS=200"
    assert clients.redact_uri(uri) == (
        "mongodb://tweektrend:***@127.0.0.1:1/?authSource=admin&connectTimeoutMS=200")
    assert clients.redact_uri("mongodb://127.0.0.1:27017") == "mongodb://127.0.0.1:27017"
    with pytest.raises(ServiceUnavailable) as err:
        clients.connect_mongo(uri + "&serverSelectionTimeoutMS=300", "db")
    assert "s3cret-pw" not in str(err.value) and "tweektrend:***@127.0.0.1:1" in str(err.value)
