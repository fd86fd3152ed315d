"""``wirekit scan`` through click's CliRunner against listeners this test opens on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from wirekit.cli import cli


@pytest.fixture
def ports() -> Iterator[tuple[int, int]]:
    """(an open port, a closed port) on 127.0.0.1."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    closed = socket.socket()  # bound, not listening: RST
    closed.bind(("127.0.0.1", 0))
    yield listener.getsockname()[1], closed.getsockname()[1]
    listener.close()
    closed.close()


def test_scan_json_lists_open_ports(ports: tuple[int, int]) -> None:
    open_port, closed_port = ports
    result = CliRunner().invoke(
        cli, ["scan", "127.0.0.1", "--ports", f"{open_port},{closed_port}", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scanned"] == 2 and data["open"] == 1 and data["closed"] == 1
    assert [p["port"] for p in data["ports"]] == [open_port]
    assert data["ports"][0]["state"] == "open"


def test_scan_json_all_includes_closed(ports: tuple[int, int]) -> None:
    open_port, closed_port = ports
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "127.0.0.1",
            "-p",
            f"{closed_port},{open_port}",
            "--all",
            "--json",
            "-c",
            "1",
            "--rate",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    states = {p["port"]: p["state"] for p in json.loads(result.stdout)["ports"]}
    assert states == {open_port: "open", closed_port: "closed"}


def test_scan_table_output(ports: tuple[int, int]) -> None:
    open_port, closed_port = ports
    result = CliRunner().invoke(cli, ["scan", "127.0.0.1", "-p", f"{open_port},{closed_port}"])
    assert result.exit_code == 0, result.output
    assert str(open_port) in result.stdout and "open" in result.stdout
    assert str(closed_port) not in result.stdout  # closed ports are hidden without --all
    assert "2 ports scanned" in result.stderr and "1 open, 1 closed, 0 filtered" in result.stderr


def test_bad_ports_exit_with_config_error_code() -> None:
    from wirekit.cli._errors import run_cli

    assert run_cli(cli, ["scan", "127.0.0.1", "--ports", "80-20"]) == 2


def test_scan_help() -> None:
    result = CliRunner().invoke(cli, ["scan", "--help"])
    assert result.exit_code == 0
    assert "--concurrency" in result.output and "--rate" in result.output
