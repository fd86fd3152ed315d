"""Sans-IO control channel: replies, commands, argument formats."""

from __future__ import annotations

import datetime

import pytest

from wirekit.errors import DecodeError, LineTooLong, LocalProtocolError
from wirekit.ftp.protocol import (
    BadCommand,
    Command,
    CommandParser,
    Reply,
    ReplyParser,
    ServerConnection,
    encode_command,
    encode_reply,
    format_eprt,
    format_mdtm,
    format_pasv,
    format_port,
    parse_227,
    parse_229,
    parse_257,
    parse_eprt,
    parse_mdtm,
    parse_port,
    quote_257,
)


def replies(data: bytes, step: int = 0) -> list[Reply]:
    p = ReplyParser()
    out = []
    chunks = [data] if not step else [data[i : i + step] for i in range(0, len(data), step)]
    for c in chunks:
        p.receive_data(c)
        while (r := p.next_event()) is not None:
            out.append(r)
    return out


def test_single_line_reply() -> None:
    assert replies(b"220 Service ready\r\n") == [Reply(220, ("Service ready",))]


@pytest.mark.parametrize("step", [0, 1, 3])
def test_multiline_reply_split_anywhere(step: int) -> None:
    data = b"211-Features:\r\n EPSV\r\n2110 not the end\r\n MDTM\r\n211 End\r\n200 next\r\n"
    got = replies(data, step)
    assert got[0].code == 211
    assert got[0].lines == ("Features:", " EPSV", "2110 not the end", " MDTM", "End")
    assert got[1] == Reply(200, ("next",))


def test_multiline_inner_line_with_same_code_and_dash_is_not_end() -> None:
    got = replies(b"250-a\r\n250-b\r\n250 c\r\n")
    assert got == [Reply(250, ("a", "250-b", "c"))]


def test_bare_lf_and_code_without_text() -> None:
    assert replies(b"200\n") == [Reply(200, ("",))]


@pytest.mark.parametrize(
    "line", [b"abc hello\r\n", b"20 short\r\n", b"600 no\r\n", b"200xoops\r\n"]
)
def test_bad_reply_lines_raise_decode_error(line: bytes) -> None:
    with pytest.raises(DecodeError):
        replies(line)


def test_reply_line_too_long() -> None:
    p = ReplyParser(max_line=100)
    with pytest.raises(LineTooLong):
        p.receive_data(b"2" * 200)


def test_reply_kind_and_text() -> None:
    r = Reply(451, ("a", "b"))
    assert r.kind == 4
    assert r.text == "a\nb"


def commands(data: bytes, max_line: int = 4096) -> list[Command | BadCommand]:
    p = CommandParser(max_line)
    p.receive_data(data)
    out = []
    while (c := p.next_event()) is not None:
        out.append(c)
    return out


def test_command_parsing() -> None:
    assert commands(b"user alice\r\nPASS  two spaces\r\nNOOP\r\n") == [
        Command("USER", "alice"),
        Command("PASS", " two spaces"),
        Command("NOOP", ""),
    ]


def test_command_over_long_line_is_refused_and_parser_recovers() -> None:
    p = CommandParser(max_line=64)
    p.receive_data(b"STOR " + b"a" * 100)
    p.receive_data(b"b" * 100)
    p.receive_data(b"\r\nNOOP\r\n")
    assert p.next_event() == BadCommand(500, "Command line too long.")
    assert p.next_event() == Command("NOOP")
    assert p.next_event() is None


def test_command_nul_and_bad_verbs() -> None:
    got = commands(b"RETR a\x00b\r\n\r\n123 x\r\nVERYLONGVERB x\r\n")
    assert [type(g) for g in got] == [BadCommand] * 4
    assert got[0].code == 501


def test_telnet_iac_stripped() -> None:
    assert commands(b"\xff\xf4\xff\xf2ABOR\r\n") == [Command("ABOR")]


def test_non_utf8_argument_survives() -> None:
    (cmd,) = commands(b"RETR caf\xe9\r\n")
    assert isinstance(cmd, Command)
    assert cmd.arg.encode("utf-8", "surrogateescape") == b"caf\xe9"


def test_encode_command_refuses_injection() -> None:
    assert encode_command("RETR", "a b") == b"RETR a b\r\n"
    with pytest.raises(LocalProtocolError):
        encode_command("RETR", "x\r\nDELE y")


def test_encode_reply_round_trip() -> None:
    wire = encode_reply(211, ["Features:", "EPSV", "211 tricky", "End"])
    (r,) = replies(wire)
    assert r.code == 211
    assert [line.strip() for line in r.lines] == ["Features:", "EPSV", "211 tricky", "End"]
    assert encode_reply(200, "ok") == b"200 ok\r\n"


def test_server_gate() -> None:
    m = ServerConnection(known=frozenset({"USER", "PASS", "RETR", "QUIT"}))
    assert m.gate(Command("XYZZ")).code == 502  # type: ignore[union-attr]
    assert m.gate(Command("RETR", "f")).code == 530  # type: ignore[union-attr]
    assert m.gate(Command("PASS", "x")).code == 503  # type: ignore[union-attr]
    assert m.gate(Command("USER")).code == 501  # type: ignore[union-attr]
    assert m.gate(Command("USER", "bob")) is None
    m.logged_in = True
    assert m.gate(Command("RETR", "f")) is None
    assert m.gate(Command("RETR", "  ")).code == 501  # type: ignore[union-attr]


def test_pasv_round_trip() -> None:
    text = format_pasv("127.0.0.1", 40123)
    assert parse_227(text) == ("127.0.0.1", 40123)
    assert parse_227("Entering Passive Mode 10,0,0,1,1,2") == ("10.0.0.1", 258)


@pytest.mark.parametrize("text", ["no numbers", "(1,2,3,4,5)", "(1,2,3,4,5,999)"])
def test_pasv_bad(text: str) -> None:
    with pytest.raises(DecodeError):
        parse_227(text)


def test_epsv() -> None:
    assert parse_229("Entering Extended Passive Mode (|||6446|)") == 6446
    assert parse_229("ok (!!!7!)") == 7
    for bad in ("(|||0|)", "no parens", "(|||x|)", "(||)"):
        with pytest.raises(DecodeError):
            parse_229(bad)


def test_port_and_eprt() -> None:
    assert parse_port(format_port("192.168.1.2", 5001)) == ("192.168.1.2", 5001)
    assert parse_eprt(format_eprt("127.0.0.1", 2000)) == ("127.0.0.1", 2000)
    assert parse_eprt(format_eprt("::1", 2000)) == ("::1", 2000)
    for bad in ("1,2,3", "1,2,3,4,5,256", "a,b,c,d,e,f"):
        with pytest.raises(DecodeError):
            parse_port(bad)
    for bad in ("|1|::1|5|", "|3|1.2.3.4|5|", "|1|1.2.3.4|0|", "|1|nohost|5|", "x"):
        with pytest.raises(DecodeError):
            parse_eprt(bad)


def test_257_quoting() -> None:
    assert parse_257('"/a ""b""" created') == '/a "b"'
    assert parse_257(quote_257('/x"y') + " is cwd") == '/x"y'
    with pytest.raises(DecodeError):
        parse_257("no quotes")
    with pytest.raises(DecodeError):
        parse_257('"unterminated')


def test_mdtm() -> None:
    ts = datetime.datetime(2024, 2, 29, 13, 5, 9, tzinfo=datetime.UTC).timestamp()
    assert format_mdtm(ts) == "20240229130509"
    assert parse_mdtm("20240229130509.25").microsecond == 250000
    for bad in ("2024", "20241399000000", "2024022913050x"):
        with pytest.raises(DecodeError):
            parse_mdtm(bad)
