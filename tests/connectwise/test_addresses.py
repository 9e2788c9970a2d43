"""Server-side request guard: refused addresses get no packet; allowed ones are connected by the
checked address. The resolver and `socket.create_connection` are patched, so nothing here leaves
this process except through a socketpair."""
import ipaddress
import socket
import threading
from unittest import mock

import pytest

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.addresses import AddressPolicy, AddressRefused, checked_addresses, parse_networks

PRODUCTION = AddressPolicy()
ON_PREMISE = AddressPolicy(allowed_networks=parse_networks("10.20.0.0/16, fd00::/8"))


def _resolves_to(*addresses):
    """A getaddrinfo stand-in: the name resolves to these addresses."""
    def fake(host, port, family=0, type=0, proto=0, flags=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in addresses]
    return mock.Mock(side_effect=fake)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "169.254.169.254", "fe80::1", "0.0.0.0", "::", "10.0.0.5",
    "192.168.1.1", "172.16.0.1", "100.64.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "224.0.0.1",
    # IPv6 addresses that lead to internal IPv4 ones: NAT64, IPv4-compatible, 6to4, SIIT, local NAT64, Teredo
    "64:ff9b::a9fe:a9fe", "64:ff9b::a00:5", "::7f00:1", "2002:7f00:1::", "2002:a9fe:a9fe::1", "::ffff:0:7f00:1",
    "64:ff9b:1::808:808", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
])
def test_production_refuses_internal_addresses(address):
    """Loopback, link-local, unspecified, private, shared and multicast addresses are refused in production."""
    assert PRODUCTION.refusal(ipaddress.ip_address(address))


def test_public_addresses_and_listed_private_networks_are_allowed():
    """A public address, and a private one inside CW_ALLOWED_PRIVATE_NETWORKS, are allowed; link-local never."""
    assert PRODUCTION.refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert PRODUCTION.refusal(ipaddress.ip_address("64:ff9b::5db8:d822")) is None  # NAT64 of 93.184.216.34
    assert PRODUCTION.refusal(ipaddress.ip_address("2002:5db8:d822::1")) is None  # 6to4 of it
    assert ON_PREMISE.refusal(ipaddress.ip_address("10.20.3.4")) is None
    assert ON_PREMISE.refusal(ipaddress.ip_address("fd00::7")) is None
    assert ON_PREMISE.refusal(ipaddress.ip_address("10.21.0.1"))
    assert AddressPolicy(allowed_networks=parse_networks("169.254.0.0/16")).refusal(
        ipaddress.ip_address("169.254.169.254"))


def test_development_allows_loopback_only():
    """The development/test policy lets the simulator's loopback through, nothing else internal."""
    policy = AddressPolicy(allow_loopback=True)
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("::1")) is None
    assert policy.refusal(ipaddress.ip_address("169.254.169.254"))
    assert policy.refusal(ipaddress.ip_address("192.168.0.1"))


def test_malformed_allowed_network_stops_start_up():
    """A typo in CW_ALLOWED_PRIVATE_NETWORKS is named rather than ignored."""
    with pytest.raises(RuntimeError, match="'10.0.0.0/33'"):
        parse_networks("10.0.0.0/8, 10.0.0.0/33")


def test_malformed_allowed_network_in_config_stops_the_app():
    """create_app refuses a malformed CW_ALLOWED_PRIVATE_NETWORKS."""
    from app import create_app
    from cbcw.config import TestConfig

    with pytest.raises(RuntimeError, match="CW_ALLOWED_PRIVATE_NETWORKS"):
        create_app(type("Typo", (TestConfig,), {"CW_ALLOWED_PRIVATE_NETWORKS": "10.0.0.0/8,banana"}))


def test_decimal_ip_host_is_checked_as_the_address_it_means():
    """`2130706433` is 127.0.0.1 to the resolver, so it is refused like 127.0.0.1 (numeric: no lookup sent)."""
    with pytest.raises(AddressRefused):
        checked_addresses("2130706433", 80, PRODUCTION)


@pytest.fixture
def no_connections(monkeypatch):
    """socket.create_connection replaced by a mock that would fail the test if it opened anything."""
    connect = mock.Mock(side_effect=AssertionError("a connection was opened"))
    monkeypatch.setattr(socket, "create_connection", connect)
    return connect


@pytest.mark.parametrize("addresses", [
    ("169.254.169.254",), ("127.0.0.1",), ("10.0.0.8",), ("fe80::1",), ("0.0.0.0",),
    ("93.184.216.34", "10.0.0.8"),  # one internal address among public ones refuses the host
])
def test_client_refuses_before_any_connection(make_cw_client, monkeypatch, no_connections, addresses):
    """A Base URL whose host resolves to a refused address fails with AddressRefused and no socket is opened."""
    resolver = _resolves_to(*addresses)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    client = make_cw_client("https://cw.example.com/v4_6_release/apis/3.0", address_policy=PRODUCTION)
    with pytest.raises(AddressRefused, match="may not connect"):
        client.system_info()
    no_connections.assert_not_called()
    assert resolver.call_args.args[0] == "cw.example.com"


def _serve_one(listener, received):
    """Answer one HTTP request on a loopback listener with a ConnectWise-shaped body."""
    sock, _ = listener.accept()
    with sock:
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        received.append(data)
        body = b'{"version": "v2025.1.99"}'
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))


def test_client_connects_to_the_checked_address_with_the_name_as_host(make_cw_client, monkeypatch):
    """The name is resolved once, and the socket goes to that checked address while Host keeps the name.

    `create_connection` records the address asked for and connects to a loopback stand-in instead."""
    listener = socket.create_server(("127.0.0.1", 0))
    received = []
    server = threading.Thread(target=_serve_one, args=(listener, received))
    server.start()

    def to_loopback(address, *args, **kwargs):
        sock = socket.socket()
        sock.connect(listener.getsockname())
        return sock

    connect = mock.Mock(side_effect=to_loopback)
    resolver = _resolves_to("93.184.216.34")
    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    client = make_cw_client("http://cw.example.com/v4_6_release/apis/3.0", address_policy=PRODUCTION)
    try:
        assert client.system_info() == {"version": "v2025.1.99"}
    finally:
        server.join(5)
        listener.close()
    assert connect.call_args.args[0] == ("93.184.216.34", 80)
    assert resolver.call_count == 1
    assert b"\r\nHost: cw.example.com\r\n" in received[0]


def test_listed_private_network_is_connected(make_cw_client, monkeypatch):
    """An on-premise ConnectWise inside CW_ALLOWED_PRIVATE_NETWORKS is connected to (at its checked address)."""
    monkeypatch.setattr(socket, "getaddrinfo", _resolves_to("10.20.0.9"))
    connect = mock.Mock(side_effect=ConnectionRefusedError())
    monkeypatch.setattr(socket, "create_connection", connect)
    client = make_cw_client("https://psa.corp.example/v4_6_release/apis/3.0", address_policy=ON_PREMISE)
    with pytest.raises(errors.Unavailable):
        client.system_info()
    assert connect.call_args.args[0] == ("10.20.0.9", 443)


def test_unresolvable_host_is_unavailable(make_cw_client, monkeypatch, no_connections):
    """A name that does not resolve is 'could not be resolved', not a 500."""
    monkeypatch.setattr(socket, "getaddrinfo", mock.Mock(side_effect=socket.gaierror(-2, "Name or service not known")))
    client = make_cw_client("https://nosuch.example/v4_6_release/apis/3.0", address_policy=PRODUCTION)
    with pytest.raises(errors.Unavailable, match="could not be resolved"):
        client.system_info()
