"""The endpoint grammar: every accepted form parses, every bad string names the accepted forms."""

from __future__ import annotations

import pytest

from wirekit.errors import ConfigError
from wirekit.streams.endpoint import Endpoint, parse_endpoint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp:127.0.0.1:80", Endpoint("tcp", "127.0.0.1", 80)),
        ("tls:example.org:443", Endpoint("tls", "example.org", 443)),
        ("udp:localhost:0", Endpoint("udp", "localhost", 0)),
        ("tcp:[::1]:8080", Endpoint("tcp", "::1", 8080)),
        ("unix:/tmp/x.sock", Endpoint("unix", path="/tmp/x.sock")),
    ],
)
def test_parses(text: str, expected: Endpoint) -> None:
    ep = parse_endpoint(text)
    assert ep == expected
    assert parse_endpoint(str(ep)) == ep


def test_options() -> None:
    ep = parse_endpoint("tls:example.org:443?verify=no&sni=other.example")
    assert ep.options == {"verify": "no", "sni": "other.example"}
    assert ep.flag("verify", True) is False
    assert "verify=no" in str(ep)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "127.0.0.1:80",
        "tcp:",
        "tcp:host",
        "tcp:host:99999",
        "tcp:host:http",
        "tcp::80",
        "ftp:host:21",
        "tcp:::1:80",
        "tcp:[::1:80",
        "unix:",
        "tcp:h:1?verify=no",
        "tls:h:1?bogus=1",
        "tls:h:1?verify",
    ],
)
def test_bad_strings_list_the_accepted_forms(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_endpoint(bad)
    msg = str(info.value)
    assert "tcp:HOST:PORT" in msg or "known:" in msg


def test_bad_flag_value() -> None:
    with pytest.raises(ConfigError):
        parse_endpoint("tls:h:1?verify=maybe").flag("verify", True)


def test_default_kind() -> None:
    assert parse_endpoint("localhost:25", default_kind="tcp") == Endpoint("tcp", "localhost", 25)
