"""Kafka in KRaft mode: one node (broker and controller), or a node of the cluster profile's
static quorum of three, each on its own loopback address with the same ports."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

from tweektrend_dagster.artifacts import build as artifacts
from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.clients import kafka_client_config
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.stack.server import TEMPLATES, Server, render


class Kafka(Server):
    title = "Kafka 4 (KRaft)"
    port_variable = "KAFKA"
    start_timeout = 90.0

    def __init__(self, settings: Settings, node: int | None = None):
        """`node`: 1, 2, 3 for a node of the cluster profile; None for the single node."""
        super().__init__(settings)
        self.node_id = node or 1
        if node is None:
            self.name, self.voters = "kafka", [(1, settings.host)]
        else:
            self.name = f"kafka-{node}"
            self.title = f"Kafka 4 (KRaft) node {node}"
            self.host = settings.cluster_hosts[node - 1]
            self.voters = list(enumerate(settings.cluster_hosts, start=1))

    def ports(self) -> dict[str, int]:
        return {
            "client": self.settings.kafka_port,
            "controller": self.settings.kafka_controller_port,
        }

    def address(self) -> str:
        return f"{self.host}:{self.settings.kafka_port}"

    def _cluster_id(self, java: str, classpath: str) -> str:
        """A fresh id for a single node; the cluster's nodes share one, made by the first."""
        shared = self.settings.home / "kafka-cluster-id"
        if len(self.voters) > 1 and shared.exists():
            return shared.read_text().strip()
        cluster_id = (
            subprocess.run(
                [java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                capture_output=True, text=True, check=True,
            ).stdout.strip().splitlines()[-1]
        )
        if len(self.voters) > 1:
            shared.parent.mkdir(parents=True, exist_ok=True)
            shared.write_text(cluster_id + "\n")
        return cluster_id

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        if s.kafka_security_protocol != "PLAINTEXT":
            raise ServiceUnavailable(
                f"TWEEKTREND_KAFKA_SECURITY_PROTOCOL is {s.kafka_security_protocol}, but the local "
                "stack's Kafka has no authentication (PLAINTEXT on 127.0.0.1). Unset it for the "
                "local stack, or run the compose stack (docker/compose.yml), which has SASL/SCRAM.")
        jars = artifacts.maven_jars("kafka", s.cache)
        data = self.dir / "data"
        replication = min(3, len(self.voters))
        props = render(
            "kafka.properties",
            self.dir / "server.properties",
            node_id=self.node_id,
            voters=",".join(f"{i}@{h}:{s.kafka_controller_port}" for i, h in self.voters),
            voter_count=len(self.voters),
            host=self.host,
            port=s.kafka_port,
            controller_port=s.kafka_controller_port,
            data=data,
            partitions=s.topic_partitions,
            replication=replication,
            min_isr=min(replication, max(1, s.min_insync_replicas)),
        )
        log4j = self.dir / "log4j2.properties"
        log4j.write_text((TEMPLATES / "kafka-log4j2.properties").read_text())
        java = tools.java()
        classpath = f"{jars}/*"
        if not (data / "meta.properties").exists():
            # KRaft storage is formatted exactly once
            fmt = subprocess.run(
                [java, "-cp", classpath, "kafka.tools.StorageTool", "format",
                 "-t", self._cluster_id(java, classpath), "-c", str(props)],
                capture_output=True, text=True,
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

    def controller_role(self) -> str:
        """From the node's own quorum state: whether it leads the KRaft quorum now."""
        try:
            state = json.loads((self.dir / "data" / "__cluster_metadata-0" / "quorum-state")
                               .read_text())
        except (OSError, ValueError):
            return "controller"
        return "active controller" if state.get("leaderId") == self.node_id else "controller"

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
        if self.node_id not in meta.brokers:
            return None  # it answers, but has not registered as a broker yet
        partitions = [p for t in meta.topics.values() for p in t.partitions.values()]
        leads = sum(p.leader == self.node_id for p in partitions)
        detail = (f"broker {self.node_id} of {len(meta.brokers)}, {self.controller_role()}, "
                  f"leads {leads} of {len(partitions)} partitions")
        behind = sum(len(p.isrs) < len(p.replicas) for p in partitions)
        return detail + (f", {behind} under-replicated" if behind else "")
