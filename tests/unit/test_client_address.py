"""The client address behind reverse proxies (streamlit_app/auth/proxies.py): the right-most
X-Forwarded-For hop that is not a trusted proxy, only when the peer is a trusted proxy; and the
dashboard's door to it (data.client_address over TWEEKTREND_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest

from streamlit_app.auth.proxies import (
    client_address,
    forwarded_hops,
    parse_address,
    parse_networks,
)

PROXIES = parse_networks(["127.0.0.1", "10.0.0.0/8", "::1"])


def test_an_untrusted_peer_is_the_client_whatever_header_it_sends():
    for forged in (["1.2.3.4"], ["1.2.3.4, 5.6.7.8"], ["garbage"], []):
        assert client_address("203.0.113.9", forged, PROXIES) == "203.0.113.9"
    # and without any trusted proxy configured, not even loopback is believed
    assert client_address("127.0.0.1", ["1.2.3.4"], ()) == "127.0.0.1"


def test_a_forged_header_cannot_mint_new_clients_through_a_trusted_proxy():
    # the client writes anything on the left; our proxy appends the address it really saw
    seen = {
        client_address("127.0.0.1", [f"198.51.100.{i}, 192.0.2.{i}, 203.0.113.7"], PROXIES)
        for i in range(50)
    }
    assert seen == {"203.0.113.7"}


def test_the_right_most_hop_not_a_trusted_proxy_is_the_client():
    # client → edge proxy 10.1.2.3 → local nginx → dashboard
    assert client_address("127.0.0.1", ["203.0.113.7, 10.1.2.3"], PROXIES) == "203.0.113.7"
    # several header lines are one list, in order
    assert client_address("10.0.0.2", ["6.6.6.6", "203.0.113.7", "10.1.2.3"], PROXIES) == (
        "203.0.113.7"
    )
    # a trusted proxy with no header at all: the proxy itself (every client shares it)
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"
    # every hop a trusted proxy: the left-most one, the farthest we can see
    assert client_address("127.0.0.1", ["10.9.9.9, 10.1.1.1"], PROXIES) == "10.9.9.9"


def test_a_hop_that_is_no_address_stops_at_the_proxy_that_passed_it():
    assert client_address("127.0.0.1", ["unknown"], PROXIES) == "127.0.0.1"
    assert client_address("127.0.0.1", ["1.2.3.4, nonsense, 10.1.2.3"], PROXIES) == "10.1.2.3"


def test_addresses_as_proxies_write_them():
    assert str(parse_address("203.0.113.7:5678")) == "203.0.113.7"
    assert str(parse_address("[2001:db8::1]:443")) == "2001:db8::1"
    assert str(parse_address("2001:db8::1")) == "2001:db8::1"
    assert str(parse_address("::ffff:203.0.113.7")) == "203.0.113.7"  # IPv4-mapped
    assert parse_address("example.com") is None and parse_address("") is None
    assert client_address("::ffff:127.0.0.1", ["203.0.113.7"], PROXIES) == "203.0.113.7"
    assert client_address("::1", ["[2001:db8::5]:1234"], PROXIES) == "2001:db8::5"
    assert forwarded_hops(["a, b", " c ,", ""]) == ["a", "b", "c"]


def test_trusted_proxies_accept_ips_and_cidrs_and_name_a_bad_entry():
    nets = parse_networks([" 192.168.0.0/16", "", "fd00::/8", "10.1.2.3"])
    assert [str(n) for n in nets] == ["192.168.0.0/16", "fd00::/8", "10.1.2.3/32"]
    with pytest.raises(ValueError, match="'nginx.local' is not an IP address or CIDR"):
        parse_networks(["10.0.0.1", "nginx.local"])


def test_the_dashboard_door_reads_trusted_proxies_from_settings(monkeypatch):
    from streamlit_app import data

    monkeypatch.delenv("TWEEKTREND_TRUSTED_PROXIES", raising=False)
    assert data.client_address("127.0.0.1", ["203.0.113.7"]) == "127.0.0.1"
    monkeypatch.setenv("TWEEKTREND_TRUSTED_PROXIES", "127.0.0.1, ::1")
    assert data.client_address("127.0.0.1", ["6.6.6.6, 203.0.113.7"]) == "203.0.113.7"
    assert data.client_address(None, []) == "unknown"
    monkeypatch.setenv("TWEEKTREND_TRUSTED_PROXIES", "not-an-ip")
    with pytest.raises(data.ServiceUnavailable, match="not-an-ip"):
        data.client_address("127.0.0.1", [])
