"""The Spark resource's answer when the Spark Connect server it attaches to is not running."""

from __future__ import annotations

import socket

import pytest

from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.resources.spark import connect_session


def test_a_spark_server_that_is_not_there_is_named_with_how_to_start_it():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServiceUnavailable) as error:
        connect_session(f"sc://127.0.0.1:{port}")
    message = str(error.value)
    assert f"Spark Connect server at sc://127.0.0.1:{port}" in message
    assert "tweektrend stack up" in message and "TWEEKTREND_SPARK_REMOTE" in message
