"""The three servers of the local stack: how each is configured, started and probed."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from string import Template

from tweektrend_dagster.config import Settings
from tweektrend_dagster.stack import artifacts, tools
from tweektrend_dagster.stack.errors import StackError

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
                raise StackError(
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
            admin = AdminClient(
                {
                    "bootstrap.servers": self.address(),
                    "log_level": 0,
                    "logger": logging.getLogger("kafka-probe"),
                }
            )
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


def all_servers(settings: Settings) -> list[Server]:
    return [Kafka(settings), Cassandra(settings), FerretDB(settings)]
