"""docker/compose.yml publishes its unauthenticated servers on the loopback address only."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker" / "compose.yml"


def test_every_published_port_is_bound_to_127_0_0_1():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    published = {
        (name, str(mapping))
        for name, service in services.items()
        for mapping in service.get("ports", [])
    }
    assert {name for name, _ in published} >= {"kafka", "cassandra", "mongo", "spark"}
    open_ports = sorted(item for item in published if not item[1].startswith("127.0.0.1:"))
    assert not open_ports, f"published on every interface: {open_ports}"


def test_the_file_says_what_it_protects_and_what_not():
    head = COMPOSE.read_text().split("\nname:")[0].lower()
    assert "requires a login" in head and "127.0.0.1" in head
    assert "no authentication" in head  # the optional Spark master's, said plainly
