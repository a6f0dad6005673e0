"""The servers of the local stack: how each is configured, started and probed.

The single profile runs one node of each; the cluster profile (`stack up --cluster`) runs three
Kafka brokers, three Cassandra nodes and a Spark master with its workers (all_servers below).
"""

from __future__ import annotations

import os
from pathlib import Path

from tweektrend_dagster.artifacts import build as artifacts
from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.config import Settings, spark_conf
from tweektrend_dagster.stack.app import python_bin
from tweektrend_dagster.stack.cassandra import Cassandra
from tweektrend_dagster.stack.kafka import Kafka
from tweektrend_dagster.stack.server import TEMPLATES, Server
from tweektrend_dagster.stack.spark_standalone import SparkMaster, SparkWorker, spark_home

__all__ = ["Cassandra", "FerretDB", "Kafka", "Server", "SparkConnect", "all_servers"]


class FerretDB(Server):
    name = "ferretdb"
    title = "FerretDB 1.24 (MongoDB wire protocol, SQLite)"
    port_variable = "MONGO"
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
    port_variable = "SPARK_CONNECT"
    start_timeout = 120.0

    def __init__(self, settings: Settings):
        super().__init__(settings)
        if settings.cluster and settings.spark_master.startswith("spark://"):
            self.start_after = ("spark-master",)  # its driver registers with the master

    def ports(self) -> dict[str, int]:
        return {"connect": self.settings.spark_connect_port}

    def address(self) -> str:
        return f"sc://{self.settings.host}:{self.settings.spark_connect_port}"

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        connect_jar, interceptor = artifacts.spark_connect_jars(s.cache)
        connector = sorted(str(p) for p in artifacts.maven_jars("spark", s.cache).glob("*.jar"))
        log4j = self.dir / "log4j2.properties"
        log4j.parent.mkdir(parents=True, exist_ok=True)
        log4j.write_text((TEMPLATES / "spark-log4j2.properties").read_text())
        pools = self.dir / "fairscheduler.xml"
        pools.write_text((TEMPLATES / "spark-fairscheduler.xml").read_text())
        if s.spark_master.startswith("spark://"):
            # executors deserialize the Connect planner's functions: they need its classes too
            connector.append(str(connect_jar))
        conf = spark_conf(s, connector, s.spark_master, driver_memory=s.spark_memory, extra={
            "spark.app.name": "tweektrend-spark-connect",
            "spark.connect.grpc.binding.port": str(s.spark_connect_port),
            "spark.connect.grpc.interceptor.classes":
                "io.tweektrend.spark.LoopbackOnlyInterceptor",
            # read by the analytics code (a Connect client has no SparkContext to ask)
            **_local_cores(s.spark_master),
            **_standalone(s),
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
            str(spark_home() / "bin" / "spark-submit"),
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
            "SPARK_HOME": str(spark_home()),
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


def _standalone(settings: Settings) -> dict[str, str]:
    """Executors on a spark:// master: one per worker with the worker's cores; the cluster
    profile's executors reach the driver on the loopback address it listens on."""
    if not settings.spark_master.startswith("spark://"):
        return {}
    conf = {"spark.executor.memory": settings.spark_executor_memory}
    if settings.cluster:
        conf |= {"spark.executor.cores": str(settings.spark_worker_cores),
                 "spark.driver.host": settings.host, "spark.driver.bindAddress": settings.host}
    return conf


def all_servers(settings: Settings) -> list[Server]:
    if not settings.cluster:
        return [Kafka(settings), Cassandra(settings), FerretDB(settings), SparkConnect(settings)]
    nodes = range(1, len(settings.cluster_hosts) + 1)
    return [
        *(Kafka(settings, node) for node in nodes),
        *(Cassandra(settings, node) for node in nodes),
        FerretDB(settings),
        SparkMaster(settings),
        *(SparkWorker(settings, n) for n in range(1, settings.spark_workers + 1)),
        SparkConnect(settings),
    ]
