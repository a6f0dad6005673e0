"""Spark's standalone cluster manager for the cluster profile: a master and its workers, each
on its own loopback address. The Spark Connect server (servers.SparkConnect) is the driver
every Dagster run attaches to; with `spark://` as its master, its executors run on these."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.config import Settings
from tweektrend_dagster.stack.app import python_bin
from tweektrend_dagster.stack.server import TEMPLATES, Server


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def master_state(settings: Settings) -> dict | None:
    """The master's own JSON (its status and every worker it knows); None when it is away."""
    url = f"http://{settings.cluster_hosts[0]}:{settings.spark_master_ui_port}/json/"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


class _Daemon(Server):
    """A process started with `spark-class`, logging to the launcher's log file."""

    main_class = ""
    port_variable = "SPARK_MASTER"
    start_timeout = 60.0

    def arguments(self) -> list[str]:
        raise NotImplementedError

    def command(self) -> tuple[list[str], Path]:
        log4j = self.dir / "log4j2.properties"
        log4j.parent.mkdir(parents=True, exist_ok=True)
        log4j.write_text((TEMPLATES / "spark-log4j2.properties").read_text())
        return [str(spark_home() / "bin" / "spark-class"), self.main_class,
                *self.arguments()], self.dir

    def env(self) -> dict[str, str]:
        return {
            "SPARK_HOME": str(spark_home()),
            "SPARK_CONF_DIR": str(self.dir),  # no spark-env.sh from elsewhere
            "JAVA_HOME": str(Path(tools.java()).parents[1]),
            "SPARK_DAEMON_MEMORY": "512m",
            "SPARK_DAEMON_JAVA_OPTS":
                f"-Dlog4j2.configurationFile=file:{self.dir / 'log4j2.properties'}",
            "SPARK_LOCAL_IP": self.host,
            "SPARK_LOCAL_DIRS": str(self.dir / "tmp"),
        }


class SparkMaster(_Daemon):
    name = "spark-master"
    title = "Spark 3.5 standalone master"
    main_class = "org.apache.spark.deploy.master.Master"

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.host = settings.cluster_hosts[0]

    def ports(self) -> dict[str, int]:
        return {"master": self.settings.spark_master_port,
                "web UI": self.settings.spark_master_ui_port}

    def address(self) -> str:
        return f"spark://{self.host}:{self.settings.spark_master_port}"

    def arguments(self) -> list[str]:
        return ["--host", self.host, "--port", str(self.settings.spark_master_port),
                "--webui-port", str(self.settings.spark_master_ui_port)]

    def probe(self) -> str | None:
        state = master_state(self.settings)
        if not state or state.get("status") != "ALIVE":
            return None
        return (f"ALIVE, {state.get('aliveworkers', 0)} worker(s) alive, "
                f"{state.get('cores', 0)} cores, web UI http://{self.host}:"
                f"{self.settings.spark_master_ui_port}")


class SparkWorker(_Daemon):
    title = "Spark 3.5 worker"
    main_class = "org.apache.spark.deploy.worker.Worker"
    start_after = ("spark-master",)

    def __init__(self, settings: Settings, number: int):
        super().__init__(settings)
        self.number = number
        self.name = f"spark-worker-{number}"
        self.title = f"Spark 3.5 worker {number}"
        # worker 1 on the second address, worker 2 on the third: the master has the first
        self.host = settings.cluster_hosts[number % len(settings.cluster_hosts)]

    def ports(self) -> dict[str, int]:
        return {"web UI": self.settings.spark_master_ui_port + self.number}

    def address(self) -> str:
        return f"http://{self.host}:{self.settings.spark_master_ui_port + self.number}"

    def arguments(self) -> list[str]:
        s = self.settings
        return ["--host", self.host, "--webui-port", str(s.spark_master_ui_port + self.number),
                "--cores", str(s.spark_worker_cores), "--memory", s.spark_worker_memory,
                "--work-dir", str(self.dir / "work"),
                f"spark://{s.cluster_hosts[0]}:{s.spark_master_port}"]

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            # executors inherit the worker's environment: their Python workers run this venv
            "PYSPARK_PYTHON": python_bin(self.settings),
            "TWEEKTREND_HOME": str(self.settings.home),
            # an application's files go when it ends, not at the next start
            "SPARK_WORKER_OPTS": "-Dspark.worker.cleanup.enabled=true",
        }

    def _registered(self) -> dict | None:
        """This worker's newest entry at the master (a restarted worker registers anew)."""
        state = master_state(self.settings) or {}
        mine = [w for w in state.get("workers", []) if w.get("host") == self.host]
        alive = [w for w in mine if w.get("state") == "ALIVE"]
        return (alive or mine or [None])[-1]

    def probe(self) -> str | None:
        worker = self._registered()
        if not worker or worker.get("state") != "ALIVE":
            return None
        return (f"ALIVE at the master, {worker.get('cores')} core(s) "
                f"({worker.get('coresused', 0)} in use), {worker.get('memory')} MiB")

    def health(self, running: bool) -> tuple[bool, str]:
        own = self.probe() if running else None
        if own:
            return True, own
        worker = self._registered()
        return False, f"{worker['state']} at the master" if worker else ""
