"""The four servers of the local stack: how each is configured, started and probed."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from string import Template

from tweektrend_dagster.artifacts import build as artifacts
from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.clients import cassandra_auth, kafka_client_config
from tweektrend_dagster.config import Settings, spark_conf
from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.stack.app import python_bin

TEMPLATES = Path(__file__).parent / "templates"


def _render(template: str, target: Path, **values: object) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    text = Template((TEMPLATES / template).read_text()).substitute(**values)
    target.write_text(text)
    return target


class Server:
    name: str = ""
    title: str = ""
    start_timeout: float = 120.0
    stop_timeout: float = 30.0

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.home / self.name

    def ports(self) -> dict[str, int]:
        raise NotImplementedError

    def address(self) -> str:
        raise NotImplementedError

    def command(self) -> tuple[list[str], Path]:
        """Fetch what is missing, write the config and return (argv, working directory)."""
        raise NotImplementedError

    def probe(self) -> str | None:
        """A short description (its version) when the server answers a real request, else None."""
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """Environment variables the server process needs besides the launcher's own."""
        return {}


class Kafka(Server):
    name = "kafka"
    title = "Kafka 4 (KRaft)"
    start_timeout = 90.0

    def ports(self) -> dict[str, int]:
        return {
            "client": self.settings.kafka_port,
            "controller": self.settings.kafka_controller_port,
        }

    def address(self) -> str:
        return f"{self.settings.host}:{self.settings.kafka_port}"

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        if s.kafka_security_protocol != "PLAINTEXT":
            raise ServiceUnavailable(
                f"TWEEKTREND_KAFKA_SECURITY_PROTOCOL is {s.kafka_security_protocol}, but the local "
                "stack's Kafka has no authentication (PLAINTEXT on 127.0.0.1). Unset it for the "
                "local stack, or run the compose stack (docker/compose.yml), which has SASL/SCRAM.")
        jars = artifacts.maven_jars("kafka", s.cache)
        data = self.dir / "data"
        props = _render(
            "kafka.properties",
            self.dir / "server.properties",
            host=s.host,
            port=s.kafka_port,
            controller_port=s.kafka_controller_port,
            data=data,
            partitions=s.topic_partitions,
        )
        log4j = self.dir / "log4j2.properties"
        log4j.write_text((TEMPLATES / "kafka-log4j2.properties").read_text())
        java = tools.java()
        classpath = f"{jars}/*"
        if not (data / "meta.properties").exists():
            # KRaft storage is formatted exactly once, with a fresh cluster id
            cluster_id = (
                subprocess.run(
                    [java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            fmt = subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(props),
                ],
                capture_output=True,
                text=True,
            )
            if fmt.returncode != 0:
                raise ServiceUnavailable(
                    f"Formatting Kafka storage in {data} failed:\n{fmt.stdout}{fmt.stderr}"
                )
        cmd = [
            java,
            f"-Xms{s.kafka_heap}",
            f"-Xmx{s.kafka_heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(props),
        ]
        return cmd, self.dir

    def probe(self) -> str | None:
        from confluent_kafka.admin import AdminClient

        try:
            admin = AdminClient(kafka_client_config(self.settings, **{
                "bootstrap.servers": self.address(),
                "log_level": 0,
                "logger": logging.getLogger("kafka-probe"),
            }))
            meta = admin.list_topics(timeout=2)
        except Exception:
            return None
        return f"{len(meta.brokers)} broker(s)" if meta.brokers else None


class Cassandra(Server):
    name = "cassandra"
    title = "Cassandra 5.0"
    start_timeout = 180.0
    stop_timeout = 60.0

    def ports(self) -> dict[str, int]:
        return {
            "cql": self.settings.cassandra_port,
            "storage": self.settings.cassandra_storage_port,
        }

    def address(self) -> str:
        return f"{self.settings.host}:{self.settings.cassandra_port}"

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        jars = artifacts.maven_jars("cassandra", s.cache)
        data = self.dir / "data"
        conf = _render(
            "cassandra.yaml",
            self.dir / "cassandra.yaml",
            host=s.host,
            storage_port=s.cassandra_storage_port,
            native_port=s.cassandra_port,
            data=data,
        )
        logback = self.dir / "logback.xml"
        logback.write_text((TEMPLATES / "logback.xml").read_text())
        jvm_options = [
            line.strip()
            for line in (TEMPLATES / "jvm17-cassandra.options").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        jamm = next(jars.glob("jamm-*.jar"))
        heap = s.cassandra_heap
        cmd = [
            tools.java(),
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *" ".join(jvm_options).split(),
            f"-javaagent:{jamm}",
            f"-Dcassandra.config=file://{conf}",
            f"-Dlogback.configurationFile={logback}",
            "-Dcassandra-foreground=yes",
            f"-Dcassandra.storagedir={data}",
            f"-Dcassandra.logdir={self.dir}",
            # a single node has no ring to wait for
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            "-Dcassandra.ring_delay_ms=100",
            "-Dcassandra.superuser_setup_delay_ms=0",
            "-cp",
            f"{jars}/*",
            "org.apache.cassandra.service.CassandraDaemon",
        ]
        return cmd, self.dir

    def probe(self) -> str | None:
        from cassandra.cluster import Cluster, NoHostAvailable

        cluster = Cluster(
            [self.settings.host],
            port=self.settings.cassandra_port,
            connect_timeout=2,
            control_connection_timeout=2,
            auth_provider=cassandra_auth(self.settings.cassandra_username,
                                         self.settings.cassandra_password),
        )
        try:
            session = cluster.connect()
            row = session.execute("SELECT release_version FROM system.local", timeout=5).one()
            return f"release {row.release_version}"
        except (NoHostAvailable, Exception):
            return None
        finally:
            cluster.shutdown()


class FerretDB(Server):
    name = "ferretdb"
    title = "FerretDB 1.24 (MongoDB wire protocol, SQLite)"
    start_timeout = 60.0

    def ports(self) -> dict[str, int]:
        return {"mongodb": self.settings.mongo_port}

    def address(self) -> str:
        return f"mongodb://{self.settings.host}:{self.settings.mongo_port}/"

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        binary = artifacts.ferretdb_binary(s.cache)
        cmd = [
            str(binary),
            "--listen-addr",
            f"{s.host}:{s.mongo_port}",
            "--sqlite-dir",
            str(self.dir / "data"),
            "--log-level",
            "warn",
        ]
        return cmd, self.dir

    def probe(self) -> str | None:
        import pymongo

        client = pymongo.MongoClient(
            self.address(), serverSelectionTimeoutMS=1500, connectTimeoutMS=1500
        )
        try:
            client.admin.command("ping")
            return f"MongoDB {client.server_info().get('version', '?')} compatible"
        except Exception:
            return None
        finally:
            client.close()


class SparkConnect(Server):
    """One long-lived Spark driver that every Dagster run attaches to over Spark Connect, so no
    run pays a JVM and Spark start, and Python workers (each with its Kiwi) stay warm between
    runs. Its executors run where TWEEKTREND_SPARK_MASTER says (local[*] here)."""

    name = "spark"
    title = "Spark 3.5 (Connect server)"
    start_timeout = 120.0

    def ports(self) -> dict[str, int]:
        return {"connect": self.settings.spark_connect_port}

    def address(self) -> str:
        return f"sc://{self.settings.host}:{self.settings.spark_connect_port}"

    def _spark_home(self) -> Path:
        import pyspark

        return Path(pyspark.__file__).parent

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        connect_jar, interceptor = artifacts.spark_connect_jars(s.cache)
        connector = sorted(str(p) for p in artifacts.maven_jars("spark", s.cache).glob("*.jar"))
        log4j = self.dir / "log4j2.properties"
        log4j.parent.mkdir(parents=True, exist_ok=True)
        log4j.write_text((TEMPLATES / "spark-log4j2.properties").read_text())
        pools = self.dir / "fairscheduler.xml"
        pools.write_text((TEMPLATES / "spark-fairscheduler.xml").read_text())
        conf = spark_conf(s, connector, s.spark_master, driver_memory=s.spark_memory, extra={
            "spark.app.name": "tweektrend-spark-connect",
            "spark.connect.grpc.binding.port": str(s.spark_connect_port),
            "spark.connect.grpc.interceptor.classes":
                "io.tweektrend.spark.LoopbackOnlyInterceptor",
            # read by the analytics code (a Connect client has no SparkContext to ask)
            **_local_cores(s.spark_master),
            # runs share the server: jobs running at once (an import, today's refresh) share
            # its cores instead of queueing behind each other
            "spark.scheduler.mode": "FAIR",
            "spark.scheduler.allocation.file": f"file:{pools}",
            "spark.local.dir": str(self.dir / "tmp"),
            "spark.sql.warehouse.dir": str(self.dir / "warehouse"),
        })
        memory = conf.pop("spark.driver.memory")
        # a secret on the command line is readable by every local user (ps, /proc) and lands in
        # the log's start line: it goes in a file only we can read
        secrets = {k: conf.pop(k) for k in list(conf) if "password" in k.lower()}
        cmd = [
            str(self._spark_home() / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--name", "tweektrend-spark-connect",
            "--driver-memory", memory,
            # on the JVM's own class path: the interceptor must see the server's shaded gRPC
            "--driver-class-path", f"{connect_jar}:{interceptor}",
            "--driver-java-options", f"-Dlog4j2.configurationFile=file:{log4j}",
        ]
        if secrets:
            cmd += ["--properties-file", str(_private_properties(self.dir / "secret.conf",
                                                                 secrets))]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        # spark-submit wants an application resource; the server class lives in --jars
        cmd.append("spark-internal")
        return cmd, self.dir

    def env(self) -> dict[str, str]:
        return {
            "SPARK_HOME": str(self._spark_home()),
            "JAVA_HOME": str(Path(tools.java()).parents[1]),
            # Python workers (tokenising, keyword matching) run this environment's interpreter
            "PYSPARK_PYTHON": python_bin(self.settings),
            "TWEEKTREND_HOME": str(self.settings.home),
        }

    def probe(self) -> str | None:
        import socket

        from pyspark.sql import SparkSession

        try:  # a closed port first: the Connect client would retry it for minutes
            socket.create_connection((self.settings.host, self.settings.spark_connect_port),
                                     timeout=2).close()
            session = SparkSession.builder.remote(self.address()).create()
        except Exception:
            return None
        try:
            return f"Spark {session.version}, master {self.settings.spark_master}"
        except Exception:
            return None
        finally:
            session.stop()


def _private_properties(path: Path, properties: dict[str, str]) -> Path:
    """A Java properties file readable by this user only (created so, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        for key, value in properties.items():
            escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
            out.write(f"{key}={escaped}\n")
    return path


def _local_cores(master: str) -> dict[str, str]:
    """spark.default.parallelism of a local master (local[4] → 4, local[*] → this machine's
    cores); a cluster master sets its own."""
    import re

    match = re.fullmatch(r"local\[(\d+|\*)\]", master)
    if not match:
        return {}
    cores = (os.cpu_count() or 2) if match.group(1) == "*" else int(match.group(1))
    return {"spark.default.parallelism": str(cores)}


def all_servers(settings: Settings) -> list[Server]:
    return [Kafka(settings), Cassandra(settings), FerretDB(settings), SparkConnect(settings)]
