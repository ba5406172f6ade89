"""Which destinations the proxy refuses (issue 15, item 4): judged without a DNS lookup."""

from __future__ import annotations

import socket

import pytest

from feedlens import addresses

SERVICE = 8787


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LocalHost.", "a.localhost", "::1", "[::1]",
                                  "127.1", "2130706433", "0x7f000001", "127.9.9.9", "0.0.0.0", "::",
                                  "::ffff:127.0.0.1", "[::ffff:7f00:1]"])
def test_every_spelling_of_loopback_is_loopback(host):
    assert addresses.is_loopback(host)
    assert addresses.refusal(host, SERVICE, SERVICE, "127.0.0.1") == "own_service"
    assert addresses.refusal(host, 80, SERVICE, "192.168.1.20") == "loopback"
    assert addresses.refusal(host, 80, SERVICE, "127.0.0.1") is None  # this machine's own browser


@pytest.mark.parametrize("host", ["example.com", "93.184.216.34", "localhost.example.com", "10.0.0.1",
                                  "2001:db8::1", "1.2.3.4.5"])
def test_other_hosts_pass(host):
    assert not addresses.is_loopback(host)
    assert addresses.refusal(host, 443, SERVICE, "192.168.1.20") is None


def test_the_machines_own_address_at_the_service_port_is_the_service():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing address
        own = probe.getsockname()[0]
    assert addresses.is_own_address(addresses.ip_of(own))
    assert addresses.refusal(own, SERVICE, SERVICE, "127.0.0.1") == "own_service"
    assert not addresses.is_own_address(addresses.ip_of("192.0.2.254"))  # TEST-NET-1: nobody's


@pytest.mark.parametrize("client", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_clients_are_local(client):
    assert addresses.client_is_local(client)


@pytest.mark.parametrize("client", ["192.168.1.20", "fe80::1", None, "not an address"])
def test_other_clients_are_devices_on_the_network(client):
    assert not addresses.client_is_local(client)
