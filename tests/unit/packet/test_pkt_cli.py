"""``wirekit pkt`` read/show/craft through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from wirekit.cli import cli
from wirekit.cli._errors import run_cli
from wirekit.packet.capture import open_capture
from wirekit.packet.layer import Packet
from wirekit.packet.layers import TCP, UDP, IPv4


@pytest.fixture
def capture(tmp_path):
    path = tmp_path / "c.pcapng"
    r = CliRunner().invoke(
        cli,
        [
            "pkt",
            "craft",
            'Ether()/IPv4(src="10.0.0.1", dst="10.0.0.2")/TCP(sport=999, dport=443, flags="S")',
            "-o",
            str(path),
            "-c",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    return path


def test_help_for_every_command() -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["pkt", "--help"])
    assert r.exit_code == 0 and "craft" in r.output and "query" in r.output
    for name in ("read", "show", "craft", "sniff"):
        r = runner.invoke(cli, ["pkt", name, "--help"])
        assert r.exit_code == 0 and "--json" in r.output, name


def test_craft_writes_a_readable_capture(capture) -> None:
    recs = list(open_capture(capture))
    assert len(recs) == 3
    p = Packet.parse(recs[0].data)
    assert p[TCP].dport == 443 and p[IPv4].src == "10.0.0.1"


def test_read_lines_filter_and_count(capture) -> None:
    r = CliRunner().invoke(cli, ["pkt", "read", str(capture), "tcp.dport", "==", "443", "-c", "2"])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 2 and "IP 10.0.0.1.999 > 10.0.0.2.443: Flags [S]" in lines[0]
    r = CliRunner().invoke(cli, ["pkt", "read", str(capture), "-f", "udp"])
    assert r.exit_code == 0 and r.output == ""


def test_read_json_and_quiet(capture) -> None:
    r = CliRunner().invoke(cli, ["pkt", "read", str(capture), "--json"])
    data = json.loads(r.output)
    assert len(data) == 3 and data[0]["layers"][2]["dport"] == 443
    r = CliRunner().invoke(
        cli, ["pkt", "read", str(capture), "-q", "--json", "-f", "tcp.flags == 'S'"]
    )
    assert json.loads(r.output) == {"packets": 3, "matched": 3}


def test_show(capture) -> None:
    r = CliRunner().invoke(cli, ["pkt", "show", str(capture), "-n", "2"])
    assert r.exit_code == 0 and "###[ TCP ]###" in r.output and "00000000" in r.output
    r = CliRunner().invoke(cli, ["pkt", "show", str(capture), "-n", "2", "--json"])
    assert json.loads(r.output)["layers"][1]["dst"] == "10.0.0.2"


def test_show_past_the_end(capture, capsys) -> None:
    assert run_cli(cli, ["pkt", "show", str(capture), "-n", "9"]) == 2
    assert "fewer than 9" in capsys.readouterr().err


def test_craft_json_dns_and_rejects_code() -> None:
    r = CliRunner().invoke(
        cli,
        [
            "pkt",
            "craft",
            'IPv4(dst="9.9.9.9")/UDP(sport=5353)/DNS(qd=[DNSQR("example.com.", "AAAA")])',
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert "AAAA? example.com." in out["summary"]
    p = IPv4.parse(bytes.fromhex(out["hex"]))
    assert p[UDP].dport == 53


def test_craft_rejects_code(capsys) -> None:
    assert run_cli(cli, ["pkt", "craft", '__import__("os").system("true")']) == 2
    assert "unsupported syntax" in capsys.readouterr().err


def test_bad_filter_is_config_error(capture, capsys) -> None:
    assert run_cli(cli, ["pkt", "read", str(capture), "-f", "tcp.nope == 1"]) == 2
    assert "no field" in capsys.readouterr().err
