"""The cluster profile's settings, node configurations and start order (no server started)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tweektrend_dagster.config import Settings, profile_file
from tweektrend_dagster.stack import cassandra as cassandra_module
from tweektrend_dagster.stack import kafka as kafka_module
from tweektrend_dagster.stack.cassandra import Cassandra
from tweektrend_dagster.stack.kafka import Kafka
from tweektrend_dagster.stack.launcher import Stack
from tweektrend_dagster.stack.servers import SparkConnect, _standalone, all_servers
from tweektrend_dagster.stack.spark_standalone import SparkWorker

CLUSTER_VARIABLES = ("PROFILE", "REPLICATION_FACTOR", "TOPIC_REPLICATION_FACTOR",
                     "SPARK_MASTER_PORT",
                     "MIN_INSYNC_REPLICAS", "SPARK_MASTER", "KAFKA_BOOTSTRAP",
                     "CASSANDRA_HOSTS", "CLUSTER_HOSTS")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in CLUSTER_VARIABLES:
        monkeypatch.delenv(f"TWEEKTREND_{name}", raising=False)
    monkeypatch.setenv("TWEEKTREND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TWEEKTREND_KAFKA_PORT", "9092")
    monkeypatch.setenv("TWEEKTREND_CASSANDRA_PORT", "9042")
    return monkeypatch


def test_the_cluster_profile_points_every_client_at_three_nodes_with_three_replicas(clean_env):
    clean_env.setenv("TWEEKTREND_PROFILE", "cluster")
    s = Settings.from_env()
    assert s.cluster
    assert s.kafka_bootstrap == "127.0.0.1:9092,127.0.0.2:9092,127.0.0.3:9092"
    assert s.cassandra_hosts == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert (s.replication_factor, s.topic_replication_factor, s.min_insync_replicas) == (3, 3, 2)
    assert s.spark_master == "spark://127.0.0.1:7077"
    # children started by the launcher read the same profile
    assert s.as_env()["TWEEKTREND_PROFILE"] == "cluster"


def test_single_is_the_default_and_explicit_addresses_win(clean_env):
    s = Settings.from_env()
    assert not s.cluster
    assert (s.kafka_bootstrap, s.cassandra_hosts) == ("127.0.0.1:9092", ["127.0.0.1"])
    assert (s.replication_factor, s.topic_replication_factor, s.spark_master) == (
        1, 1, "local[*]")
    clean_env.setenv("TWEEKTREND_PROFILE", "cluster")
    clean_env.setenv("TWEEKTREND_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    clean_env.setenv("TWEEKTREND_CASSANDRA_HOSTS", "c1,c2")
    clean_env.setenv("TWEEKTREND_REPLICATION_FACTOR", "5")
    s = Settings.from_env()
    assert (s.kafka_bootstrap, s.cassandra_hosts, s.replication_factor) == (
        "k1:9092,k2:9092", ["c1", "c2"], 5)


def test_the_choice_kept_in_the_data_directory_is_read_and_a_wrong_one_named(clean_env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    profile_file(home).write_text("cluster\n")
    assert Settings.from_env().cluster
    clean_env.setenv("TWEEKTREND_PROFILE", "clustr")
    with pytest.raises(ValueError, match="'clustr' is not one of single, cluster"):
        Settings.from_env()


def test_choosing_a_profile_is_kept_and_an_environment_choice_is_not_overridden(clean_env):
    from tweektrend_dagster.contracts.errors import ServiceUnavailable
    from tweektrend_dagster.local_stack import choose_profile

    settings = Settings.from_env()
    choose_profile(settings, "cluster")  # nothing of the single stack runs here
    assert Settings.from_env().cluster
    clean_env.setenv("TWEEKTREND_PROFILE", "cluster")
    with pytest.raises(ServiceUnavailable, match="TWEEKTREND_PROFILE is cluster"):
        choose_profile(Settings.from_env(), "single")


def _cluster(tmp_path) -> Settings:
    return replace(Settings.from_env(), home=tmp_path / "home", profile="cluster",
                   replication_factor=3, topic_replication_factor=3, min_insync_replicas=2,
                   kafka_port=9092, kafka_controller_port=9093, cassandra_port=9042,
                   cassandra_storage_port=7000, spark_master="spark://127.0.0.1:7077")


def test_the_cluster_is_three_brokers_three_nodes_a_master_and_its_workers(tmp_path):
    servers = all_servers(_cluster(tmp_path))
    assert [s.name for s in servers] == [
        "kafka-1", "kafka-2", "kafka-3", "cassandra-1", "cassandra-2", "cassandra-3",
        "ferretdb", "spark-master", "spark-worker-1", "spark-worker-2", "spark"]
    hosts = {s.name: s.host for s in servers}
    assert [hosts[f"kafka-{i}"] for i in (1, 2, 3)] == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert [hosts[f"cassandra-{i}"] for i in (1, 2, 3)] == [
        "127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert (hosts["spark-worker-1"], hosts["spark-worker-2"]) == ("127.0.0.2", "127.0.0.3")
    waits = {s.name: s.start_after for s in servers if s.start_after}
    assert waits == {"cassandra-2": ("cassandra-1",), "cassandra-3": ("cassandra-1",),
                     "spark-worker-1": ("spark-master",), "spark-worker-2": ("spark-master",),
                     "spark": ("spark-master",)}
    assert [s.name for s in all_servers(replace(_cluster(tmp_path), profile="single"))] == [
        "kafka", "cassandra", "ferretdb", "spark"]


@pytest.fixture
def fake_jars(monkeypatch, tmp_path):
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "jamm-0.4.0.jar").write_text("")
    for module in (kafka_module, cassandra_module):
        monkeypatch.setattr(module.artifacts, "maven_jars", lambda *a, **k: jars)
        monkeypatch.setattr(module.tools, "java", lambda: "/usr/bin/java")
    return jars


def _properties(path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if line and not line.startswith("#"))


def test_a_kafka_node_is_one_of_a_static_quorum_of_three_with_replicated_topics(
        tmp_path, fake_jars):
    node = Kafka(_cluster(tmp_path), 2)
    (node.dir / "data").mkdir(parents=True)
    (node.dir / "data" / "meta.properties").write_text("formatted")  # no format run here
    cmd, cwd = node.command()
    props = _properties(node.dir / "server.properties")
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:9093,2@127.0.0.2:9093,3@127.0.0.3:9093")
    assert props["listeners"] == "PLAINTEXT://127.0.0.2:9092,CONTROLLER://127.0.0.2:9093"
    assert props["default.replication.factor"] == "3"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert cwd == node.dir and cmd[-1] == str(node.dir / "server.properties")
    single = Kafka(replace(_cluster(tmp_path), profile="single", home=tmp_path / "one",
                           min_insync_replicas=1))
    (single.dir / "data").mkdir(parents=True)
    (single.dir / "data" / "meta.properties").write_text("formatted")
    single.command()
    one = _properties(single.dir / "server.properties")
    assert one["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert one["min.insync.replicas"] == one["default.replication.factor"] == "1"


def test_the_kafka_nodes_read_their_role_from_the_quorum_state(tmp_path):
    node = Kafka(_cluster(tmp_path), 3)
    assert node.controller_role() == "controller"  # no state yet
    state = node.dir / "data" / "__cluster_metadata-0" / "quorum-state"
    state.parent.mkdir(parents=True)
    state.write_text('{"leaderId":3,"leaderEpoch":4,"votedId":-1,"data_version":0}')
    assert node.controller_role() == "active controller"
    state.write_text('{"leaderId":1,"leaderEpoch":5}')
    assert node.controller_role() == "controller"


def test_a_cassandra_node_joins_the_seed_on_its_own_address(tmp_path, fake_jars):
    node = Cassandra(_cluster(tmp_path), 3)
    cmd, _ = node.command()
    conf = (node.dir / "cassandra.yaml").read_text()
    assert "listen_address: 127.0.0.3" in conf and "rpc_address: 127.0.0.3" in conf
    assert 'seeds: "127.0.0.1:7000"' in conf
    assert "allocate_tokens_for_local_replication_factor: 3" in conf
    assert "auto_bootstrap: false" in conf  # a fresh ring: nothing to stream
    assert "-Dcassandra.consistent.rangemovement=false" in cmd
    (node.dir / "data").mkdir(parents=True)
    node.command()  # started before: it has data, and would stream what it lacks
    assert "auto_bootstrap: true" in (node.dir / "cassandra.yaml").read_text()


def test_executors_on_the_clusters_workers_reach_the_driver_on_loopback(tmp_path):
    conf = _standalone(_cluster(tmp_path))
    assert conf == {"spark.executor.memory": "1536m", "spark.executor.cores": "1",
                    "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
    assert _standalone(replace(_cluster(tmp_path), spark_master="local[*]")) == {}
    elsewhere = replace(_cluster(tmp_path), profile="single", spark_master="spark://m:7077")
    assert _standalone(elsewhere) == {"spark.executor.memory": "1536m"}
    assert SparkConnect(elsewhere).start_after == ()  # not our master to wait for


def test_a_worker_says_what_the_master_knows_of_it(tmp_path, monkeypatch):
    from tweektrend_dagster.stack import spark_standalone

    worker = SparkWorker(_cluster(tmp_path), 1)
    state = {"status": "ALIVE", "workers": [
        {"host": "127.0.0.2", "state": "DEAD", "cores": 1, "coresused": 0, "memory": 2048},
        {"host": "127.0.0.3", "state": "ALIVE", "cores": 1, "coresused": 1, "memory": 2048},
    ]}
    monkeypatch.setattr(spark_standalone, "master_state", lambda settings: state)
    assert worker.probe() is None
    assert worker.health(running=False) == (False, "DEAD at the master")
    state["workers"].append(
        {"host": "127.0.0.2", "state": "ALIVE", "cores": 1, "coresused": 1, "memory": 2048})
    assert worker.health(running=True) == (
        True, "ALIVE at the master, 1 core(s) (1 in use), 2048 MiB")


class _Fake:
    def __init__(self, name: str, after: tuple[str, ...] = ()):
        self.name, self.title, self.start_after = name, name, after


def test_a_server_waiting_for_another_starts_once_that_one_answers(tmp_path):
    stack = Stack(replace(Settings.from_env(), home=tmp_path), echo=lambda line: None)
    stack.servers = [_Fake("seed"), _Fake("joiner", ("seed",)), _Fake("other"),
                     _Fake("driver", ("master",)), _Fake("master")]
    events: list[str] = []
    stack._needs_start = lambda server: server.name != "master"  # the master already runs
    stack._start = lambda server: events.append(f"start {server.name}")
    stack._wait_ready = lambda server: events.append(f"ready {server.name}")
    stack.up_servers()
    # everything free starts at once; the joiner after the seed answers; the driver's master
    # was running already
    assert events[:3] == ["start seed", "start other", "start driver"]
    assert events.index("ready seed") < events.index("start joiner")
    assert sorted(e for e in events if e.startswith("ready")) == [
        "ready driver", "ready joiner", "ready other", "ready seed"]


class _Topic:
    def __init__(self, replicas: int):
        partition = type("P", (), {"replicas": list(range(replicas))})()
        self.partitions = {0: partition}


class _Admin:
    """list_topics and create_topics as confluent-kafka's AdminClient answers them."""

    def __init__(self, existing: dict[str, _Topic]):
        self.existing, self.created = existing, []

    def list_topics(self, timeout):
        return type("Meta", (), {"topics": self.existing})()

    def create_topics(self, topics):
        from concurrent.futures import Future

        self.created += topics
        done = {}
        for topic in topics:
            done[topic.topic] = Future()
            done[topic.topic].set_result(None)
        return done


def test_topics_are_made_with_the_replicas_a_write_waits_for_and_fewer_are_named(tmp_path):
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics

    settings = replace(_cluster(tmp_path), topic_partitions=1)
    admin = _Admin({"tweets": _Topic(1)})  # made by a single node before
    lines = ensure_topics(settings, admin)
    assert {(t.topic, t.replication_factor, t.config["min.insync.replicas"])
            for t in admin.created} == {("tweets.dlq", 3, "2"), ("tweets.events", 3, "2")}
    assert ("topic tweets has 1 replica(s), 3 wanted: reassign its partitions with "
            "kafka-reassign-partitions") in lines
