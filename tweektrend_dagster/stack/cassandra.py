"""Cassandra 5.0: one node, or a node of the cluster profile's ring of three on 127.0.0.1–3
(loopback addresses need no setup on Linux), each with the same ports."""

from __future__ import annotations

import time
from pathlib import Path

from tweektrend_dagster.artifacts import build as artifacts
from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.clients import cassandra_auth
from tweektrend_dagster.config import Settings
from tweektrend_dagster.stack.server import TEMPLATES, Server, render


class Cassandra(Server):
    title = "Cassandra 5.0"
    port_variable = "CASSANDRA"
    start_timeout = 180.0
    stop_timeout = 60.0

    def __init__(self, settings: Settings, node: int | None = None):
        """`node`: 1, 2, 3 for a node of the cluster profile (1 is the seed); None: one node."""
        super().__init__(settings)
        self.node = node
        self.nodes = len(settings.cluster_hosts) if node else 1
        if node is None:
            self.name, self.seed = "cassandra", settings.host
        else:
            self.name = f"cassandra-{node}"
            self.title = f"Cassandra 5.0 node {node}"
            self.host = settings.cluster_hosts[node - 1]
            self.seed = settings.cluster_hosts[0]
            if node > 1:
                self.start_after = ("cassandra-1",)  # a node joins through the seed

    def ports(self) -> dict[str, int]:
        return {
            "cql": self.settings.cassandra_port,
            "storage": self.settings.cassandra_storage_port,
        }

    def address(self) -> str:
        return f"{self.host}:{self.settings.cassandra_port}"

    def command(self) -> tuple[list[str], Path]:
        s = self.settings
        jars = artifacts.maven_jars("cassandra", s.cache)
        data = self.dir / "data"
        conf = render(
            "cassandra.yaml",
            self.dir / "cassandra.yaml",
            nodes=self.nodes,
            host=self.host,
            seed=self.seed,
            replication=min(3, self.nodes),
            auto_bootstrap="true" if data.exists() else "false",
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
        if self.nodes == 1:
            ring = ["-Dcassandra.ring_delay_ms=100"]  # a single node has no ring to wait for
        else:
            # nodes 2 and 3 join the seed at once (a fresh ring: no data moves)
            ring = ["-Dcassandra.ring_delay_ms=2000", "-Dcassandra.consistent.rangemovement=false"]
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
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            *ring,
            "-Dcassandra.superuser_setup_delay_ms=0",
            "-cp",
            f"{jars}/*",
            "org.apache.cassandra.service.CassandraDaemon",
        ]
        return cmd, self.dir

    def _cluster(self, hosts: list[str], only_these: bool):
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import WhiteListRoundRobinPolicy

        profiles = ({EXEC_PROFILE_DEFAULT: ExecutionProfile(
            load_balancing_policy=WhiteListRoundRobinPolicy(hosts))} if only_these else {})
        return Cluster(
            hosts,
            port=self.settings.cassandra_port,
            connect_timeout=2,
            control_connection_timeout=2,
            auth_provider=cassandra_auth(self.settings.cassandra_username,
                                         self.settings.cassandra_password),
            execution_profiles=profiles,
        )

    def probe(self) -> str | None:
        """This node answers a query of its own (a whitelist keeps the driver off its peers)."""
        cluster = self._cluster([self.host], only_these=True)
        try:
            session = cluster.connect()
            row = session.execute("SELECT release_version FROM system.local", timeout=5).one()
            return f"release {row.release_version}"
        except Exception:
            return None
        finally:
            cluster.shutdown()

    def health(self, running: bool) -> tuple[bool, str]:
        """A node of the ring also says whether the driver's metadata has it up (UN) or down
        (DN), which a client sees even when the node's own process is gone."""
        own = self.probe() if running else None
        if self.node is None:
            return bool(own), own or ""
        ring = ring_view(self)
        words = [own] if own else []
        if ring:
            up = sum(1 for state in ring.values() if state)
            seen = "UN" if ring.get(self.host) else "DN"
            words.insert(0, f"{seen} in the driver's metadata ({up} of {len(ring)} nodes up)")
        return bool(own), ", ".join(words)


# one driver's view of the ring per `stack status`: the nodes' rows ask within a few seconds
_RING_CACHE: dict[tuple[str, ...], tuple[float, dict[str, bool | None]]] = {}


def ring_view(node: Cassandra) -> dict[str, bool | None]:
    """{address: up} of every node, as the driver's metadata has it after connecting to the
    cluster through any node that answers ({} when none does)."""
    hosts = list(node.settings.cluster_hosts)
    key = tuple(hosts)
    cached = _RING_CACHE.get(key)
    if cached and time.monotonic() - cached[0] < 5:
        return cached[1]
    cluster = node._cluster(hosts, only_these=False)
    try:
        cluster.connect()  # opens a pool to every node it learns of; a node that fails is down
        view = {h.address: h.is_up for h in cluster.metadata.all_hosts()}
    except Exception:
        view = {}
    finally:
        cluster.shutdown()
    _RING_CACHE[key] = (time.monotonic(), view)
    return view
